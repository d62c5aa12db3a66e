"""The restore window after a counter-notice: 10 to 14 business days, weekends skipped."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from notices.disputes import add_business_days, restore_window
from notices.errors import IllegalTransition
from notices.lifecycle import CaseEvent, CaseState, next_state


def test_the_window_skips_weekends() -> None:
    friday = datetime(2026, 12, 4, 15, 30, tzinfo=UTC)
    window = restore_window(friday)
    assert window.restore_from == datetime(2026, 12, 18, 15, 30, tzinfo=UTC)  # a Friday, two weeks on
    assert window.restore_by == datetime(2026, 12, 24, 15, 30, tzinfo=UTC)  # a Thursday
    saturday = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
    assert add_business_days(saturday, 1) == datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # Monday


def test_a_forwarded_dispute_is_withdrawn_or_goes_to_court() -> None:
    assert next_state(CaseState.FORWARDED, CaseEvent.WITHDRAW) == CaseState.CLOSED
    assert next_state(CaseState.FORWARDED, CaseEvent.FILE_SUIT) == CaseState.IN_COURT
    assert next_state(CaseState.IN_COURT, CaseEvent.CLOSE) == CaseState.CLOSED
    with pytest.raises(IllegalTransition):
        next_state(CaseState.NOTIFIED, CaseEvent.FILE_SUIT)  # only after a counter-notice


def test_compliance_rates_leave_out_copies_still_inside_their_window() -> None:
    from datetime import timedelta

    from notices.metrics import CaseOutcome, compliance_by_platform

    now = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    h = timedelta(hours=1)
    cases = [
        CaseOutcome("douyin", "removed", now - 30 * h, now - 20 * h, None),  # removed in 10 h: met
        CaseOutcome("douyin", "escalated", now - 50 * h, None, now - 25 * h),  # window over, still up
        CaseOutcome("douyin", "notified", now - 2 * h, None, None),  # 2 h in: not failed yet
        CaseOutcome("douyin", "forwarded", now - 80 * h, now - 79 * h, None),  # removed, then disputed
        CaseOutcome("douyin", "pending_review", None, None, None),
        CaseOutcome("kuaishou", "notified", now - 1 * h, None, None),
    ]
    figures = compliance_by_platform(cases, now=now)
    assert figures["douyin"] == {"notified": 4, "removed_24h": 2, "in_window": 1, "escalated": 1, "disputed": 1,
                                 "rate": 2 / 3}
    assert figures["kuaishou"]["rate"] is None  # nothing decided yet: no rate, not 0 %
