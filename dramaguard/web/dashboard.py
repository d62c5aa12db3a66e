"""The dashboard's three charts and its summary, drawn from ``notices.metrics``' figures."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from markupsafe import Markup

from dramaguard.web.charts import bar_chart
from notices.metrics import CaseTimes, daily_figures, takedown_metrics

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
    """``rows`` are (platform, detected, notified, removed) of the last ``DAYS`` days."""
    cases = [CaseTimes(*row) for row in rows]
    figures = daily_figures(cases, today=today, days=DAYS, deadline_hours=deadline_hours,
                            now=now or datetime.now(UTC), window=window)
    names = [d.strftime("%m-%d") for d in figures.days]
    return Dashboard(
        detections=bar_chart(names, figures.detections or {"—": [0.0] * DAYS}, label=labels["chart.detections"]),
        time_to_notice=bar_chart(names, {labels["chart.slowest"]: figures.slowest_minutes},
                                 label=labels["chart.time_to_notice"],
                                 reference=(deadline_hours * 60, f"{deadline_hours:g} h")),
        takedown_rate=bar_chart(names, {labels["chart.removed_24h"]: figures.removed_24h_percent},
                                label=labels["chart.takedown"], percent=True),
        summary={**takedown_metrics(cases), "within_deadline": figures.within_deadline},
    )
