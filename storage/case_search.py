"""Searching a tenant's cases: the filters of the /cases page, its CSV export and the API.

One :class:`CaseFilter` serves the page, the export and the dashboard's click-through figures,
so a number on the dashboard and the list it links to are the same query.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, selectinload

from notices.lifecycle import CaseState
from storage.cases import Case

#: deadline filters: notice due and the deadline passed / within the next 24 hours
DEADLINES = ("overdue", "24h")
#: states whose notice is still due (or waits for review): the deadline matters
OPEN_STATES = (CaseState.DETECTED.value, CaseState.APPROVED.value, CaseState.PENDING_REVIEW.value)
#: the dashboard's compliance figures, each a list of cases (see ``figure`` below)
FIGURES = ("notified", "removed_24h", "in_window", "escalated", "disputed")
DISPUTED = (CaseState.COUNTER_NOTICED.value, CaseState.FORWARDED.value, CaseState.IN_COURT.value)


@dataclass(frozen=True)
class CaseFilter:
    work_id: int | None = None
    platform: str | None = None
    state: str | None = None
    deadline: str | None = None  # one of DEADLINES
    uploader: str | None = None  # uploader id or name, exact
    q: str | None = None  # part of the copy's title or URL
    figure: str | None = None  # one of FIGURES
    since: datetime | None = None  # detected at or after

    def query_params(self) -> dict[str, str]:
        """The filter as URL query parameters (empty ones left out), for links and paging."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value not in (None, ""):
                out[f.name] = value.isoformat() if isinstance(value, datetime) else str(value)
        return out


def _filtered(query: Select, flt: CaseFilter, *, now: datetime, window_h: float) -> Select:
    if flt.work_id is not None:
        query = query.where(Case.work_id == flt.work_id)
    if flt.platform:
        query = query.where(Case.platform == flt.platform)
    if flt.state:
        query = query.where(Case.state == flt.state)
    if flt.deadline in DEADLINES:
        query = query.where(Case.state.in_(OPEN_STATES))
        limit = now if flt.deadline == "overdue" else now + timedelta(hours=24)
        query = query.where(Case.notice_deadline < limit)
    if flt.uploader:
        query = query.where(or_(Case.uploader_id == flt.uploader, Case.uploader_name == flt.uploader))
    if flt.q:
        pattern = "%" + flt.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(Case.title.ilike(pattern, escape="\\"), Case.url.ilike(pattern, escape="\\")))
    if flt.since is not None:
        query = query.where(Case.detected_at >= flt.since)
    window = timedelta(hours=window_h)
    if flt.figure == "notified":
        query = query.where(Case.notified_at.is_not(None))
    elif flt.figure == "in_window":
        query = query.where(Case.notified_at.is_not(None), Case.removed_at.is_(None),
                            Case.notified_at > now - window)
    elif flt.figure == "escalated":
        query = query.where(Case.escalated_at.is_not(None))
    elif flt.figure == "disputed":
        query = query.where(Case.state.in_(DISPUTED))
    return query


def search_cases(flt: CaseFilter, *, holder_id: int | None, now: datetime, limit: int, offset: int = 0,
                 window_h: float = 24.0, session: Session) -> tuple[list[Case], int]:
    """(one page of matching cases, newest first; the number of all matching cases)."""
    base = select(Case) if holder_id is None else select(Case).where(Case.holder_id == holder_id)
    query = _filtered(base, flt, now=now, window_h=window_h)
    if flt.figure == "removed_24h":
        # compared in Python: date arithmetic in SQL differs between SQLite and PostgreSQL
        pairs = session.execute(_filtered(select(Case.id, Case.notified_at, Case.removed_at), flt, now=now,
                                          window_h=window_h).where(Case.holder_id == holder_id if holder_id
                                                                   is not None else True,
                                                                   Case.notified_at.is_not(None),
                                                                   Case.removed_at.is_not(None)))
        window = timedelta(hours=window_h)
        query = query.where(Case.id.in_([i for i, n, r in pairs if r - n <= window]))
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = session.scalars(
        query.options(selectinload(Case.work), selectinload(Case.episode))
        .order_by(Case.detected_at.desc(), Case.id.desc()).limit(limit).offset(offset)
    )
    return list(rows), total or 0


def case_platforms(*, holder_id: int | None, session: Session) -> list[str]:
    query = select(Case.platform).distinct().order_by(Case.platform)
    if holder_id is not None:
        query = query.where(Case.holder_id == holder_id)
    return list(session.scalars(query))
