"""Server-rendered SVG bar charts for the dashboard: no JavaScript, no CDN, readable offline.

One chart kind serves all three dashboard panels: stacked bars per category, an optional
horizontal reference line (the 2-hour notice deadline), values as counts or percentages.
"""
from __future__ import annotations

from html import escape

from markupsafe import Markup

PALETTE = ("#c0392b", "#2471a3", "#229954", "#d68910", "#7d3c98", "#17a589", "#5d6d7e")
WIDTH, HEIGHT = 560, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 14, 46


def _nice_ceiling(value: float) -> float:
    """The smallest 1/2/5 × 10^k at or above ``value`` (axis top)."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** len(str(int(value))) / 10
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def bar_chart(
    categories: list[str],
    series: dict[str, list[float]],
    *,
    label: str,
    reference: tuple[float, str] | None = None,
    percent: bool = False,
) -> Markup:
    """Stacked bars: one bar per category, one colour per series; ``reference`` = (value, label)."""
    totals = [sum(values[i] for values in series.values()) for i in range(len(categories))]
    top = 100.0 if percent else _nice_ceiling(max(totals + [reference[0] if reference else 0, 1]))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(categories), 1)
    bar_w = max(2.0, slot * 0.7)

    def y(value: float) -> float:
        return TOP + plot_h - plot_h * min(value, top) / top

    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(label)}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(label)}</title>'
    ]
    for tick in (0, 0.25, 0.5, 0.75, 1):
        value = top * tick
        text = f"{value:.0f}%" if percent else (f"{value:g}")
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value):.1f}" y2="{y(value):.1f}" stroke="#e5e8eb"/>'
            f'<text x="{LEFT - 4}" y="{y(value) + 4:.1f}" text-anchor="end">{text}</text>'
        )
    for i, category in enumerate(categories):
        x = LEFT + i * slot + (slot - bar_w) / 2
        base = 0.0
        for colour, (name, values) in zip(PALETTE * 4, series.items()):
            value = values[i]
            if value <= 0:
                continue
            parts.append(
                f'<rect x="{x:.1f}" y="{y(base + value):.1f}" width="{bar_w:.1f}" '
                f'height="{y(base) - y(base + value):.1f}" fill="{colour}">'
                f"<title>{escape(name)} · {escape(category)}: {value:g}{'%' if percent else ''}</title></rect>"
            )
            base += value
        if len(categories) <= 16 or i % max(1, len(categories) // 8) == 0:
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{HEIGHT - BOTTOM + 14}" text-anchor="middle">{escape(category)}</text>'
            )
    if reference is not None:
        value, text = reference
        parts.append(
            f'<line class="reference" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
            f'stroke="#c0392b" stroke-dasharray="5 3" stroke-width="1.5"/>'
            f'<text x="{WIDTH - RIGHT}" y="{y(value) - 4:.1f}" text-anchor="end" style="fill:#c0392b">{escape(text)}</text>'
        )
    x = LEFT
    for colour, name in zip(PALETTE * 4, series):
        parts.append(
            f'<rect x="{x}" y="{HEIGHT - 16}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{x + 14}" y="{HEIGHT - 7}">{escape(name)}</text>'
        )
        x += 22 + 7 * len(name)
    parts.append("</svg>")
    return Markup("".join(parts))
