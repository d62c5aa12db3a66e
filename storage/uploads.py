"""Episode uploads waiting for or going through fingerprinting, so their progress can be followed.

A job is owned by the tenant of its work; every read filters on it (``holder_id=None`` means an
admin, who sees all).
"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from storage.base import Base, UTCDateTime, utcnow


class UploadState(enum.StrEnum):
    QUEUED = "queued"
    FINGERPRINTING = "fingerprinting"
    REGISTERED = "registered"
    FAILED = "failed"


class UploadJob(Base):
    __tablename__ = "upload_jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder_id: Mapped[int] = mapped_column(ForeignKey("rights_holders.id", ondelete="CASCADE"), index=True)
    work_id: Mapped[int] = mapped_column(ForeignKey("works.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    episode_number: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(500))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(20), default=UploadState.QUEUED)
    error: Mapped[str | None] = mapped_column(Text)
    episode_id: Mapped[int | None] = mapped_column(ForeignKey("episodes.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


def get_job(job_id: str, *, holder_id: int | None, session: Session) -> UploadJob | None:
    query = select(UploadJob).where(UploadJob.id == job_id)
    if holder_id is not None:
        query = query.where(UploadJob.holder_id == holder_id)
    return session.scalar(query)


def jobs_for_work(work_id: int, *, session: Session) -> list[UploadJob]:
    return list(
        session.scalars(
            select(UploadJob).where(UploadJob.work_id == work_id).order_by(UploadJob.created_at.desc())
        )
    )


def set_state(
    job_id: str,
    state: UploadState,
    *,
    error: str | None = None,
    episode_id: int | None = None,
    session: Session,
) -> None:
    job = session.get(UploadJob, job_id)
    if job is None:  # the work (and its jobs) was deleted meanwhile
        return
    job.state, job.error, job.updated_at = state, error, utcnow()
    if episode_id is not None:
        job.episode_id = episode_id


def fail_unfinished(reason: str, *, session: Session) -> int:
    """Jobs a previous process left half-way: their temporary files are gone, say so."""
    result = session.execute(
        update(UploadJob)
        .where(UploadJob.state.in_([UploadState.QUEUED, UploadState.FINGERPRINTING]))
        .values(state=UploadState.FAILED, error=reason, updated_at=utcnow())
    )
    return result.rowcount
