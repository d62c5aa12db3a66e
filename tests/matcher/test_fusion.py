"""Video + audio fusion: either signal alone can carry a match; confirmation needs both."""
from __future__ import annotations

from matcher.fusion import fuse


def test_either_signal_alone_carries_the_score():
    assert fuse(0.9, None, video_threshold=0.5, audio_threshold=0.8).score == 0.9
    assert fuse(None, 0.95, video_threshold=0.5, audio_threshold=0.8).score == 0.95


def test_two_signals_score_higher_than_either_and_confirm():
    both = fuse(0.6, 0.85, video_threshold=0.5, audio_threshold=0.8)
    assert both.score > 0.85 and both.confirmed


def test_one_weak_signal_does_not_confirm():
    assert not fuse(0.6, 0.3, video_threshold=0.5, audio_threshold=0.8).confirmed
    assert not fuse(0.9, None, video_threshold=0.5, audio_threshold=0.8).confirmed
