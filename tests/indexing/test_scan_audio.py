"""Scans fuse sound and picture: a hidden picture is found by its sound (music alone: held for
review, never a notice), a muted copy by its picture, and a plain copy is confirmed by both (real
files: H.264 + AAC written by PyAV). Dialogue claiming alone: tests/indexing/test_shared_music.py."""
from __future__ import annotations

import numpy as np
import pytest

from benchmarks.audio_set import music
from monitor import samples
from indexing.catalogue import Services


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    root = tmp_path_factory.mktemp("av")
    sound = music(seed=5, seconds=8)
    frames = list(samples.episode_frames(21, 8))
    episode = samples.write_video(root / "episode.mp4", iter(frames), audio=sound)
    black = [np.zeros_like(f) for f in frames]
    return {
        "episode": episode,
        "hidden": samples.write_video(root / "hidden.mp4", iter(black), audio=sound, crf=30),
        "muted_flip": samples.write_video(root / "muted.mp4", (f[:, ::-1] for f in frames), crf=30),
        "plain": samples.write_video(root / "plain.mp4", iter(frames), audio=sound, crf=30),
        "unrelated": samples.write_video(root / "other.mp4", samples.episode_frames(22, 6),
                                         audio=music(seed=6, seconds=6)),
    }


@pytest.fixture(scope="module")
def services(media, tmp_path_factory):
    from dramaguard.settings import Settings

    with Services.open(Settings(home=tmp_path_factory.mktemp("home"))) as services:
        [result] = services.register_files([media["episode"]], work="有声剧")
        assert result.created
        yield services


def test_hidden_picture_is_found_by_its_sound_and_held_for_review(services, media):
    report = services.scan_file(media["hidden"])
    assert report.error is None and report.matches
    top = report.matches[0]
    assert top.reference == "episode.mp4" and top.video_score is None
    assert top.audio_score >= services.settings.matcher.audio_confirm_score
    # the sound track is music only: found, but it may not carry a notice
    assert top.score < services.settings.matcher.notify_score
    assert top.review == "audio only" and top.carried_by == [] and "music" in top.signals
    assert top.ref_end - top.ref_start > 6


def test_muted_copy_is_found_by_its_picture_alone(services, media):
    top = services.scan_file(media["muted_flip"]).matches[0]
    assert top.reference == "episode.mp4" and top.audio_score is None and top.video_score > 0.5
    assert not top.confirmed


def test_plain_copy_is_confirmed_by_both_signals(services, media):
    top = services.scan_file(media["plain"]).matches[0]
    assert top.confirmed and top.video_score > 0.5 and top.audio_score > 0.8
    assert top.carried_by == ["picture"] and top.signals[:1] == ["picture"] and "music" in top.signals


def test_unrelated_sound_and_picture_match_nothing(services, media):
    report = services.scan_file(media["unrelated"])
    assert all(m.score < services.settings.matcher.notify_score for m in report.matches)
