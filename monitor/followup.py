"""After the notice: re-checks of noticed URLs (removed, or escalation due), the deadline
watchdog's alerts, and the takedown metrics."""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from monitor.config import NoticeSettings
from notices.casework import (
    deadline_policy,
    decide_check,
)
from notices.clock import Clock
from notices.deadlines import DeadlinePolicy, Urgency
from notices.lifecycle import NOTICE_DUE, RECHECKED, CaseState
from notices.metrics import CaseTimes, false_positive_rate, takedown_metrics
from storage import cases as repo
from storage import alerts
from storage.cases import Case
from storage.db import transaction

log = logging.getLogger(__name__)


async def recheck_removals(sessions: sessionmaker[Session], *,
                           url_is_down: Callable[[str], Awaitable[bool]], clock: Clock,
                           settings: NoticeSettings) -> dict[int, str]:
    """Re-check noticed URLs that are due; returns case id → new state or 'still_up'.

    Still up when the removal window has passed: a first notice moves to ``not_removed`` (the
    dispatcher then sends the escalation), an escalated case raises a legal-action alert.
    """
    policy = deadline_policy(settings)
    now = clock.now()
    with transaction(sessions) as session:
        due = [(c.id, c.url) for c in repo.cases_in(session, RECHECKED)
               if c.next_check_at is not None and c.next_check_at <= now]
    outcome: dict[int, str] = {}
    for case_id, url in due:
        try:
            down = await url_is_down(url)
        except Exception as exc:  # a failed check says nothing; try again next interval
            log.warning("re-check of case %s failed: %r", case_id, exc)
            continue
        with transaction(sessions) as session:
            outcome[case_id] = _apply_check(session, session.get(Case, case_id), down,
                                            clock.now(), policy)
    return outcome


def _apply_check(session: Session, case: Case, down: bool, now, policy: DeadlinePolicy) -> str:
    case.last_checked_at = now
    check = decide_check(case.state, down=down, now=now, notified_at=case.notified_at,
                         escalated_at=case.escalated_at, policy=policy)
    if check.event is not None:
        repo.transition(session, case, check.event, actor="recheck", at=now)
    if check.removed:
        case.removed_at = now
    case.next_check_at = check.next_check_at
    if check.event is not None:
        return case.state
    if not check.legal_action:
        return "still_up"
    alerts.raise_alert(session, kind="legal_action", at=now, case_id=case.id,
                     dedupe_key=f"legal_action:{case.id}",
                     message=f"case {case.id}: {case.url} still up after the second notice")
    return "still_up"


def run_watchdog(session: Session, *, clock: Clock, settings: NoticeSettings) -> list[str]:
    """Alert before and at the notice deadline, and when a counter-notice wait ends.
    Returns the dedupe keys of alerts raised now (each is raised once)."""
    policy = deadline_policy(settings)
    now = clock.now()
    raised = []
    for case in repo.cases_in(session, NOTICE_DUE | {CaseState.PENDING_REVIEW}):
        urgency = policy.urgency(case.notice_deadline, now)
        if urgency is Urgency.OK:
            continue
        key = f"deadline_{urgency}:{case.id}"
        message = (f"case {case.id} ({case.platform}): notice deadline "
                   f"{case.notice_deadline.isoformat()} {urgency}")
        if alerts.raise_alert(session, kind=f"deadline_{urgency}", message=message,
                            dedupe_key=key, at=now, case_id=case.id):
            log.warning(message)
            raised.append(key)
    for case in repo.cases_in(session, {CaseState.FORWARDED}):
        if case.counter_notice_until and now >= case.counter_notice_until:
            key = f"counter_notice_over:{case.id}"
            if alerts.raise_alert(session, kind="counter_notice_over", dedupe_key=key, at=now,
                                case_id=case.id,
                                message=f"case {case.id}: counter-notice wait is over"):
                raised.append(key)
    return raised


def casework_metrics(session: Session, *, settings: NoticeSettings) -> dict:
    cases = session.scalars(select(Case)).all()
    times = [CaseTimes(c.platform, c.detected_at, c.notified_at, c.removed_at) for c in cases]
    metrics = takedown_metrics(times, window=timedelta(hours=settings.removal_window_hours))
    metrics["false_positive_rate"] = false_positive_rate(*repo.review_counts(session))
    return metrics
