"""Templates (Jinja2) → a small block markup → HTML and PDF from the same blocks.

One template per document and language, in a line markup (``# title``, ``## heading``,
``- item``, ``> url``, blank line between paragraphs), so the HTML, the PDF and the plain-text
body can never disagree about which legally required elements a notice contains.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from notices.pdf import Block, render_pdf

_MARKS = (("# ", "title"), ("## ", "heading"), ("- ", "item"), ("> ", "url"))
#: Characters that end a line somewhere (CR, LF, NEL, U+2028/9) or have no business in text: C0/C1
#: controls (NUL, ESC) and bidi embedding/override/isolate controls — an uploader's U+202E could
#: make a legal notice display its text in another order than the one it says (Trojan Source).
CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]+")


def one_line(value: Any) -> Any:
    """Every substituted value stays on its line: uploader-controlled text (a title with a newline
    and ``# ...``) can never add blocks — headings, items, links — to a legal notice."""
    return CONTROL_CHARS.sub(" ", value) if isinstance(value, str) else value


def is_web_url(value: str) -> bool:
    """Only http(s) URLs become links (never ``javascript:`` or ``data:`` from a platform)."""
    return value.lower().startswith(("http://", "https://"))


@dataclass(frozen=True)
class RenderedDocument:
    title: str
    text: str  # plain text (email body, complaint API body)
    html: str
    pdf: bytes
    parts: dict[str, str] = field(default_factory=dict)  # language → its plain text


def environment() -> Environment:
    """Templates are ours (files in the package); values are data, never template source."""
    env = Environment(
        loader=PackageLoader("notices", "templates"),
        autoescape=select_autoescape(["html", "html.j2"], default_for_string=False, default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=one_line,
    )
    env.tests["web_url"] = is_web_url
    return env


def parse_blocks(markup: str) -> list[Block]:
    blocks: list[Block] = []
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            blocks.append(Block("para", " ".join(paragraph)))
            paragraph.clear()

    for raw in markup.splitlines():
        line = raw.strip()
        if not line:
            flush()
            continue
        if line == "[seal]":  # where the seal/signature image is drawn (PDF only)
            flush()
            blocks.append(Block("seal", ""))
            continue
        kind = next((k for mark, k in _MARKS if line.startswith(mark)), None)
        if kind:
            flush()
            blocks.append(Block(kind, line[line.index(" ") + 1 :].strip()))
        else:
            paragraph.append(line)
    flush()
    return blocks


def plain_text(blocks: list[Block]) -> str:
    prefix = {"item": "- ", "url": "  "}
    return "\n\n".join(prefix.get(b.kind, "") + b.text for b in blocks if b.kind not in ("seal", "break")) + "\n"


def render_document(template: str, context: dict[str, Any], *, lang: str) -> RenderedDocument:
    return render_documents([(template, context)], lang=lang)


def render_documents(parts: Sequence[tuple[str, dict[str, Any]]], *, lang: str,
                     image: bytes | None = None) -> RenderedDocument:
    """One document from one or more templates (a bilingual notice: each language in full, the
    first one leading, a page break between them in the PDF); ``image`` fills ``[seal]``."""
    env = environment()
    blocks: list[Block] = []
    texts: dict[str, str] = {}
    for index, (template, context) in enumerate(parts):
        part = parse_blocks(env.get_template(template).render(**context))
        texts[str(context.get("lang", index))] = plain_text(part)
        if blocks:
            blocks.append(Block("break", ""))
        blocks += part
    title = next((b.text for b in blocks if b.kind == "title"), parts[0][0])
    html = env.get_template("layout.html.j2").render(title=title, blocks=blocks, lang=lang)
    return RenderedDocument(
        title=title,
        text="\n\n".join(texts.values()),
        html=html,
        pdf=render_pdf(blocks, title=title, image=image),
        parts=texts,
    )
