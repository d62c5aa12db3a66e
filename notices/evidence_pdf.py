"""The evidence package as a PDF a platform's reviewer can read without our tools.

It shows what the notice cites: the package id and SHA-256, the copy (URL, uploader, upload and
capture time in the holder's zone), each matched episode's score and shares, a timeline of the
matched segments on both sides, the side-by-side keyframes in their own colours with each image's
SHA-256 (so the reviewer can check them against ``evidence.json``), and the registration receipts.
"""
from __future__ import annotations

import io
import json
from datetime import datetime
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.graphics.shapes import Drawing, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from notices.document import local_time
from notices.evidence import timecode
from notices.pdf import FONT, _styles

TIMELINE_WIDTH = 170 * mm


def _when(value: str | None, zone: str) -> str:
    return local_time(datetime.fromisoformat(value), zone) if value else "—"


def _timeline(segments: list[dict], side: str, length_ms: int, label: str) -> Drawing:
    height = 14
    drawing = Drawing(TIMELINE_WIDTH, height + 12)
    drawing.add(String(0, height + 2, label, fontName=FONT, fontSize=8))
    drawing.add(Rect(0, 0, TIMELINE_WIDTH, height, fillColor=colors.HexColor("#eeeeee"), strokeColor=None))
    for seg in segments:
        start, end = seg[f"{side}_start_ms"], seg[f"{side}_end_ms"]
        x = TIMELINE_WIDTH * start / length_ms
        width = max(1.5, TIMELINE_WIDTH * (end - start) / length_ms)
        drawing.add(Rect(x, 0, width, height, fillColor=colors.HexColor("#c0392b"), strokeColor=None))
    return drawing


def _keyframe(path: Path, max_width: float = 170 * mm, max_height: float = 70 * mm) -> Image:
    image = Image(str(path))
    scale = min(max_width / image.imageWidth, max_height / image.imageHeight)
    image.drawWidth, image.drawHeight = image.imageWidth * scale, image.imageHeight * scale
    return image


def evidence_pdf(directory: Path, *, sha256: str, time_zone: str, episode_lengths_ms: dict[int, int] | None = None,
                 title: str = "证据材料 / Evidence") -> bytes:
    """Render the package in ``directory`` (its ``evidence.json`` and keyframes) as A4 PDF."""
    manifest = json.loads((directory / "evidence.json").read_text(encoding="utf-8"))
    styles = _styles()
    para = styles["para"]
    cand = manifest["candidate"]
    flow: list = [Paragraph(escape(title), styles["title"])]
    facts = [
        ("证据包 Evidence package", manifest["evidence_id"]),
        ("SHA-256 (evidence.json)", sha256),
        ("侵权链接 URL", cand.get("url") or "—"),
        ("平台 Platform", cand.get("platform") or "—"),
        ("上传者 Uploader", f"{cand.get('uploader_name') or '—'} (ID {cand.get('uploader_id') or '—'})"),
        ("上传时间 Uploaded", _when(cand.get("uploaded_at"), time_zone)),
        ("取证时间 Captured", _when(cand.get("captured_at") or manifest.get("created_at"), time_zone)),
        ("副本 SHA-256 Copy", cand.get("media_sha256") or "—"),
    ]
    table = Table([[Paragraph(escape(k), para), Paragraph(escape(str(v)), para)] for k, v in facts],
                  colWidths=[45 * mm, 125 * mm])
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.3, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    flow += [table, Spacer(1, 4 * mm)]
    for match in manifest["matches"]:
        flow.append(Paragraph(escape(
            f"第{match['episode_number']}集 Episode {match['episode_number']}: 相似度 score {match['score']:.2f}, "
            f"副本覆盖 copy share {match['query_share'] * 100:.0f}%, 原片覆盖 original share "
            f"{match['ref_share'] * 100:.0f}%, 匹配 matched {match['matched_ms'] / 1000:.1f} s"), styles["heading"]))
        segments = match["segments"]
        query_len = max([s["query_end_ms"] for s in segments] + [1])
        ref_len = max([(episode_lengths_ms or {}).get(match["episode_id"], 0)]
                      + [s["ref_end_ms"] for s in segments] + [1])
        flow.append(_timeline(segments, "query", query_len, f"副本 copy (≥ {query_len / 1000:.0f} s)"))
        flow.append(_timeline(segments, "ref", ref_len, f"原片 original ({ref_len / 1000:.0f} s)"))
        rows = [["#", "副本 copy", "原片 original", "score"]] + [
            [str(i), f"{timecode(s['query_start_ms'])}–{timecode(s['query_end_ms'])}",
             f"{timecode(s['ref_start_ms'])}–{timecode(s['ref_end_ms'])}", f"{s['score']:.2f}"]
            for i, s in enumerate(segments, start=1)]
        seg_table = Table(rows, colWidths=[10 * mm, 55 * mm, 55 * mm, 25 * mm])
        seg_table.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT), ("FONTSIZE", (0, 0), (-1, -1), 8),
                                       ("GRID", (0, 0), (-1, -1), 0.3, colors.grey)]))
        flow += [Spacer(1, 2 * mm), seg_table, Spacer(1, 3 * mm)]
    if manifest["keyframes"]:
        flow.append(Paragraph("关键帧对比（左：侵权副本，右：权利作品）/ Keyframes (left: copy, right: original)",
                              styles["heading"]))
    for frame in manifest["keyframes"]:
        flow.append(_keyframe(directory / frame["file"]))
        flow.append(Paragraph(escape(f"{frame['file']}: 副本 copy {timecode(frame['query_ms'])} ↔ 原片 original "
                                     f"{timecode(frame['ref_ms'])} · SHA-256 {frame['sha256']}"), styles["url"]))
    for receipt in manifest.get("registration_receipts", []):
        flow.append(Paragraph(escape(f"作品存证 Registration receipt: {json.dumps(receipt, ensure_ascii=False)}"),
                              styles["url"]))
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4, title=title, author="DramaGuard", invariant=1,
                      leftMargin=20 * mm, rightMargin=20 * mm, topMargin=18 * mm, bottomMargin=18 * mm).build(flow)
    return buffer.getvalue()
