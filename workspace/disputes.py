"""Disputes and repeat infringers, over the case state machine and its audit log.

A counter-notice against a sent notice moves the case to ``counter_noticed`` and, as the legal
user recording it works for the rights holder, straight on to ``forwarded``, with the restore
window (10–14 business days, notices.disputes) in the audit row and ``counter_notice_until``
set to its end (the watchdog alerts then). The legal user then withdraws the claim (closed) or
goes to court (in_court, ``legal_action``).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from notices.disputes import restore_window
from notices.errors import IllegalTransition
from notices.lifecycle import CaseEvent, CaseState
from storage import cases as repo
from storage import scoped
from storage.cases import Case
from workspace.errors import Conflict, NotFound

DISPUTABLE = frozenset({CaseState.NOTIFIED, CaseState.NOT_REMOVED, CaseState.ESCALATED, CaseState.REMOVED})
DECIDABLE = frozenset({CaseState.FORWARDED})


def record_counter_notice(case: Case, *, notice_id: int, sender: str, contact: str, statement: str,
                          received_at: datetime, actor: str, now: datetime, session: Session) -> CaseState:
    notice = next((n for n in scoped.notices_for_case(case.id, session=session) if n.id == notice_id), None)
    if notice is None:
        raise NotFound("notice not found for this case")
    if CaseState(case.state) not in DISPUTABLE:
        raise Conflict(f"case {case.id} is {case.state}: no notice to dispute")
    window = restore_window(received_at)
    detail = {"notice": notice.public_id, "sender": sender, "contact": contact, "statement": statement,
              "received_at": received_at.isoformat(), "restore_from": window.restore_from.isoformat(),
              "restore_by": window.restore_by.isoformat()}
    repo.transition(session, case, CaseEvent.COUNTER_NOTICE, actor=actor, at=now, detail=detail)
    state = repo.transition(session, case, CaseEvent.FORWARD, actor=actor, at=now,
                            detail={"restore_by": window.restore_by.isoformat()})
    case.counter_notice_until = window.restore_by
    return state


def decide_dispute(case: Case, *, court: bool, note: str, actor: str, now: datetime, session: Session) -> CaseState:
    event = CaseEvent.FILE_SUIT if court else CaseEvent.WITHDRAW
    try:
        state = repo.transition(session, case, event, actor=actor, at=now, detail={"note": note})
    except IllegalTransition:
        raise Conflict(f"case {case.id} is {case.state}: no dispute to decide") from None
    case.legal_action = court
    return state


def dispute_of(case: Case) -> dict | None:
    """The latest counter-notice's facts from the audit log (what the page shows)."""
    for event in reversed(case.events):
        if event.event == CaseEvent.COUNTER_NOTICE:
            return dict(event.detail)
    return None


def uploader_key(case: Case) -> str | None:
    return case.uploader_id or case.uploader_name


def same_uploader_count(case: Case, *, holder_id: int | None, session: Session) -> int:
    """Cases (this one included) of the same uploader on the same platform, in the caller's view."""
    key = uploader_key(case)
    if not key:
        return 0
    query = select(func.count()).select_from(Case).where(
        Case.platform == case.platform, or_(Case.uploader_id == key, Case.uploader_name == key))
    if holder_id is not None:
        query = query.where(Case.holder_id == holder_id)
    return int(session.scalar(query) or 0)


def repeat_infringers(*, holder_id: int | None, minimum: int, session: Session) -> list[tuple]:
    """(platform, uploader key, name, cases, notified cases, last detected) with ``minimum``+ cases."""
    key = func.coalesce(Case.uploader_id, Case.uploader_name)
    query = (select(Case.platform, key, func.max(Case.uploader_name), func.count(),
                    func.count(Case.notified_at), func.max(Case.detected_at))
             .where(key.is_not(None)).group_by(Case.platform, key).having(func.count() >= minimum)
             .order_by(func.count().desc(), func.max(Case.detected_at).desc()))
    if holder_id is not None:
        query = query.where(Case.holder_id == holder_id)
    return [tuple(row) for row in session.execute(query)]
