"""The audio signal beside the picture: an in-memory landmark index over registered episodes'
sound, and the fusion of audio and video evidence into the scan's match reports.

A copy whose picture is hidden or covered is still found by its sound; a copy found by both is
marked ``confirmed`` (two independent signals); a muted copy falls back to the picture alone.
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from dramaguard.settings import MatcherSettings
from fingerprint.audio import AudioFingerprint, query_views
from matcher.audio import AudioIndex, AudioMatch
from matcher.fusion import fuse
from storage.audio import load_audio_fingerprints


class AudioLibrary:
    """Registered episodes' landmarks, loaded from the database at start, kept in step after."""

    def __init__(self) -> None:
        self.index = AudioIndex()

    def load(self, *, session: Session) -> None:
        for episode_id, fp in load_audio_fingerprints(session=session).items():
            self.index.add(episode_id, fp)

    def add(self, episode_id: int, fp: AudioFingerprint) -> None:
        if len(fp):
            self.index.add(episode_id, fp)

    def remove(self, episode_id: int) -> None:
        self.index.remove(episode_id)

    def match(self, path: Path) -> list[AudioMatch]:
        """Audio matches of a query file; empty when it has no sound or nothing is registered."""
        if self.index.size == 0:
            return []
        return self.index.match(query_views(path))


def fused_score(video: float | None, audio: AudioMatch | None, settings: MatcherSettings):
    return fuse(
        video,
        audio.score if audio else None,
        video_threshold=settings.notify_score,
        audio_threshold=settings.audio_confirm_score,
    )
