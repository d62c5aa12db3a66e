"""The UI string tables (``dramaguard/web/locales/*.json``): both languages say everything the
pages ask for, so no page shows a bare key or falls back to English in the Chinese UI."""
from __future__ import annotations

import re
from pathlib import Path

from dramaguard.web.i18n import LANGUAGES, messages, translator

WEB = Path(__file__).resolve().parents[3] / "dramaguard" / "web"
LITERAL_KEY = re.compile(r"""\b_\(\s*["']([^"']+)["']\s*\)""")


def keys_used() -> set[str]:
    sources = [*WEB.rglob("*.html"), *WEB.rglob("*.py")]
    return {key for path in sources for key in LITERAL_KEY.findall(path.read_text(encoding="utf-8"))}


def test_both_languages_have_the_same_keys_and_no_empty_string() -> None:
    tables = {lang: messages(lang) for lang in LANGUAGES}
    assert set(tables["zh"]) == set(tables["en"])
    assert all(value.strip() for table in tables.values() for value in table.values())


def test_every_key_a_page_asks_for_is_translated() -> None:
    used = keys_used()
    assert len(used) > 100  # the scan found the pages' keys
    for lang in LANGUAGES:
        missing = sorted(used - set(messages(lang)))
        assert not missing, f"{lang}: {missing}"


def test_chinese_pages_read_chinese() -> None:
    zh = messages("zh")
    chinese = [key for key, value in zh.items() if re.search(r"[\u4e00-\u9fff]", value)]
    assert len(chinese) >= 0.9 * len(zh)  # the rest are names and codes (DramaGuard, CSV, URL)
    _ = translator("zh")
    assert _("no.such.key") == "no.such.key"  # a missing key shows itself, never an empty string
