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
from tests.hostile_corpus import CORPUS

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


def test_hostile_text_typed_into_the_forms_runs_nothing_anywhere(browser, site) -> None:  # noqa: F811
    """The corpus typed by chromium into the work, allowlist and review forms, then every page
    that shows it: no dialog, no handler fired, no script refused by the CSP (which would mean
    the text reached the DOM as markup), no page error; the text is shown literally."""
    server, app, actors, works = site
    payloads = {**CORPUS, **{f"title{i}": title for i, title in enumerate(TITLES)}}
    page = browser.new_page()
    dialogs: list[str] = []
    console: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("console", lambda message: console.append(message.text))
    page.on("pageerror", lambda error: console.append(f"page error: {error}"))
    page.set_default_timeout(30_000)

    def submit(path: str, form: str, **fields: str) -> None:
        page.goto(f"{server.url}{path}")
        for field, value in fields.items():
            page.fill(f"{form} [name={field}]", value)
        page.click(f"{form} button[type=submit]")
        page.wait_for_load_state("load")

    log_in(page, server, actors[(Role.RIGHTS_HOLDER, "A")].email, "/works?lang=en")
    page.wait_for_url("**/works*")
    for name, payload in payloads.items():
        submit("/works", "form.card", title=f"{name} {payload}"[:300], aliases=payload[:2000])
        submit("/allowlist", "form.add-entry", value=payload[:500], note=payload[:500])
    page.context.clear_cookies()
    log_in(page, server, actors[(Role.LEGAL, "A")].email, "/queue?lang=en")
    page.wait_for_url("**/queue*")
    cases = []
    for payload in payloads.values():
        cases.append(add_case(app, works["A"]))
        page.goto(f"{server.url}/cases/{cases[-1]}")
        page.fill("textarea[name=note]", payload[:2000])
        page.click("button.reject")
        page.wait_for_load_state("load")
    shown = ""
    page.context.clear_cookies()
    log_in(page, server, actors[(Role.RIGHTS_HOLDER, "A")].email, "/works?lang=en")
    page.wait_for_url("**/works*")
    work_links = page.eval_on_selector_all("table a[href*='/works/']", "links => links.map(a => a.href)")
    for url in [f"{server.url}/works", f"{server.url}/allowlist", f"{server.url}/cases", *work_links,
                *(f"{server.url}/cases/{c}" for c in cases)]:
        page.goto(url)
        page.wait_for_load_state("load")
        shown += page.inner_text("body")
        assert page.evaluate("window.__pwned") is None, url
    page.close()
    assert dialogs == [], "a script from typed text ran"
    assert not [m for m in console if "Content Security Policy" in m or "page error" in m or "pwned" in m], console
    assert "<script>alert(1)</script>" in shown and "=HYPERLINK(" in shown and len(work_links) >= len(payloads) - 1
