"""The SVG charts: well-formed, scaled to their data, labels escaped."""
from __future__ import annotations

import xml.etree.ElementTree as ET

from dramaguard.web.charts import bar_chart

NS = "{http://www.w3.org/2000/svg}"


def test_stacked_bars_scale_to_the_largest_total_and_escape_labels():
    svg = bar_chart(
        ["11-20", "11-21"],
        {"douyin": [3, 1], "<script>": [1, 0]},
        label="detections & more",
        reference=(2, "2 h"),
    )
    root = ET.fromstring(str(svg))  # parses: well-formed, nothing unescaped
    bars = [r for r in root.iter(f"{NS}rect") if r.find(f"{NS}title") is not None]
    assert len(bars) == 3  # zero values draw nothing
    heights = sorted(float(r.get("height")) for r in bars)
    assert abs(heights[-1] / heights[0] - 3) < 0.01  # 3 vs 1
    assert "<script>" not in str(svg) and "&lt;script&gt;" in str(svg)
    assert root.find(f"{NS}line[@class='reference']") is not None


def test_percent_charts_top_out_at_100():
    svg = bar_chart(["a"], {"rate": [50.0]}, label="rate", percent=True)
    root = ET.fromstring(str(svg))
    [bar] = [r for r in root.iter(f"{NS}rect") if r.find(f"{NS}title") is not None]
    full = 240 - 14 - 46
    assert abs(float(bar.get("height")) - full / 2) < 0.2
    assert "100%" in str(svg)
