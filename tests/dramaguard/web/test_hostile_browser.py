"""Hostile uploader text in the API and in a real browser: it is data, never markup.

Titles and uploader names from the corpus (script tags, event handlers, CRLF, bidi controls,
e-mail header syntax) are stored on a case; the API returns them byte for byte, and chromium
showing the queue and the case page runs none of them (no dialog, no handler fired) while
displaying them literally.
"""
from __future__ import annotations

import httpx
import pytest

from storage.auth import Role
from storage.cases import Case
from storage.db import transaction

from .conftest import add_case
from .test_browser import browser, log_in, site  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser

TITLES = [
    '<script>alert(1)</script><img src=x onerror="window.__pwned=1;alert(2)">',
    '"><svg onload="window.__pwned=2">\r\nBcc: v@evil.example',
    "invoice\u202egpj.exe\u2066x\u2069 {{7*7}} ${7*7}",
    '=?utf-8?b?QmNjOg==?= "Legal" <l@evil.example>, v@evil.example',
]


def test_hostile_titles_are_inert_in_the_api_and_the_browser(browser, site) -> None:  # noqa: F811
    server, app, actors, works = site
    ids = []
    for title in TITLES:
        case_id = add_case(app, works["A"])
        with transaction(app.state.services.sessions) as session:
            case = session.get(Case, case_id)
            case.title, case.uploader_name = title, title[::-1]
        ids.append(case_id)
    legal = actors[(Role.LEGAL, "A")]
    for case_id, title in zip(ids, TITLES, strict=True):
        body = httpx.get(f"{server.url}/api/v1/cases/{case_id}", headers=legal.bearer).json()
        assert body["title"] == title and body["uploader_name"] == title[::-1]
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.set_default_timeout(30_000)
    log_in(page, server, legal.email, "/?lang=en")
    page.wait_for_url("**/queue")
    shown = page.inner_text("body")
    for case_id in ids:
        page.goto(f"{server.url}/cases/{case_id}")
        page.wait_for_load_state("load")
        shown += page.inner_text("body")
        assert page.evaluate("window.__pwned") is None
    page.close()
    assert dialogs == [], "a script from a title ran"
    assert "<script>alert(1)</script>" in shown and '"><svg onload=' in shown
