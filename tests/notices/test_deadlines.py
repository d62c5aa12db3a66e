"""Deadline rules read a movable clock."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from notices.clock import ManualClock
from notices.deadlines import DeadlinePolicy, Urgency


def test_notice_deadline_warning_and_breach() -> None:
    clock = ManualClock(datetime(2026, 11, 22, 8, 0, tzinfo=UTC))
    policy = DeadlinePolicy()
    deadline = policy.notice_deadline(clock.now())
    assert deadline == datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
    assert policy.urgency(deadline, clock.advance(timedelta(minutes=89))) is Urgency.OK
    assert policy.urgency(deadline, clock.advance(timedelta(minutes=1))) is Urgency.WARNING
    assert policy.urgency(deadline, clock.advance(timedelta(minutes=30))) is Urgency.BREACHED


def test_rechecks_stop_at_the_removal_window() -> None:
    policy = DeadlinePolicy(recheck_interval=timedelta(hours=5))
    notified = datetime(2026, 11, 22, tzinfo=UTC)
    assert policy.next_check(notified, notified) == notified + timedelta(hours=5)
    late = notified + timedelta(hours=22)
    assert policy.next_check(late, notified) == notified + timedelta(hours=24)


def test_manual_clock_refuses_naive_time() -> None:
    with pytest.raises(ValueError):
        ManualClock(datetime(2026, 1, 1))
