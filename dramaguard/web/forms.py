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

from markupsafe import Markup
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


#: what a page never shows as is: C0/C1 controls but tab and line feed; bidi overrides/isolates
UNSHOWN = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def shown(value: object) -> object:
    """The UI's Jinja ``finalize``: every ``{{ value }}`` shows a control or bidi character as
    U+FFFD, visibly — text stored as the uploader set it (titles, names: evidence) can then
    neither reorder what a reviewer reads (Trojan Source) nor put a NUL in a page."""
    if isinstance(value, str) and UNSHOWN.search(value):
        cleaned = UNSHOWN.sub("\ufffd", value.replace("\r\n", "\n"))
        return Markup(cleaned) if isinstance(value, Markup) else cleaned
    return value


Line = Annotated[str, AfterValidator(plain_line)]
Text = Annotated[str, AfterValidator(plain_text)]


def split_names(text: str) -> list[str]:
    """Names separated by "," "，" "、" (or ";" / new lines), blanks and repeats dropped, order kept:
    Chinese users type the full-width comma or the enumeration comma as often as the ASCII one."""
    for sep in SEPARATORS:
        text = text.replace(sep, ",")
    parts = (plain_line(part) for part in plain_text(text).split(","))
    return list(dict.fromkeys(part for part in parts if part))
