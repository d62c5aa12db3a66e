"""The casework rules without a database: plain objects in, decisions out."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from notices.casework import (
    STAGE_ESCALATION,
    STAGE_NOTICE,
    allows,
    decide_check,
    group_due,
    match_from_json,
    match_to_json,
    needs_review,
    preview_stage,
    route,
    strongest,
    to_episode_match,
)
from notices.deadlines import DeadlinePolicy
from notices.lifecycle import CaseEvent, CaseState
from notices.policy import Action, Decision

NOW = datetime(2026, 12, 6, 12, tzinfo=UTC)
POLICY = DeadlinePolicy(notice_within=timedelta(hours=24), warn_before=timedelta(hours=2),
                        removal_window=timedelta(hours=24), recheck_interval=timedelta(hours=1),
                        counter_notice_wait=timedelta(days=15))


def report(**kw):
    base = dict(work_id=1, episode_id=10, episode=1, score=0.9, query_coverage=0.5, ref_coverage=0.4,
                query_start=1.0, query_end=31.0, ref_start=2.0, ref_end=32.0, segments=[])
    return SimpleNamespace(**{**base, **kw})


def test_report_without_segments_becomes_one_span_in_ms_and_round_trips_json() -> None:
    match = to_episode_match(report())
    assert [(s.query_start_ms, s.query_end_ms, s.ref_start_ms, s.ref_end_ms) for s in match.segments] == [
        (1000, 31000, 2000, 32000)]
    assert match_from_json(match_to_json(match)) == match


def test_a_span_heard_but_not_seen_takes_the_reports_score() -> None:
    """Audio-only reports carry similarity None per segment; casework must not crash on them."""
    heard = report(score=0.49, segments=[{"query": [0.0, 8.0], "ref": [1.0, 9.0], "similarity": None}])
    match = to_episode_match(heard)
    assert [s.score for s in match.segments] == [0.49]
    assert match_from_json(match_to_json(match)) == match


def test_strongest_action_wins_before_length() -> None:
    long_track = (Decision(Action.TRACK, None), to_episode_match(report(query_end=91.0)))
    short_notify = (Decision(Action.NOTIFY, None), to_episode_match(report()))
    assert strongest([long_track, short_notify]) is short_notify


def test_tracked_case_goes_to_review_only_for_a_stronger_action() -> None:
    assert needs_review(CaseState.TRACKED.value, Action.NOTIFY)
    assert not needs_review(CaseState.TRACKED.value, Action.TRACK)
    assert not needs_review(CaseState.DETECTED.value, Action.NOTIFY)


def test_lifecycle_table_decides_what_a_case_may_do() -> None:
    assert allows(CaseState.DETECTED.value, CaseEvent.ALLOWLIST)
    assert not allows(CaseState.REMOVED.value, CaseEvent.NOTICE_SENT)


def test_due_cases_group_by_work_platform_stage_and_skip_claimed() -> None:
    a = SimpleNamespace(id=1, work_id=7, platform="douyin")
    b = SimpleNamespace(id=2, work_id=7, platform="douyin")
    c = SimpleNamespace(id=3, work_id=7, platform="kuaishou")
    groups = group_due([(STAGE_NOTICE, [a, b, c]), (STAGE_ESCALATION, [a])], {STAGE_NOTICE: {2}})
    assert groups == {(7, "douyin", STAGE_NOTICE): [a], (7, "kuaishou", STAGE_NOTICE): [c],
                      (7, "douyin", STAGE_ESCALATION): [a]}


def test_preview_stage_and_route() -> None:
    assert preview_stage(CaseState.NOT_REMOVED.value) == STAGE_ESCALATION
    assert preview_stage(CaseState.DETECTED.value) == STAGE_NOTICE
    settings = SimpleNamespace(platform_channels={"douyin": "email"}, default_channel="http",
                               email_recipients={"douyin": "legal@example.com"},
                               complaint_api_urls={"kuaishou": "http://127.0.0.1/complaints"})
    assert route(settings, "douyin") == ("email", "legal@example.com")
    assert route(settings, "kuaishou") == ("http", "http://127.0.0.1/complaints")
    assert route(settings, "bilibili") == ("http", None)


def test_recheck_decisions() -> None:
    sent = NOW - timedelta(hours=1)
    assert decide_check("notified", down=True, now=NOW, notified_at=sent, escalated_at=None,
                        policy=POLICY).event is CaseEvent.REMOVED
    early = decide_check("notified", down=False, now=NOW, notified_at=sent, escalated_at=None, policy=POLICY)
    assert early.event is None and early.next_check_at == POLICY.next_check(NOW, sent)
    old = NOW - timedelta(hours=30)
    late = decide_check("notified", down=False, now=NOW, notified_at=old, escalated_at=None, policy=POLICY)
    assert late.event is CaseEvent.NOT_REMOVED and late.next_check_at is None
    legal = decide_check("escalated", down=False, now=NOW, notified_at=old, escalated_at=old, policy=POLICY)
    assert legal.legal_action and legal.event is None
