"""What waits for a person, counted: cases for legal review, notices that could not be delivered,
escalated copies (still up after their notice) and disputes (``dramaguard status``)."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from notices.lifecycle import CaseState
from storage.cases import Case, Delivery

WAITING_STATES = {
    "review": (CaseState.PENDING_REVIEW,),
    "escalated": (CaseState.NOT_REMOVED, CaseState.ESCALATED),
    "disputed": (CaseState.COUNTER_NOTICED, CaseState.FORWARDED, CaseState.IN_COURT),
}


def waiting_counts(session: Session) -> dict[str, int]:
    """Per kind of work waiting, how many items (every tenant: the operator's view)."""
    def cases_in(states: tuple[CaseState, ...]) -> int:
        return int(session.scalar(select(func.count()).select_from(Case).where(
            Case.state.in_([s.value for s in states]))) or 0)

    blocked = int(session.scalar(select(func.count()).select_from(Delivery).where(Delivery.status == "failed")) or 0)
    return {"review": cases_in(WAITING_STATES["review"]), "blocked": blocked,
            "escalated": cases_in(WAITING_STATES["escalated"]), "disputed": cases_in(WAITING_STATES["disputed"])}
