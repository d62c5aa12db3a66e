"""Dashboard figures from case times: detections per day and platform, time to notice against
the deadline, and the share of notified copies taken down within 24 hours."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from markupsafe import Markup

from dramaguard.web.charts import bar_chart
from notices.metrics import CaseTimes, takedown_metrics

DAYS = 14


@dataclass(frozen=True)
class Dashboard:
    detections: Markup
    time_to_notice: Markup
    takedown_rate: Markup
    summary: dict


def build(rows: list[tuple[str, datetime, datetime | None, datetime | None]], *, today: date,
          deadline_hours: float, labels: dict[str, str], now: datetime | None = None,
          window: timedelta = timedelta(hours=24)) -> Dashboard:
    """``rows`` are (platform, detected, notified, removed) of the last ``DAYS`` days.

    The takedown rate counts a notice once it is decided (removed, or its window is over): a copy
    still inside its window has not failed yet."""
    now = now or datetime.now(UTC)
    days = [today - timedelta(days=DAYS - 1 - i) for i in range(DAYS)]
    index = {d: i for i, d in enumerate(days)}
    names = [d.strftime("%m-%d") for d in days]

    detections: dict[str, list[float]] = defaultdict(lambda: [0.0] * DAYS)
    slowest = [0.0] * DAYS
    notified = [0] * DAYS
    removed_24h = [0] * DAYS
    for platform, detected, notified_at, removed_at in rows:
        if (i := index.get(detected.date())) is not None:
            detections[platform][i] += 1
        if notified_at is None:
            continue
        minutes = (notified_at - detected).total_seconds() / 60
        if (i := index.get(detected.date())) is not None:
            slowest[i] = max(slowest[i], round(minutes, 1))
        decided = removed_at is not None or now - notified_at >= window
        if decided and (j := index.get(notified_at.date())) is not None:
            notified[j] += 1
            removed_24h[j] += removed_at is not None and removed_at - notified_at <= window
    rate = [100 * r / n if n else 0.0 for r, n in zip(removed_24h, notified)]
    metrics = takedown_metrics([CaseTimes(*row) for row in rows])
    within = [
        (n - d).total_seconds() <= deadline_hours * 3600 for _, d, n, _ in rows if n is not None
    ]
    summary = {
        **metrics,
        "within_deadline": (sum(within) / len(within)) if within else None,
    }
    return Dashboard(
        detections=bar_chart(names, dict(sorted(detections.items())) or {"—": [0.0] * DAYS},
                             label=labels["chart.detections"]),
        time_to_notice=bar_chart(names, {labels["chart.slowest"]: slowest}, label=labels["chart.time_to_notice"],
                                 reference=(deadline_hours * 60, f"{deadline_hours:g} h")),
        takedown_rate=bar_chart(names, {labels["chart.removed_24h"]: rate}, label=labels["chart.takedown"],
                                percent=True),
        summary=summary,
    )
