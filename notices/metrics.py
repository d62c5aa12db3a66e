"""Takedown metrics from case records: how fast notices go out and copies come down."""
from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta


@dataclass(frozen=True)
class CaseTimes:
    platform: str
    detected_at: datetime
    notified_at: datetime | None
    removed_at: datetime | None


def _median_s(values: list[timedelta]) -> float | None:
    return statistics.median(v.total_seconds() for v in values) if values else None


def takedown_metrics(cases: list[CaseTimes], *, window: timedelta = timedelta(hours=24)) -> dict:
    """Median detection→notice and notice→removal seconds, and per-platform takedown rate
    (share of notified cases removed within ``window`` of the notice)."""
    to_notice = [c.notified_at - c.detected_at for c in cases if c.notified_at]
    to_removal = [c.removed_at - c.notified_at for c in cases if c.notified_at and c.removed_at]
    per_platform: dict[str, list[bool]] = defaultdict(list)
    for c in cases:
        if c.notified_at:
            per_platform[c.platform].append(
                c.removed_at is not None and c.removed_at - c.notified_at <= window
            )
    return {
        "cases": len(cases),
        "notified": len(to_notice),
        "median_detect_to_notice_s": _median_s(to_notice),
        "median_notice_to_removal_s": _median_s(to_removal),
        "takedown_rate_24h": {p: sum(v) / len(v) for p, v in sorted(per_platform.items())},
    }


def false_positive_rate(approved: int, rejected: int) -> float | None:
    """Share of reviewed matches that legal staff rejected as not infringing."""
    total = approved + rejected
    return rejected / total if total else None


@dataclass(frozen=True)
class CaseOutcome:
    platform: str
    state: str
    notified_at: datetime | None
    removed_at: datetime | None
    escalated_at: datetime | None


DISPUTED_STATES = frozenset({"counter_noticed", "forwarded", "in_court"})


def compliance_by_platform(cases: list[CaseOutcome], *, now: datetime,
                           window: timedelta = timedelta(hours=24)) -> dict[str, dict]:
    """Per platform: notices sent, removed within ``window`` of the notice, still inside the
    window (sent, not removed, window not over), escalated, disputed; and the takedown rate over
    the decided notices only: a copy whose window is still running has not failed yet."""
    out: dict[str, dict] = {}
    for c in cases:
        row = out.setdefault(c.platform, {"notified": 0, "removed_24h": 0, "in_window": 0, "escalated": 0,
                                          "disputed": 0})
        row["escalated"] += c.escalated_at is not None
        row["disputed"] += c.state in DISPUTED_STATES
        if c.notified_at is None:
            continue
        row["notified"] += 1
        if c.removed_at is not None and c.removed_at - c.notified_at <= window:
            row["removed_24h"] += 1
        elif c.removed_at is None and now - c.notified_at < window:
            row["in_window"] += 1
    for row in out.values():
        decided = row["notified"] - row["in_window"]
        row["rate"] = row["removed_24h"] / decided if decided else None
    return dict(sorted(out.items()))


@dataclass(frozen=True)
class DailyFigures:
    """One value per day of the window, for the dashboard's charts."""

    days: list[date]
    detections: dict[str, list[float]]  # per platform, by day detected
    slowest_minutes: list[float]  # slowest detection → notice, by day detected
    removed_24h_percent: list[float]  # of notices decided that day (removed, or window over)
    within_deadline: float | None  # share of all notices sent within the deadline


def daily_figures(cases: list[CaseTimes], *, today: date, days: int, deadline_hours: float, now: datetime,
                  window: timedelta = timedelta(hours=24)) -> DailyFigures:
    """A notice counts in the takedown rate once it is decided (removed, or its window is over):
    a copy still inside its window has not failed yet."""
    span = [today - timedelta(days=days - 1 - i) for i in range(days)]
    index = {d: i for i, d in enumerate(span)}
    detections: dict[str, list[float]] = defaultdict(lambda: [0.0] * days)
    slowest = [0.0] * days
    decided = [0] * days
    removed = [0] * days
    for c in cases:
        if (i := index.get(c.detected_at.date())) is not None:
            detections[c.platform][i] += 1
        if c.notified_at is None:
            continue
        if i is not None:
            slowest[i] = max(slowest[i], round((c.notified_at - c.detected_at).total_seconds() / 60, 1))
        if (c.removed_at is not None or now - c.notified_at >= window) and \
                (j := index.get(c.notified_at.date())) is not None:
            decided[j] += 1
            removed[j] += c.removed_at is not None and c.removed_at - c.notified_at <= window
    within = [(c.notified_at - c.detected_at).total_seconds() <= deadline_hours * 3600
              for c in cases if c.notified_at is not None]
    return DailyFigures(span, dict(sorted(detections.items())), slowest,
                        [100 * r / n if n else 0.0 for r, n in zip(removed, decided)],
                        sum(within) / len(within) if within else None)
