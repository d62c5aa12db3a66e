"""Small parsers for form fields people type by hand, and the text types every API body and HTML
form reads free text through.

``Line`` and ``Text`` make typed text inert before it is stored: control characters (NUL, ESC,
C1), bidi overrides/isolates (Trojan Source, U+202E) and, in a ``Line``, line breaks become one
space; a ``Text`` (notes, statements) keeps its line breaks as ``\n`` (a textarea posts CRLF).
Pages, notices, PDFs and the CSV export then never meet them, whatever the database.
"""
from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

from notices.render import CONTROL_CHARS

SEPARATORS = ("，", "、", "；", ";", "\n")
LINE_BREAKS = re.compile(r"\r\n?|[\n\x85\u2028\u2029]")


def plain_line(text: str) -> str:
    """One line of typed text as stored: control, bidi and line-break characters → one space."""
    return CONTROL_CHARS.sub(" ", text).strip()


def plain_text(text: str) -> str:
    """Typed text with its line breaks (as ``\n``); every other control or bidi character → space."""
    return "\n".join(CONTROL_CHARS.sub(" ", line).rstrip() for line in LINE_BREAKS.split(text)).strip()


Line = Annotated[str, AfterValidator(plain_line)]
Text = Annotated[str, AfterValidator(plain_text)]


def split_names(text: str) -> list[str]:
    """Names separated by "," "，" "、" (or ";" / new lines), blanks and repeats dropped, order kept:
    Chinese users type the full-width comma or the enumeration comma as often as the ASCII one."""
    for sep in SEPARATORS:
        text = text.replace(sep, ",")
    parts = (plain_line(part) for part in plain_text(text).split(","))
    return list(dict.fromkeys(part for part in parts if part))
