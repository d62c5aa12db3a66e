"""Blocks of text → PDF with reportlab, Chinese included.

The CJK font (WenQuanYi Micro Hei, TrueType outlines) ships in a PyPI package and is embedded as
a subset, so the PDF renders the same on a machine without Chinese system fonts; reportlab's
built-in STSong-Light is *not* embedded and draws nothing in such viewers.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Image, PageBreak, Paragraph, SimpleDocTemplate, Spacer

FONT = "DramaGuardCJK"


@dataclass(frozen=True)
class Block:
    """One unit of a document: ``kind`` is title, heading, para, item or url."""

    kind: str
    text: str


@lru_cache(maxsize=1)
def _register_font() -> str:
    path = files("paperang_p2_fonts_cjk") / "fonts" / "wqy-microhei.ttc"
    pdfmetrics.registerFont(TTFont(FONT, str(path), subfontIndex=0))
    return FONT


def _styles() -> dict[str, ParagraphStyle]:
    font = _register_font()
    base = ParagraphStyle("para", fontName=font, fontSize=10.5, leading=16, wordWrap="CJK",
                          spaceAfter=4)
    return {
        "title": ParagraphStyle("title", parent=base, fontSize=18, leading=26, alignment=1,
                                spaceAfter=10),
        "heading": ParagraphStyle("heading", parent=base, fontSize=12.5, leading=20,
                                  spaceBefore=6),
        "para": base,
        "item": ParagraphStyle("item", parent=base, leftIndent=12, bulletIndent=2),
        # URLs wrap only at their own punctuation so text extraction keeps them whole
        "url": ParagraphStyle("url", parent=base, fontSize=9, leftIndent=12, wordWrap=None),
    }


def seal_flowable(png: bytes, height_mm: float = 30) -> Image:
    """The seal/signature image at a fixed height, in its own colours."""
    image = Image(io.BytesIO(png))
    ratio = image.imageWidth / image.imageHeight if image.imageHeight else 1
    image.drawHeight = height_mm * mm
    image.drawWidth = min(height_mm * ratio, 120) * mm
    image.hAlign = "LEFT"
    return image


def render_pdf(blocks: list[Block], *, title: str, image: bytes | None = None) -> bytes:
    """A4 PDF; ``invariant`` keeps the bytes stable for the same blocks (hashable).
    ``image`` (PNG/JPEG) is drawn at each ``seal`` block; without it those blocks are empty."""
    styles = _styles()
    flow = []
    for block in blocks:
        if block.kind == "break":
            flow.append(PageBreak())
            continue
        if block.kind == "seal":
            if image:
                flow.append(seal_flowable(image))
            continue
        style = styles.get(block.kind, styles["para"])
        text = escape(block.text)
        if block.kind == "item":
            flow.append(Paragraph(text, style, bulletText="•"))
        else:
            flow.append(Paragraph(text, style))
        if block.kind == "title":
            flow.append(Spacer(1, 2 * mm))
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, title=title, author="DramaGuard", creator="DramaGuard",
        leftMargin=20 * mm, rightMargin=20 * mm, topMargin=20 * mm, bottomMargin=20 * mm,
        invariant=1,
    )
    doc.build(flow)
    return buffer.getvalue()
