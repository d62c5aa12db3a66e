"""Audio landmark fingerprints of registered episodes (the second, independent signal)."""
from __future__ import annotations

import numpy as np
from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from fingerprint.audio import AudioFingerprint
from storage.base import Base


class AudioFingerprintRow(Base):
    """Landmark hashes (int64) and anchor times (ms, int64) as raw little-endian arrays."""

    __tablename__ = "audio_fingerprints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    episode_id: Mapped[int] = mapped_column(
        ForeignKey("episodes.id", ondelete="CASCADE"), unique=True
    )
    algorithm: Mapped[str] = mapped_column(String(50))
    version: Mapped[int] = mapped_column(Integer)
    params: Mapped[dict] = mapped_column(JSON)
    duration_ms: Mapped[int] = mapped_column(Integer)
    hashes: Mapped[bytes] = mapped_column(LargeBinary)
    times_ms: Mapped[bytes] = mapped_column(LargeBinary)


def add_audio_fingerprint(episode_id: int, fp: AudioFingerprint, *, session: Session) -> None:
    session.add(
        AudioFingerprintRow(
            episode_id=episode_id,
            algorithm=fp.algorithm,
            version=fp.version,
            params=fp.params,
            duration_ms=fp.duration_ms,
            hashes=np.ascontiguousarray(fp.hashes, dtype="<i8").tobytes(),
            times_ms=np.ascontiguousarray(fp.times_ms, dtype="<i8").tobytes(),
        )
    )


def load_audio_fingerprints(*, session: Session) -> dict[int, AudioFingerprint]:
    """Every stored audio fingerprint by episode id (the in-memory audio index is built from it)."""
    return {
        row.episode_id: AudioFingerprint(
            hashes=np.frombuffer(row.hashes, dtype="<i8").astype(np.int64),
            times_ms=np.frombuffer(row.times_ms, dtype="<i8").astype(np.int64),
            duration_ms=row.duration_ms,
            algorithm=row.algorithm,
            version=row.version,
            params=row.params,
        )
        for row in session.scalars(select(AudioFingerprintRow))
    }
