"""Daemon persistence: the durable candidate queue, the last run of every job, the heartbeat.

The queue table is the daemon's memory across crashes: discovery writes a candidate here before
the platform cursor moves on, and a candidate leaves the ``pending`` state only in the same
transaction that records its outcome (and opens its cases in storage.cases). A ``kill -9`` therefore leaves each
candidate either pending (it is processed again) or finished (it is not) — never half-done.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy import JSON, Float, Integer, String, Text, UniqueConstraint, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from crawler.models import Candidate
from storage.base import Base, UTCDateTime, utcnow

PENDING, DONE, FAILED = "pending", "done", "failed"


class QueuedCandidate(Base):
    """A video found on a platform, waiting for (or done with) sample → fingerprint → match."""

    __tablename__ = "candidate_queue"
    __table_args__ = (UniqueConstraint("platform", "video_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(50))
    video_id: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    uploader_id: Mapped[str | None] = mapped_column(String(200))
    uploader_name: Mapped[str | None] = mapped_column(String(300))
    uploaded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    duration_s: Mapped[float | None] = mapped_column(Float)
    view_count: Mapped[int | None] = mapped_column(Integer)
    media_url: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(300), doc="which listing found it")
    discovered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    state: Mapped[str] = mapped_column(String(20), default=PENDING, index=True)
    outcome: Mapped[str | None] = mapped_column(String(30), doc="matched | no_match | gone | failed")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    sample_path: Mapped[str | None] = mapped_column(Text)
    sample_sha256: Mapped[str | None] = mapped_column(String(64))
    captured_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), doc="when the sample was fetched")
    matches: Mapped[list[dict]] = mapped_column(JSON, default=list)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class JobRun(Base):
    """The last run of each scheduled job, for ``dramaguard status`` and ``/healthz``."""

    __tablename__ = "job_runs"

    job_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ok: Mapped[bool | None] = mapped_column()
    error: Mapped[str | None] = mapped_column(Text)
    duration_s: Mapped[float | None] = mapped_column(Float)
    runs: Mapped[int] = mapped_column(Integer, default=0)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    summary: Mapped[dict] = mapped_column(JSON, default=dict)


class DaemonHeartbeat(Base):
    """One row per daemon process; ``stopped_at`` is set on a clean shutdown only."""

    __tablename__ = "daemon_heartbeats"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pid: Mapped[int] = mapped_column(Integer)
    host: Mapped[str] = mapped_column(String(200))
    health_url: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    live: Mapped[dict] = mapped_column(JSON, default=dict, doc="queue sizes at the last beat")


@dataclass(frozen=True)
class NewCandidate:
    """A discovered video to queue: what the platform said, which listing found it, when it is due."""

    candidate: Candidate
    source: str
    deadline_at: datetime


# -- the candidate queue -------------------------------------------------------------------------
def enqueue(candidates: Iterable[NewCandidate], *, session: Session) -> list[tuple[int, datetime]]:
    """Insert candidates not yet queued (by platform and video id); returns (id, deadline) of new rows."""
    added = []
    for c in candidates:
        exists = session.scalar(
            select(QueuedCandidate.id).where(
                QueuedCandidate.platform == c.candidate.platform,
                QueuedCandidate.video_id == c.candidate.video_id,
            )
        )
        if exists is not None:
            continue
        row = QueuedCandidate(**asdict(c.candidate), source=c.source, deadline_at=c.deadline_at,
                              state=PENDING, attempts=0, matches=[])
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:  # another process queued it between the select and the insert
            continue
        added.append((row.id, row.deadline_at))
    return added


def next_pending(limit: int, *, exclude: Sequence[int] = (), session: Session) -> list[QueuedCandidate]:
    """The most urgent pending candidates (earliest deadline first)."""
    query = (
        select(QueuedCandidate)
        .where(QueuedCandidate.state == PENDING)
        .order_by(QueuedCandidate.deadline_at, QueuedCandidate.id)
        .limit(limit)
    )
    if exclude:
        query = query.where(QueuedCandidate.id.not_in(list(exclude)))
    return list(session.scalars(query))


def get(candidate_id: int, *, session: Session) -> QueuedCandidate | None:
    return session.get(QueuedCandidate, candidate_id)


def counts(*, session: Session) -> dict[str, int]:
    rows = session.execute(
        select(QueuedCandidate.state, func.count()).group_by(QueuedCandidate.state)
    )
    found = {state: n for state, n in rows}
    return {state: found.get(state, 0) for state in (PENDING, DONE, FAILED)}


def backlog(*, session: Session) -> int:
    return session.scalar(
        select(func.count()).select_from(QueuedCandidate).where(QueuedCandidate.state == PENDING)
    ) or 0


def overdue_pending(now: datetime, within: timedelta, *, session: Session) -> list[QueuedCandidate]:
    """Pending candidates whose notice deadline is within ``within`` of ``now`` (or past)."""
    return list(
        session.scalars(
            select(QueuedCandidate)
            .where(QueuedCandidate.state == PENDING, QueuedCandidate.deadline_at <= now + within)
            .order_by(QueuedCandidate.deadline_at)
        )
    )


# -- job runs and heartbeats ---------------------------------------------------------------------
def job_started(job_id: str, *, session: Session) -> None:
    row = session.get(JobRun, job_id)
    if row is None:
        row = JobRun(job_id=job_id, runs=0, failures=0, summary={})
        session.add(row)
    row.started_at = utcnow()


def job_finished(
    job_id: str, *, ok: bool, duration_s: float, error: str | None = None,
    summary: dict | None = None, session: Session,
) -> None:
    row = session.get(JobRun, job_id)
    if row is None:
        row = JobRun(job_id=job_id, runs=0, failures=0, started_at=utcnow())
        session.add(row)
    row.finished_at, row.ok, row.error = utcnow(), ok, error
    row.duration_s = round(duration_s, 3)
    row.runs = (row.runs or 0) + 1
    row.failures = (row.failures or 0) + (not ok)
    row.summary = summary or {}


def job_runs(*, session: Session) -> list[JobRun]:
    return list(session.scalars(select(JobRun).order_by(JobRun.job_id)))


def start_heartbeat(pid: int, host: str, health_url: str | None, *, session: Session) -> int:
    row = DaemonHeartbeat(pid=pid, host=host, health_url=health_url, live={})
    session.add(row)
    session.flush()
    return row.id


def beat(heartbeat_id: int, live: dict, *, stopped: bool = False, session: Session) -> None:
    row = session.get(DaemonHeartbeat, heartbeat_id)
    if row is None:
        return
    row.beat_at, row.live = utcnow(), live
    if stopped:
        row.stopped_at = row.beat_at


def latest_heartbeat(*, session: Session) -> DaemonHeartbeat | None:
    return session.scalar(select(DaemonHeartbeat).order_by(DaemonHeartbeat.id.desc()).limit(1))
