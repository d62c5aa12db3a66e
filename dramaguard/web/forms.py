"""Small parsers for form fields people type by hand."""
from __future__ import annotations

SEPARATORS = ("，", "、", "；", ";", "\n")


def split_names(text: str) -> list[str]:
    """Names separated by "," "，" "、" (or ";" / new lines), blanks and repeats dropped, order kept:
    Chinese users type the full-width comma or the enumeration comma as often as the ASCII one."""
    for sep in SEPARATORS:
        text = text.replace(sep, ",")
    return list(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
