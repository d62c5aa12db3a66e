"""UI strings in English and Chinese. The language comes from ?lang=, then a cookie, then the browser.

The strings are data, kept in ``locales/<lang>.json`` (one object per language, the same keys in
both; ``tests/dramaguard/web/test_i18n.py`` holds that), so a translator edits a file, not code.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from pathlib import Path

from fastapi import Request

LANGUAGES = ("zh", "en")
LANG_COOKIE = "dg_lang"
LOCALES = Path(__file__).with_name("locales")


@cache
def messages(lang: str) -> dict[str, str]:
    """The string table of one language, read once."""
    return json.loads((LOCALES / f"{lang}.json").read_text(encoding="utf-8"))


def pick_language(request: Request) -> str:
    for candidate in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if candidate in LANGUAGES:
            return candidate
    accept = request.headers.get("accept-language", "").lower()
    return "zh" if accept.startswith("zh") else "en"


def translator(lang: str) -> Callable[[str], str]:
    table, fallback = messages(lang), messages("en")
    return lambda key: table.get(key) or fallback.get(key) or key
