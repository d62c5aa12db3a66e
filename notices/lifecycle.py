"""The case state machine: every allowed transition is listed; anything else raises.

detected/approved → notified → removed | not_removed → escalated; review cases start in
pending_review; a counter-notice stops all further notices for the item and starts the wait.
"""
from __future__ import annotations

from enum import StrEnum

from notices.errors import IllegalTransition


class CaseState(StrEnum):
    DETECTED = "detected"  # policy said notify; notice due
    PENDING_REVIEW = "pending_review"  # legal staff must decide
    APPROVED = "approved"  # reviewed: notice due
    REJECTED = "rejected"  # reviewed: not infringing (remembered)
    TRACKED = "tracked"  # recorded only
    ALLOWLISTED = "allowlisted"  # a licensed copy; never noticed
    NOTIFIED = "notified"  # first notice delivered; re-checking
    NOT_REMOVED = "not_removed"  # still up after the removal window; escalation due
    ESCALATED = "escalated"  # second notice delivered, flagged for legal action
    REMOVED = "removed"
    COUNTER_NOTICED = "counter_noticed"  # uploader disputes; no re-notice
    FORWARDED = "forwarded"  # counter-notice forwarded to the holder; 15-day wait
    IN_COURT = "in_court"  # the holder went to court over a counter-notice: the copy stays down
    CLOSED = "closed"


class CaseEvent(StrEnum):
    REQUEST_REVIEW = "request_review"
    APPROVE = "approve"
    REJECT = "reject"
    NOTICE_SENT = "notice_sent"
    REMOVED = "removed"
    NOT_REMOVED = "not_removed"
    ESCALATION_SENT = "escalation_sent"
    COUNTER_NOTICE = "counter_notice"
    FORWARD = "forward"
    CLOSE = "close"
    WITHDRAW = "withdraw"  # the holder withdraws the claim after a counter-notice
    FILE_SUIT = "file_suit"  # the holder starts court action before the restore date
    ALLOWLIST = "allowlist"  # found to be licensed before any notice went out


S, E = CaseState, CaseEvent
TRANSITIONS: dict[tuple[CaseState, CaseEvent], CaseState] = {
    (S.DETECTED, E.REQUEST_REVIEW): S.PENDING_REVIEW,
    (S.TRACKED, E.REQUEST_REVIEW): S.PENDING_REVIEW,
    (S.PENDING_REVIEW, E.APPROVE): S.APPROVED,
    (S.PENDING_REVIEW, E.REJECT): S.REJECTED,
    (S.DETECTED, E.REJECT): S.REJECTED,
    (S.DETECTED, E.NOTICE_SENT): S.NOTIFIED,
    (S.APPROVED, E.NOTICE_SENT): S.NOTIFIED,
    (S.DETECTED, E.REMOVED): S.REMOVED,
    (S.PENDING_REVIEW, E.REMOVED): S.REMOVED,
    (S.APPROVED, E.REMOVED): S.REMOVED,
    (S.NOTIFIED, E.REMOVED): S.REMOVED,
    (S.NOT_REMOVED, E.REMOVED): S.REMOVED,
    (S.ESCALATED, E.REMOVED): S.REMOVED,
    (S.NOTIFIED, E.NOT_REMOVED): S.NOT_REMOVED,
    (S.NOT_REMOVED, E.ESCALATION_SENT): S.ESCALATED,
    (S.NOTIFIED, E.COUNTER_NOTICE): S.COUNTER_NOTICED,
    (S.NOT_REMOVED, E.COUNTER_NOTICE): S.COUNTER_NOTICED,
    (S.ESCALATED, E.COUNTER_NOTICE): S.COUNTER_NOTICED,
    (S.REMOVED, E.COUNTER_NOTICE): S.COUNTER_NOTICED,
    (S.COUNTER_NOTICED, E.FORWARD): S.FORWARDED,
    (S.FORWARDED, E.CLOSE): S.CLOSED,
    (S.FORWARDED, E.WITHDRAW): S.CLOSED,
    (S.FORWARDED, E.FILE_SUIT): S.IN_COURT,
    (S.IN_COURT, E.CLOSE): S.CLOSED,
    (S.ESCALATED, E.CLOSE): S.CLOSED,
    (S.DETECTED, E.ALLOWLIST): S.ALLOWLISTED,
    (S.PENDING_REVIEW, E.ALLOWLIST): S.ALLOWLISTED,
    (S.APPROVED, E.ALLOWLIST): S.ALLOWLISTED,
    (S.TRACKED, E.ALLOWLIST): S.ALLOWLISTED,
    (S.NOT_REMOVED, E.ALLOWLIST): S.ALLOWLISTED,
}
del S, E

#: States in which a (first) notice is due.
NOTICE_DUE = frozenset({CaseState.DETECTED, CaseState.APPROVED})
#: States whose URL is re-checked for removal.
RECHECKED = frozenset({CaseState.NOTIFIED, CaseState.ESCALATED})
#: States that never get another notice.
NO_NOTICE = frozenset(CaseState) - NOTICE_DUE - {CaseState.NOT_REMOVED}


def next_state(state: CaseState, event: CaseEvent) -> CaseState:
    """The state after ``event``; an event the state does not allow raises IllegalTransition."""
    try:
        return TRANSITIONS[(CaseState(state), CaseEvent(event))]
    except KeyError:
        raise IllegalTransition(f"event {event!s} is not allowed in state {state!s}") from None
