"""Audio landmarks on media generated here (espeak-ng speech, synthesized music), decoded by PyAV."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from benchmarks.audio_set import build, music, write
from fingerprint.audio import fingerprint_audio, query_views
from matcher.audio import AudioIndex

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng (apt)")


@pytest.fixture(scope="module")
def audio_set(tmp_path_factory):
    folder = tmp_path_factory.mktemp("audio")
    refs, cases = build(folder, seed=3, speeches=2, songs=2)
    index = AudioIndex()
    for episode_id, ref in enumerate(refs):
        index.add(episode_id, fingerprint_audio(ref))
    return refs, cases, index


EDITS = ["reencode_aac_32k", "noise_5db", "speed_1.1", "speed_1.15", "speed_0.8", "excerpt_4s",
         "hidden_picture"]


@pytest.mark.parametrize("edit", EDITS)
def test_copies_are_found_by_their_sound(audio_set, edit):
    refs, cases, index = audio_set
    for case in (c for c in cases if c.transform == edit):
        matches = index.match(query_views(case.query))
        assert matches, f"{case.query.name}: no audio match"
        top = matches[0]
        assert refs[top.episode_id] == case.reference, case.query.name
        assert top.score >= 0.8, f"{case.query.name}: score {top.score:.3f}"
        if edit.startswith("speed_"):
            assert abs(top.speed - float(edit.split("_")[1])) < 0.05


def test_excerpt_offset_points_into_the_reference(audio_set):
    refs, cases, index = audio_set
    for case in (c for c in cases if c.transform == "excerpt_4s"):
        top = index.match(query_views(case.query))[0]
        duration = fingerprint_audio(case.reference).duration_ms
        # the excerpt is the 4 s around the middle
        assert abs(top.offset_ms - (duration / 2 - 2000)) < 200, case.query.name


@pytest.mark.parametrize("kind", ["muted", "distractor"])
def test_silence_and_unregistered_sound_match_nothing_above_threshold(audio_set, kind):
    _, cases, index = audio_set
    for case in (c for c in cases if c.transform == kind):
        assert all(m.score < 0.8 for m in index.match(query_views(case.query))), case.query.name


def test_shared_drum_loop_is_not_evidence(tmp_path):
    """Two songs over the same kick drum: the drum's landmarks must not tie them together."""
    index = AudioIndex()
    index.add(1, fingerprint_audio(write(tmp_path / "a.wav", music(11))))
    index.add(2, fingerprint_audio(write(tmp_path / "b.wav", music(12))))
    other = write(tmp_path / "c.wav", music(13))
    assert all(m.score < 0.8 for m in index.match(query_views(other)))


def test_a_video_without_sound_has_an_empty_fingerprint(tmp_path):
    import av

    path = tmp_path / "mute.mp4"
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=10)
        s.width, s.height, s.pix_fmt = 64, 48, "yuv420p"
        for i in range(10):
            f = av.VideoFrame.from_ndarray(np.full((48, 64, 3), i * 20, np.uint8), format="rgb24")
            for p in s.encode(f):
                c.mux(p)
        for p in s.encode(None):
            c.mux(p)
    assert len(fingerprint_audio(path)) == 0
    assert query_views(path) == []
