"""Fusing the video and the audio evidence for one (query, reference) pair.

The two signals fail independently (a covered picture keeps its sound; a muted copy keeps its
picture), so the fused score is a noisy-or: either signal alone can carry a match, both together
make it stronger, and a missing signal (``None``: no sound, or no picture match) costs nothing.
The audio score is first put on the video score's scale — piecewise linear, so the audio
threshold lands exactly on the video threshold — which keeps one operating point meaningful for
both: an audio-only match reaches it only when the sound alone would confirm the copy.
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


def calibrate(audio: float, *, audio_threshold: float, video_threshold: float) -> float:
    """Map an audio score to the video scale: 0 → 0, audio threshold → video threshold, 1 → 1."""
    if audio <= audio_threshold:
        return video_threshold * audio / audio_threshold if audio_threshold > 0 else 1.0
    return video_threshold + (1 - video_threshold) * (audio - audio_threshold) / (1 - audio_threshold)


def fuse(
    video: float | None, audio: float | None, *, video_threshold: float, audio_threshold: float
) -> FusedScore:
    v = video or 0.0
    a = calibrate(audio or 0.0, audio_threshold=audio_threshold, video_threshold=video_threshold)
    score = 1.0 - (1.0 - v) * (1.0 - a)
    confirmed = (
        video is not None and audio is not None and v >= video_threshold and audio >= audio_threshold
    )
    return FusedScore(score, video, audio, confirmed)
