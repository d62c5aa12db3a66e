"""Sending a refused notice again, when a person says so.

A delivery refused for good (a 5xx from the platform's mail server, a notice blocked for a
missing document) waits for a person: the daemon never re-sends it on its own, because the
same notice would be refused the same way. Once legal staff have fixed the cause (the desk's
address, the claimant profile, a proof), they send it again: the delivery goes back to the
outbox as ``sending`` with its key, so the next dispatch pass sends it exactly like a retry
(same notice number and Message-ID), and each case of the notice records who asked, when.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.alerts import Alert
from storage.cases import Case, CaseEventRow, Notice


class NotRefused(Exception):
    """Only a delivery refused for good can be sent again (others are sent, or on their way)."""


def send_again(session: Session, notice: Notice, *, actor: str, at: datetime) -> None:
    """Put ``notice``'s refused delivery back in the outbox; the alert it raised is acknowledged,
    so a second refusal raises a fresh one."""
    delivery = notice.delivery
    if delivery is None or delivery.status != "failed":
        state = delivery.status if delivery else "not queued"
        raise NotRefused(f"notice {notice.public_id} is {state}, not refused: nothing to send again")
    delivery.status = "sending"
    delivery.lease_until = None
    key = f"delivery_failed:{delivery.id}"
    alert = session.scalar(select(Alert).where(Alert.dedupe_key == key))
    if alert is not None:
        alert.acknowledged = True
        alert.dedupe_key = f"{key}:acknowledged:{at.isoformat()}"
    for item in notice.items:
        case = session.get_one(Case, item.case_id)
        session.add(CaseEventRow(case_id=case.id, at=at, actor=actor, event="send_again",
                                 from_state=case.state, to_state=case.state,
                                 detail={"notice": notice.public_id, "last_error": (delivery.last_error or "")[:500]}))
