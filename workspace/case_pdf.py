"""A court-ready case file as PDF: the facts, the matched segments, the keyframes in colour with
their hashes, the registration receipt of the original, the notices sent with their delivery
receipts, and the full audit log, in the reader's language and time zone.

Keyframes are read through ``keyframe_bytes``, which refuses a file that no longer matches the
sealed evidence manifest, so the PDF never shows altered evidence.
"""
from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from notices.pdf import _register_font  # the embedded CJK font the notices use
from storage.cases import Case, Notice
from storage.receipts import RegistrationReceiptRow
from workspace.evidence import EvidenceError, keyframe_bytes, manifest, timelines


def _styles() -> dict[str, ParagraphStyle]:
    font = _register_font()
    base = ParagraphStyle("p", fontName=font, fontSize=9.5, leading=14, wordWrap="CJK")
    return {"title": ParagraphStyle("t", parent=base, fontSize=16, leading=24, spaceAfter=6),
            "h": ParagraphStyle("h", parent=base, fontSize=12, leading=18, spaceBefore=8, spaceAfter=4),
            "p": base, "small": ParagraphStyle("s", parent=base, fontSize=8, leading=11)}


def _table(rows: list[list], styles, widths=None) -> Table:
    cells = [[Paragraph(escape(str(c)), styles["small"]) for c in row] for row in rows]
    table = Table(cells, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                               ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return table


def case_pdf(case: Case, notices: list[Notice], receipt: RegistrationReceiptRow | None, *, home: Path,
             _: Callable[[str], str], when: Callable, ep: Callable, label: Callable, generated_by: str) -> bytes:
    s = _styles()
    flow: list = [Paragraph(escape(f"{_('case')} {case.id} · {case.work.title}"), s["title"])]
    facts = [
        [_("copy"), f"{case.url}" + (f" — {case.title}" if case.title else "")],
        [_("platform"), case.platform],
        [_("uploader"), f"{case.uploader_name or '—'} ({case.uploader_id or '—'})"],
        [_("views"), "—" if case.view_count is None else f"{case.view_count:,}"],
        [_("original"), f"{ep(case.episode.number)} · {case.episode.source_name}" if case.episode else "—"],
        [_("score"), f"{case.score:.2f} · {_('matched')} {case.matched_ms / 1000:.1f} s · "
                     f"{_('query_share')} {case.query_share:.0%} · {_('ref_share')} {case.ref_share:.0%}"],
        [_("state"), label(case.state)],
        [_("reason"), f"{label(case.action, 'action')} · {label(case.policy_reason, 'reason')}"],
        [_("detected_at"), when(case.detected_at, seconds=True)],
        [_("ws.registration_number"), case.work.registration_number or "—"],
    ]
    flow.append(_table(facts, s, [35 * mm, 140 * mm]))
    query_bars, ref_bars, _q, _r = timelines(case)
    flow.append(Paragraph(escape(_("timeline")), s["h"]))
    flow.append(_table([["#", _("copy"), _("original")]] +
                       [[i + 1, q.label, r.label] for i, (q, r) in enumerate(zip(query_bars, ref_bars))], s,
                       [10 * mm, 80 * mm, 85 * mm]))
    flow.append(Paragraph(escape(_("evidence")), s["h"]))
    data = manifest(case, home) or {}
    flow.append(Paragraph(escape(f"{case.evidence_id or '—'} · SHA-256 {case.evidence_sha256 or '—'}"), s["small"]))
    for index, entry in enumerate(data.get("keyframes", []), start=1):
        try:
            body = keyframe_bytes(case, home, index)
        except (LookupError, EvidenceError) as exc:
            flow.append(Paragraph(escape(f"#{index}: {exc}"), s["small"]))
            continue
        image = Image(io.BytesIO(body))
        scale = min(170 * mm / image.imageWidth, 70 * mm / image.imageHeight)
        image.drawWidth, image.drawHeight = image.imageWidth * scale, image.imageHeight * scale
        flow += [image, Paragraph(escape(
            f"#{index} · {entry.get('query_ms', 0) / 1000:.1f} s ↔ {entry.get('ref_ms', 0) / 1000:.1f} s · "
            f"SHA-256 {hashlib.sha256(body).hexdigest()}"), s["small"]), Spacer(1, 3 * mm)]
    flow.append(Paragraph(escape(_("receipt")), s["h"]))
    flow.append(Paragraph(escape(f"{receipt.receipt_id} · SHA-256 {receipt.sha256} · {when(receipt.issued_at)}"
                                 if receipt else "—"), s["small"]))
    if case.episode:
        flow.append(Paragraph(escape(f"{case.episode.source_name} · SHA-256 {case.episode.sha256}"), s["small"]))
    flow.append(Paragraph(escape(_("notices")), s["h"]))
    rows = [["ID", _("ws.pdf.stage"), _("ws.pdf.recipient"), _("ws.pdf.delivery"), _("ws.pdf.key")]]
    for n in notices:
        d = n.delivery
        rows.append([n.public_id, n.stage, n.recipient,
                     f"{d.status} {when(d.sent_at, seconds=True) if d and d.sent_at else ''}".strip() if d else "—",
                     f"{d.key} {d.external_id or ''}".strip() if d else "—"])
    flow.append(_table(rows, s, [28 * mm, 18 * mm, 45 * mm, 42 * mm, 42 * mm]))
    flow.append(Paragraph(escape(_("history")), s["h"]))
    events = [[_("ws.pdf.time"), _("ws.pdf.actor"), _("ws.pdf.event"), _("state"), _("note")]]
    events += [[when(e.at, seconds=True), e.actor, label(e.event, "event"),
                f"{label(e.from_state)} → {label(e.to_state)}",
                "; ".join(f"{k}: {v}" for k, v in (e.detail or {}).items())] for e in case.events]
    flow.append(_table(events, s, [34 * mm, 34 * mm, 25 * mm, 40 * mm, 42 * mm]))
    flow.append(Spacer(1, 4 * mm))
    flow.append(Paragraph(escape(_("ws.pdf.generated").format(who=generated_by)), s["small"]))
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
                      bottomMargin=15 * mm, title=f"case {case.id}", author="DramaGuard").build(flow)
    return out.getvalue()
