"""Video + audio fusion: either signal alone can carry a match; confirmation needs both."""
from __future__ import annotations

import pytest

from matcher.fusion import calibrate, fuse

T = dict(video_threshold=0.5, audio_threshold=0.8)


def test_either_signal_alone_carries_the_score():
    assert fuse(0.9, None, **T).score == 0.9
    assert fuse(None, 0.95, **T).score == pytest.approx(calibrate(0.95, **T))
    assert fuse(None, 0.95, **T).score > 0.5  # sound alone above its threshold reaches the notice


def test_audio_threshold_lands_on_the_video_threshold():
    assert calibrate(0.8, **T) == pytest.approx(0.5)
    assert calibrate(0.0, **T) == 0.0 and calibrate(1.0, **T) == pytest.approx(1.0)
    assert fuse(None, 0.7, **T).score < 0.5  # sound below its own threshold cannot notify alone


def test_two_signals_score_higher_than_either_and_confirm():
    both = fuse(0.6, 0.85, **T)
    assert both.score > max(0.6, calibrate(0.85, **T)) and both.confirmed


def test_one_weak_signal_does_not_confirm():
    assert not fuse(0.6, 0.3, **T).confirmed
    assert not fuse(0.9, None, **T).confirmed
