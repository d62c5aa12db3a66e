"""The audio signal beside the picture: an in-memory landmark index over registered episodes'
sound (with the music exclusion bank applied), and the fusion of audio and video evidence into
the scan's match reports.

A copy whose picture is hidden or covered is still found by its sound, but claimed only on its
dialogue; a copy found by both is marked ``confirmed``; a muted copy falls back to the picture.
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from indexing.config import MatcherSettings
from fingerprint.audio import AudioFingerprint, query_views
from matcher.audio import AudioIndex, AudioMatch
from matcher.fusion import FusedScore, FusionParams, fuse
from matcher.music import ExcludedTrack, Owner
from storage.audio import audio_signature, exclusion_fingerprint, load_audio_fingerprints, music_exclusions


class AudioLibrary:
    """Registered episodes' landmarks and the bank, loaded from the database at start, kept in
    step after."""

    def __init__(self) -> None:
        self.index = AudioIndex()
        self._signature: tuple | None = None

    def load(self, *, session: Session) -> None:
        self._signature = audio_signature(session=session)
        for episode_id, (fp, holder, work) in load_audio_fingerprints(session=session).items():
            self.index.add(episode_id, fp, Owner(holder, work))
        for row in music_exclusions(session=session):
            self.index.exclude_track(ExcludedTrack(row.id, exclusion_fingerprint(row), row.holder_id))

    def refresh(self, *, session: Session) -> bool:
        """Reload when another process registered sound or changed the bank; True if it did."""
        if audio_signature(session=session) == self._signature:
            return False
        self.index = AudioIndex(self.index.params)
        self.load(session=session)
        return True

    def add(self, episode_id: int, fp: AudioFingerprint, owner: Owner | None = None) -> None:
        if len(fp):
            self.index.add(episode_id, fp, owner)

    def remove(self, episode_id: int) -> None:
        self.index.remove(episode_id)

    def exclude(self, track: ExcludedTrack) -> None:
        self.index.exclude_track(track)

    def forget(self, track_id: int) -> None:
        self.index.forget_track(track_id)

    def match(self, path: Path) -> list[AudioMatch]:
        """Audio matches of a query file; empty when it has no sound or nothing is registered."""
        if self.index.size == 0:
            return []
        return self.index.match(query_views(path))


def fusion_params(settings: MatcherSettings) -> FusionParams:
    return FusionParams(
        video_threshold=settings.notify_score,
        audio_threshold=settings.audio_confirm_score,
        min_dialogue_ms=int(settings.audio_min_dialogue_s * 1000),
    )


def fused_score(video: float | None, audio: AudioMatch | None, settings: MatcherSettings,
                video_at: tuple[float, float] | None = None) -> FusedScore:
    return fuse(video, audio, fusion_params(settings), video_at=video_at)
