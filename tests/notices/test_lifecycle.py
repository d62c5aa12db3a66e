"""The case state machine: every listed transition works, every other pair raises."""
from __future__ import annotations

import itertools

import pytest

from notices.errors import IllegalTransition
from notices.lifecycle import NO_NOTICE, NOTICE_DUE, TRANSITIONS, CaseEvent, CaseState, next_state


@pytest.mark.parametrize(("state", "event"), sorted(TRANSITIONS))
def test_allowed_transitions(state: CaseState, event: CaseEvent) -> None:
    assert next_state(state, event) is TRANSITIONS[(state, event)]


ILLEGAL = [pair for pair in itertools.product(CaseState, CaseEvent) if pair not in TRANSITIONS]


@pytest.mark.parametrize(("state", "event"), ILLEGAL)
def test_illegal_transitions_raise(state: CaseState, event: CaseEvent) -> None:
    with pytest.raises(IllegalTransition, match=event.value):
        next_state(state, event)


def test_happy_path_and_escalation() -> None:
    state = CaseState.PENDING_REVIEW
    for event in (CaseEvent.APPROVE, CaseEvent.NOTICE_SENT, CaseEvent.NOT_REMOVED,
                  CaseEvent.ESCALATION_SENT, CaseEvent.REMOVED):
        state = next_state(state, event)
    assert state is CaseState.REMOVED


def test_no_second_notice_after_counter_notice_or_rejection() -> None:
    disputed = next_state(CaseState.NOTIFIED, CaseEvent.COUNTER_NOTICE)
    forwarded = next_state(disputed, CaseEvent.FORWARD)
    for state in (disputed, forwarded, CaseState.REJECTED, CaseState.NOTIFIED):
        assert state in NO_NOTICE
        with pytest.raises(IllegalTransition):
            next_state(state, CaseEvent.NOTICE_SENT)
    assert NOTICE_DUE.isdisjoint(NO_NOTICE)
