"""Video + audio fusion: the picture or aligned dialogue may claim; music never does on its own;
sound and picture that disagree in time do not add up."""
from __future__ import annotations

import pytest

from matcher.audio import AudioMatch
from matcher.fusion import AUDIO_ONLY, MUSIC_WITH_WEAK_PICTURE, FusionParams, calibrate, fuse

P = FusionParams(video_threshold=0.5, audio_threshold=0.8)
T = dict(video_threshold=0.5, audio_threshold=0.8)


def music(score: float = 0.99, offset_ms: float = 0.0) -> AudioMatch:
    return AudioMatch(1, score, hits=120, offset_ms=offset_ms, speed=1.0, music_rate=0.6)


def dialogue(hits: int = 60, span_ms: int = 8000, rate: float = 0.7, offset_ms: float = 0.0) -> AudioMatch:
    return AudioMatch(1, 0.99, hits=hits + 40, offset_ms=offset_ms, speed=1.0, dialogue_hits=hits,
                      dialogue_ms=span_ms, dialogue_rate=rate, music_rate=0.8)


def test_the_picture_alone_carries_the_claim():
    fused = fuse(0.9, None, P)
    assert fused.score == 0.9 and fused.carried_by == ("picture",) and fused.claim


def test_music_alone_is_held_in_the_review_band_labelled_audio_only():
    fused = fuse(None, music(), P)
    assert fused.score < 0.5 and fused.score == pytest.approx(0.49)
    assert not fused.claim and fused.review == AUDIO_ONLY and fused.signals == ("music",)


def test_aligned_dialogue_claims_on_the_sound_alone():
    fused = fuse(None, dialogue(), P)
    assert fused.score >= 0.5 and fused.carried_by == ("dialogue",) and fused.review is None


@pytest.mark.parametrize("weak", [dict(span_ms=2500), dict(hits=20), dict(rate=0.03)],
                         ids=["too short", "too few", "music under someone else's voice"])
def test_dialogue_that_falls_short_does_not_claim(weak):
    fused = fuse(None, dialogue(**weak), P)
    assert fused.score < 0.5 and not fused.claim and fused.review == AUDIO_ONLY


def test_music_does_not_lift_a_weak_picture_to_a_claim():
    fused = fuse(0.4, music(), P, video_at=(1000.0, 1000.0))
    assert fused.score < 0.5 and fused.review == MUSIC_WITH_WEAK_PICTURE
    assert fused.signals == ("picture", "music")


def test_sound_and_picture_that_disagree_in_time_do_not_add_up():
    apart = fuse(0.45, dialogue(offset_ms=20_000), P, video_at=(3000.0, 3000.0))
    assert apart.disagree and apart.score == 0.45 and not apart.claim and not apart.confirmed
    together = fuse(0.45, dialogue(offset_ms=500), P, video_at=(3000.0, 3000.0))
    assert not together.disagree and together.score > 0.5
    assert together.carried_by == ("picture", "dialogue")


def test_both_strong_and_in_time_confirm():
    fused = fuse(0.8, dialogue(), P, video_at=(0.0, 0.0))
    assert fused.confirmed and fused.score > 0.8
    assert not fuse(0.8, dialogue(offset_ms=9000), P, video_at=(0.0, 0.0)).confirmed
    assert not fuse(0.9, None, P).confirmed


def test_audio_threshold_lands_on_the_video_threshold():
    assert calibrate(0.8, **T) == pytest.approx(0.5)
    assert calibrate(0.0, **T) == 0.0 and calibrate(1.0, **T) == pytest.approx(1.0)
