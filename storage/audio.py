"""Audio landmark fingerprints of registered episodes (the second, independent signal), and the
music exclusion bank: tracks a rights holder (or an admin, for everyone) says are not theirs."""
from __future__ import annotations

from datetime import datetime

import numpy as np
from sqlalchemy import JSON, DateTime, ForeignKey, Integer, LargeBinary, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from fingerprint.audio import AudioFingerprint
from storage.base import Base, utcnow
from storage.models import Episode, RightsHolder, Work


class AudioFingerprintRow(Base):
    """Landmark hashes (int64), anchor times (ms, int64) and kinds (uint8: 0 music, 1 dialogue;
    NULL for rows of version 1, which count as music) as raw little-endian arrays."""

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
    kinds: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)


class MusicExclusion(Base):
    """A music track that is "not ours": its landmarks are never evidence for ``holder``'s works
    (every holder's when ``holder_id`` is NULL, an admin's entry)."""

    __tablename__ = "music_exclusions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    holder_id: Mapped[int | None] = mapped_column(
        ForeignKey("rights_holders.id", ondelete="CASCADE"), nullable=True, index=True
    )
    title: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))
    algorithm: Mapped[str] = mapped_column(String(50))
    version: Mapped[int] = mapped_column(Integer)
    params: Mapped[dict] = mapped_column(JSON)
    duration_ms: Mapped[int] = mapped_column(Integer)
    hashes: Mapped[bytes] = mapped_column(LargeBinary)
    times_ms: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200), default="")


def _blob(values: np.ndarray, dtype: str) -> bytes:
    return np.ascontiguousarray(values, dtype=dtype).tobytes()


def add_audio_fingerprint(episode_id: int, fp: AudioFingerprint, *, session: Session) -> None:
    session.add(
        AudioFingerprintRow(
            episode_id=episode_id,
            algorithm=fp.algorithm,
            version=fp.version,
            params=fp.params,
            duration_ms=fp.duration_ms,
            hashes=_blob(fp.hashes, "<i8"),
            times_ms=_blob(fp.times_ms, "<i8"),
            kinds=None if fp.kinds is None else _blob(fp.kinds, "u1"),
        )
    )


def _fingerprint(row: AudioFingerprintRow | MusicExclusion, kinds: bytes | None = None) -> AudioFingerprint:
    return AudioFingerprint(
        hashes=np.frombuffer(row.hashes, dtype="<i8").astype(np.int64),
        times_ms=np.frombuffer(row.times_ms, dtype="<i8").astype(np.int64),
        duration_ms=row.duration_ms,
        algorithm=row.algorithm,
        version=row.version,
        params=row.params,
        kinds=None if kinds is None else np.frombuffer(kinds, dtype="u1").copy(),
    )


def load_audio_fingerprints(*, session: Session) -> dict[int, tuple[AudioFingerprint, int, int]]:
    """Every stored audio fingerprint by episode id, with its (holder id, work id): the in-memory
    audio index is built from it."""
    rows = session.execute(
        select(AudioFingerprintRow, Work.holder_id, Episode.work_id)
        .join(Episode, Episode.id == AudioFingerprintRow.episode_id)
        .join(Work, Work.id == Episode.work_id)
    )
    return {row.episode_id: (_fingerprint(row, row.kinds), holder, work) for row, holder, work in rows}


def audio_signature(*, session: Session) -> tuple:
    """Changes whenever an audio fingerprint or a bank entry is added or removed (cheap: counts
    and newest ids), so another process's in-memory index knows to reload."""
    from sqlalchemy import func

    return tuple(session.execute(select(func.count(t.id), func.max(t.id))).one()
                 for t in (AudioFingerprintRow, MusicExclusion))


def add_music_exclusion(fp: AudioFingerprint, *, title: str, sha256: str, holder: RightsHolder | None,
                        created_by: str, session: Session) -> MusicExclusion:
    row = MusicExclusion(
        holder_id=holder.id if holder else None, title=title, sha256=sha256, algorithm=fp.algorithm,
        version=fp.version, params=fp.params, duration_ms=fp.duration_ms,
        hashes=_blob(fp.hashes, "<i8"), times_ms=_blob(fp.times_ms, "<i8"), created_by=created_by,
    )
    session.add(row)
    session.flush()
    return row


def music_exclusions(*, session: Session, holder_id: int | None = None,
                     everyone: bool = True) -> list[MusicExclusion]:
    """Bank entries, oldest first: a holder's own (``holder_id``) plus, with ``everyone``, the
    admin's entries for all; ``holder_id`` None and ``everyone``: the whole bank."""
    query = select(MusicExclusion).order_by(MusicExclusion.id)
    if holder_id is not None:
        own = MusicExclusion.holder_id == holder_id
        query = query.where(own | MusicExclusion.holder_id.is_(None) if everyone else own)
    return list(session.scalars(query))


def exclusion_fingerprint(row: MusicExclusion) -> AudioFingerprint:
    return _fingerprint(row)
