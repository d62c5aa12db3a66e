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
