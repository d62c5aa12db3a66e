"""Takedown metrics from case records: how fast notices go out and copies come down."""
from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta


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
