"""Nothing fails silently: blocked notices, deliveries given up or retrying, deadlines at risk.

Each problem is read from the real state (alerts, deliveries, cases), so the case page, the
review queue, ``dramaguard status``, /healthz and the alerts page all say the same thing, and
each says what to do. A blocked notice's alert names the missing elements in its dedupe key
(``blocked:<case>:<stage>:<code+code>``), so a page can explain them in the reader's language.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from notices.completeness import ELEMENTS, describe
from notices.lifecycle import NOTICE_DUE, CaseState
from storage import alerts
from storage.alerts import Alert
from storage.cases import Case, Delivery, Notice, NoticeItemRow

BLOCKED = "notice_blocked"
PREFIX = "blocked:"


def block(session: Session, cases: list[Case], *, stage: str, at: datetime, missing: tuple[str, ...],
          message: str) -> None:
    """One alert per case (per set of missing elements); older ones for the case are closed."""
    codes = "+".join(missing) or "unknown"
    for case in cases:
        key = f"{PREFIX}{case.id}:{stage}:{codes}"
        for old in _open_blocks(session, case.id):
            if old.dedupe_key != key:
                old.acknowledged = True
        what = describe(c for c in missing if c in ELEMENTS) or message
        alerts.raise_alert(session, kind=BLOCKED, at=at, case_id=case.id, dedupe_key=key,
                         message=f"notice for case {case.id} blocked, not sent: {message}. To unblock: {what}")


def _open_blocks(session: Session, case_id: int) -> list[Alert]:
    return list(session.scalars(select(Alert).where(
        Alert.case_id == case_id, Alert.kind == BLOCKED, Alert.acknowledged.is_(False))))


def unblock(session: Session, cases: list[Case]) -> None:
    """The notice was recorded: its cases are no longer blocked."""
    for case in cases:
        for alert in _open_blocks(session, case.id):
            alert.acknowledged = True


def resolve(session: Session, case_id: int, delivery_id: int) -> None:
    """Sent at last: close the case's blocked and delivery-failed alerts."""
    for alert in session.scalars(select(Alert).where(
            Alert.acknowledged.is_(False),
            (Alert.dedupe_key == f"delivery_failed:{delivery_id}") | ((Alert.case_id == case_id) & (Alert.kind == BLOCKED)))):
        alert.acknowledged = True


def missing_codes(alert: Alert) -> list[str]:
    if not alert.dedupe_key.startswith(PREFIX):
        return []
    return [c for c in alert.dedupe_key.rsplit(":", 1)[-1].split("+") if c in ELEMENTS or c == "recipient"]


@dataclass(frozen=True)
class Problem:
    kind: str  # notice_blocked | delivery_given_up | delivery_retrying | deadline_at_risk | deadline_missed
    case_id: int | None
    message: str  # English, with what to do
    missing: tuple[str, ...] = ()  # element codes (notice_blocked)
    notice_id: str | None = None

    def as_dict(self) -> dict:
        return {"kind": self.kind, "case_id": self.case_id, "message": self.message,
                "missing": list(self.missing), "notice_id": self.notice_id}


def problems(session: Session, *, now: datetime, warn_before: timedelta, holder_id: int | None = None,
             case_id: int | None = None) -> list[Problem]:
    """Every problem a person must act on now, newest state first, limited to a tenant or a case."""
    found: list[Problem] = []
    due = {s.value for s in NOTICE_DUE | {CaseState.NOT_REMOVED}}
    query = select(Alert, Case).join(Case, Alert.case_id == Case.id).where(
        Alert.kind == BLOCKED, Alert.acknowledged.is_(False), Case.state.in_(due))
    if holder_id is not None:
        query = query.where(Case.holder_id == holder_id)
    if case_id is not None:
        query = query.where(Case.id == case_id)
    for alert, case in session.execute(query.order_by(Alert.id)):
        found.append(Problem(BLOCKED, case.id, alert.message, tuple(missing_codes(alert))))
    deliveries = select(Delivery, Notice).join(Notice, Delivery.notice_id == Notice.id).where(
        (Delivery.status == "failed") | ((Delivery.status == "sending") & Delivery.last_error.is_not(None)))
    if holder_id is not None:
        deliveries = deliveries.where(Notice.holder_id == holder_id)
    if case_id is not None:
        deliveries = deliveries.where(Notice.id.in_(select(NoticeItemRow.notice_id).where(
            NoticeItemRow.case_id == case_id)))
    for delivery, notice in session.execute(deliveries.order_by(Delivery.id)):
        first_case = notice.items[0].case_id if notice.items else None
        if delivery.status == "failed":
            found.append(Problem(
                "delivery_given_up", first_case, f"notice {notice.public_id} was refused for good after "
                f"{delivery.attempts} attempt(s): {delivery.last_error}. To unblock: check the recipient "
                f"address and the channel settings; the notice and its PDF are on the case page to send by hand.",
                notice_id=notice.public_id))
        else:
            found.append(Problem(
                "delivery_retrying", first_case, f"notice {notice.public_id} not delivered yet after "
                f"{delivery.attempts} attempt(s): {delivery.last_error}. It is retried on every dispatch run; "
                "check the mail server / complaint API (notices.smtp_host, complaint_api_urls).",
                notice_id=notice.public_id))
    cases = select(Case).where(Case.state.in_([s.value for s in NOTICE_DUE | {CaseState.PENDING_REVIEW}]),
                               Case.notice_deadline <= now + warn_before)
    if holder_id is not None:
        cases = cases.where(Case.holder_id == holder_id)
    if case_id is not None:
        cases = cases.where(Case.id == case_id)
    for case in session.scalars(cases.order_by(Case.notice_deadline)):
        missed = case.notice_deadline <= now
        what = ("review it now" if case.state == CaseState.PENDING_REVIEW.value
                else "unblock its notice (see above) or send it by hand")
        found.append(Problem(
            "deadline_missed" if missed else "deadline_at_risk", case.id,
            f"case {case.id}: notice deadline {case.notice_deadline.isoformat()} "
            f"{'has passed' if missed else 'is near'}; {what}."))
    return found
