"""Tenant-scoped reads of the registry for the API and UI.

Every function takes ``holder_id``: the tenant the caller may see, or ``None`` for an admin. The
filter lives here, in the query, so a page or endpoint cannot forget it.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from notices.lifecycle import CaseState
from notices.metrics import CaseOutcome
from storage.cases import Case, Notice, NoticeItemRow
from storage.receipts import RegistrationReceiptRow
from storage.work_rules import AllowlistEntry, ExcludedInterval, PolicyRuleRow
from storage.models import Episode, Fingerprint, RightsHolder, Work


def _works(holder_id: int | None) -> Select:
    query = select(Work)
    return query if holder_id is None else query.where(Work.holder_id == holder_id)


def list_works(*, holder_id: int | None, session: Session) -> list[tuple[Work, int]]:
    """Works with their episode counts, by title."""
    counts = (
        select(Episode.work_id, func.count().label("n")).group_by(Episode.work_id).subquery()
    )
    query = (
        _works(holder_id)
        .add_columns(func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.work_id == Work.id)
        .order_by(Work.title, Work.id)
    )
    return [(work, count) for work, count in session.execute(query)]


def get_work(work_id: int, *, holder_id: int | None, session: Session) -> Work | None:
    if not -(2**63) <= work_id < 2**63:  # no row has such an id; SQLite would overflow on it
        return None
    return session.scalar(
        _works(holder_id)
        .where(Work.id == work_id)
        .options(selectinload(Work.episodes).selectinload(Episode.fingerprint), selectinload(Work.holder))
    )


def receipts_of(work: Work, *, session: Session) -> dict[int, RegistrationReceiptRow]:
    """Issued registration receipts of the work's episodes, by episode id."""
    ids = [e.id for e in work.episodes]
    rows = session.scalars(select(RegistrationReceiptRow).where(RegistrationReceiptRow.episode_id.in_(ids)))
    return {row.episode_id: row for row in rows}


def episode_receipt(episode: Episode, receipt: RegistrationReceiptRow | None = None) -> dict:
    """What the registration proves: file hash, fingerprint digest and parameters, time, and
    the issued receipt (its id and the SHA-256 of its canonical body) once there is one."""
    fp: Fingerprint | None = episode.fingerprint
    return {
        "receipt_id": receipt.receipt_id if receipt else None,
        "receipt_sha256": receipt.sha256 if receipt else None,
        "sha256": episode.sha256,
        "size_bytes": episode.size_bytes,
        "fingerprint_digest": fp.digest if fp else None,
        "frame_count": fp.frame_count if fp else 0,
        "algorithm": episode.fp_algorithm,
        "version": episode.fp_version,
        "params": episode.fp_params,
        "registered_at": episode.registered_at,
    }


def list_holders(*, session: Session) -> list[RightsHolder]:
    return list(session.scalars(select(RightsHolder).order_by(RightsHolder.name)))


# ---- casework ---------------------------------------------------------------------------------

def _cases(holder_id: int | None) -> Select:
    query = select(Case)
    return query if holder_id is None else query.where(Case.holder_id == holder_id)


def review_queue(*, holder_id: int | None, session: Session) -> list[Case]:
    """Cases waiting for legal staff, the nearest notice deadline first."""
    query = (
        _cases(holder_id)
        .where(Case.state == CaseState.PENDING_REVIEW.value)
        .options(selectinload(Case.work))
        .order_by(Case.notice_deadline, Case.id)
    )
    return list(session.scalars(query))


def get_case(case_id: int, *, holder_id: int | None, session: Session) -> Case | None:
    return session.scalar(
        _cases(holder_id)
        .where(Case.id == case_id)
        .options(selectinload(Case.work), selectinload(Case.episode), selectinload(Case.events))
    )


def notices_for_case(case_id: int, *, session: Session) -> list[Notice]:
    return list(
        session.scalars(
            select(Notice)
            .join(NoticeItemRow, NoticeItemRow.notice_id == Notice.id)
            .where(NoticeItemRow.case_id == case_id)
            .options(selectinload(Notice.delivery))
            .order_by(Notice.id)
        )
    )


def list_notices(*, holder_id: int | None, limit: int = 100, offset: int = 0, session: Session) -> list[Notice]:
    query = select(Notice).options(selectinload(Notice.delivery), selectinload(Notice.items))
    if holder_id is not None:
        query = query.where(Notice.holder_id == holder_id)
    return list(session.scalars(query.order_by(Notice.id.desc()).limit(limit).offset(offset)))


def get_notice(notice_id: int, *, holder_id: int | None, session: Session) -> Notice | None:
    query = select(Notice).where(Notice.id == notice_id).options(
        selectinload(Notice.delivery), selectinload(Notice.items)
    )
    if holder_id is not None:
        query = query.where(Notice.holder_id == holder_id)
    return session.scalar(query)


def _allow_entries(holder_id: int | None) -> Select:
    query = select(AllowlistEntry)
    if holder_id is None:
        return query
    own_works = select(Work.id).where(Work.holder_id == holder_id)
    return query.where((AllowlistEntry.holder_id == holder_id) | AllowlistEntry.work_id.in_(own_works))


def list_allow_entries(*, holder_id: int | None, session: Session) -> list[AllowlistEntry]:
    return list(session.scalars(_allow_entries(holder_id).order_by(AllowlistEntry.id)))


def get_allow_entry(entry_id: int, *, holder_id: int | None, session: Session) -> AllowlistEntry | None:
    return session.scalar(_allow_entries(holder_id).where(AllowlistEntry.id == entry_id))


def list_policy_rules(work_id: int, *, session: Session) -> list[PolicyRuleRow]:
    """Rules of a work the caller has already been allowed to see (check with ``get_work``)."""
    query = select(PolicyRuleRow).where(PolicyRuleRow.work_id == work_id)
    return list(session.scalars(query.order_by(PolicyRuleRow.priority, PolicyRuleRow.id)))


def get_policy_rule(rule_id: int, *, holder_id: int | None, session: Session) -> PolicyRuleRow | None:
    query = select(PolicyRuleRow).where(PolicyRuleRow.id == rule_id)
    if holder_id is not None:
        query = query.join(Work, Work.id == PolicyRuleRow.work_id).where(Work.holder_id == holder_id)
    return session.scalar(query)


def case_times(*, holder_id: int | None, since: datetime, session: Session) -> list[tuple[str, datetime, datetime | None, datetime | None]]:
    """(platform, detected, notified, removed) of cases detected since ``since``, for the dashboard."""
    query = select(Case.platform, Case.detected_at, Case.notified_at, Case.removed_at).where(
        Case.detected_at >= since
    )
    if holder_id is not None:
        query = query.where(Case.holder_id == holder_id)
    return [tuple(row) for row in session.execute(query.order_by(Case.detected_at))]


def list_exclusions(work: Work, *, session: Session) -> list[ExcludedInterval]:
    """Excluded intervals of a work the caller may see, by episode and start."""
    ids = [e.id for e in work.episodes]
    query = select(ExcludedInterval).where(ExcludedInterval.episode_id.in_(ids))
    return list(session.scalars(query.order_by(ExcludedInterval.episode_id, ExcludedInterval.start_ms)))


def get_exclusion(exclusion_id: int, *, holder_id: int | None, session: Session) -> ExcludedInterval | None:
    query = select(ExcludedInterval).where(ExcludedInterval.id == exclusion_id)
    if holder_id is not None:
        query = (query.join(Episode, Episode.id == ExcludedInterval.episode_id)
                 .join(Work, Work.id == Episode.work_id).where(Work.holder_id == holder_id))
    return session.scalar(query)


def case_outcomes(*, holder_id: int | None, session: Session) -> list:
    """Every case's platform, state and notice/removal/escalation times, for the compliance table."""
    query = select(Case.platform, Case.state, Case.notified_at, Case.removed_at, Case.escalated_at)
    if holder_id is not None:
        query = query.where(Case.holder_id == holder_id)
    return [CaseOutcome(*row) for row in session.execute(query)]
