"""Dashboard and compliance figures from case times (pure: plain rows in, numbers out)."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from notices.metrics import CaseTimes, daily_figures, takedown_metrics

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
TODAY = NOW.date()


def at(days_ago: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime.combine(TODAY - timedelta(days=days_ago), datetime.min.time(), UTC).replace(hour=hour, minute=minute)


def test_daily_figures_count_a_takedown_only_once_its_notice_is_decided() -> None:
    cases = [
        # two days ago: noticed after 30 min, removed after 3 h (inside 24 h)
        CaseTimes("douyin", at(2), at(2, 9, 30), at(2, 12, 30)),
        # two days ago: noticed after 3 h (late against 2 h), never removed: its window is over
        CaseTimes("kuaishou", at(2), at(2, 12), None),
        # today: noticed, still inside its 24-hour window: not a failure yet
        CaseTimes("douyin", at(0, 8), at(0, 8, 10), None),
        CaseTimes("douyin", at(0, 8), None, None),  # detected, no notice
        CaseTimes("douyin", at(30), at(30, 10), None),  # outside the window: counted nowhere per day
    ]
    figures = daily_figures(cases, today=TODAY, days=14, deadline_hours=2, now=NOW)
    assert figures.days[-1] == TODAY and figures.days[0] == TODAY - timedelta(days=13)
    assert figures.detections["douyin"][-3] == 1 and figures.detections["douyin"][-1] == 2
    assert figures.detections["kuaishou"][-3] == 1
    assert figures.slowest_minutes[-3] == 180.0 and figures.slowest_minutes[-1] == 10.0
    assert figures.removed_24h_percent[-3] == 50.0  # 1 of 2 decided notices removed within 24 h
    assert figures.removed_24h_percent[-1] == 0.0  # today's notice is undecided: no figure, not 0 of 1
    assert figures.within_deadline == 3 / 4  # 30 min, 10 min and 60 min in time; 180 min late


def test_no_notices_give_no_share_rather_than_zero() -> None:
    figures = daily_figures([CaseTimes("douyin", at(1), None, None)], today=TODAY, days=7, deadline_hours=2,
                            now=NOW)
    assert figures.within_deadline is None and sum(figures.removed_24h_percent) == 0
    assert takedown_metrics([])["median_detect_to_notice_s"] is None
    assert isinstance(figures.days[0], date)
