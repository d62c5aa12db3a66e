"""Shared music never makes a claim: an unrelated video (another picture) that uses an episode's
background music must stay below the notice point, while a copy of the episode's dialogue with its
picture covered is still claimed (real H.264 + AAC files, espeak-ng speech)."""
from __future__ import annotations

import numpy as np
import pytest

from benchmarks.audio_set import music, soundtrack, speech, to_rate
from monitor import samples
from indexing.catalogue import Services
from dramaguard.settings import Settings

SECONDS = 16


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    root = tmp_path_factory.mktemp("bgm")
    bgm = music(seed=11, seconds=SECONDS)
    lines = [(1.0, speech("The heir returns to the family on the night of the engagement party.")),
             (8.5, speech("She signed the contract without reading it, and now it belongs to her rival."))]
    track = to_rate(soundtrack(bgm, lines), 8000)
    frames = list(samples.episode_frames(31, SECONDS))
    other_frames = list(samples.episode_frames(32, SECONDS))
    black = [np.zeros_like(f) for f in frames]
    vlog = to_rate(soundtrack(bgm, [(2.0, speech("Today I am cooking noodles with my grandmother in the village."))]), 8000)
    return {
        "episode": samples.write_video(root / "episode.mp4", iter(frames), audio=track),
        "music_only_episode": samples.write_video(root / "bgm_episode.mp4", samples.episode_frames(33, SECONDS),
                                                  audio=to_rate(music(seed=12, seconds=SECONDS), 8000)),
        "same_bgm": samples.write_video(root / "same_bgm.mp4", iter(other_frames),
                                        audio=to_rate(0.35 * bgm, 8000), crf=30),
        "same_bgm_vlog": samples.write_video(root / "vlog.mp4", iter(other_frames), audio=vlog, crf=30),
        "same_music_only": samples.write_video(root / "other.mp4", samples.episode_frames(34, SECONDS),
                                               audio=to_rate(music(seed=12, seconds=SECONDS), 8000), crf=30),
        "covered": samples.write_video(root / "covered.mp4", iter(black), audio=track, crf=30),
    }


@pytest.fixture(scope="module")
def services(media, tmp_path_factory):
    with Services.open(Settings(home=tmp_path_factory.mktemp("home"))) as services:
        results = services.register_files([media["episode"], media["music_only_episode"]], work="配乐剧")
        assert all(r.created for r in results)
        yield services


@pytest.mark.parametrize("query", ["same_bgm", "same_bgm_vlog", "same_music_only"])
def test_a_video_sharing_only_the_music_is_never_claimed(services, media, query):
    report = services.scan_file(media[query], min_score=0.0)
    notify = services.settings.matcher.notify_score
    assert all(m.score < notify for m in report.matches), [(m.reference, m.score) for m in report.matches]
    held = [m for m in report.matches if m.video_score is None and m.audio_score is not None
            and m.audio_score >= services.settings.matcher.audio_confirm_score]
    assert all(m.review == "audio only" and not m.carried_by for m in held)


def test_the_dialogue_of_a_covered_copy_still_claims(services, media):
    report = services.scan_file(media["covered"])
    top = report.matches[0]
    assert top.reference == "episode.mp4" and top.video_score is None
    assert top.score >= services.settings.matcher.notify_score
    assert top.carried_by == ["dialogue"] and "dialogue" in top.signals and top.review is None
    assert report.as_json()["matches"][0]["carried_by"] == ["dialogue"]
