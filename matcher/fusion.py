"""Fusing the video and the audio evidence for one (query, reference) pair.

The two signals fail independently (a covered picture keeps its sound; a muted copy keeps its
picture), so the fused score is a noisy-or: either signal alone can carry a match, both together
make it stronger, and a missing signal (``None``: no sound, or no picture match) costs nothing.
A match is "confirmed" only when both signals clear their own thresholds.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FusedScore:
    score: float
    video: float | None
    audio: float | None
    confirmed: bool  # both signals independently above their thresholds


def fuse(
    video: float | None, audio: float | None, *, video_threshold: float, audio_threshold: float
) -> FusedScore:
    v, a = video or 0.0, audio or 0.0
    score = 1.0 - (1.0 - v) * (1.0 - a)
    confirmed = video is not None and audio is not None and v >= video_threshold and a >= audio_threshold
    return FusedScore(score, video, audio, confirmed)
