"""The UI in a real browser: Playwright drives Debian's chromium against uvicorn on loopback.

Skips where /usr/bin/chromium is absent, unless DRAMAGUARD_REQUIRE_BROWSER=1 (CI), where that
fails instead. Screenshots are saved to artifacts/ in the repository root.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from dramaguard.settings import Settings
from dramaguard.web import create_app
from storage.auth import Role

from .conftest import PASSWORD, LiveServer, seed

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[3] / "artifacts"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} not found (apt-get install chromium)"
        if os.environ.get("DRAMAGUARD_REQUIRE_BROWSER") == "1":
            pytest.fail(message + " but DRAMAGUARD_REQUIRE_BROWSER=1")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def site(tmp_path):
    app = create_app(Settings(home=tmp_path / "home"))
    with LiveServer(app) as server:
        actors, holders, works = seed(app, passwords=True)
        yield server, app, actors, works


def log_in(page, server: LiveServer, email: str, path: str = "/") -> None:
    page.goto(f"{server.url}{path}")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def test_rights_holder_registers_a_work_and_uploads_an_episode(browser, site, sample_media):
    server, app, actors, _ = site
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(locale="zh-CN")
    page.set_default_timeout(30_000)
    log_in(page, server, actors[(Role.RIGHTS_HOLDER, "A")].email, "/works?lang=zh")
    page.wait_for_url("**/works*")
    assert page.locator("h1").inner_text() == "作品"
    page.fill("input[name=title]", "霸道总裁的契约新娘")
    page.click("form.card button[type=submit]")
    page.wait_for_url("**/works/*")
    assert page.locator("h1").inner_text() == "霸道总裁的契约新娘"
    page.set_input_files("input[type=file]", str(sample_media["ep1"]))
    page.click("form.upload button[type=submit]")
    row = page.locator("table.episodes tbody tr")
    row.first.wait_for()  # the page reloads once the background registration has finished
    assert row.count() == 1 and "ep1.mp4" in row.first.inner_text()
    page.screenshot(path=str(ARTIFACTS / "work.png"), full_page=True)
    page.goto(f"{server.url}/works")
    assert "霸道总裁的契约新娘" in page.locator("table").inner_text()
    page.screenshot(path=str(ARTIFACTS / "works.png"), full_page=True)
    page.close()


def test_a_wrong_password_shows_an_error_and_no_session(browser, site):
    server, _, actors, _ = site
    page = browser.new_page(locale="en-US")
    page.goto(f"{server.url}/login")
    page.fill("input[name=email]", actors[(Role.LEGAL, "A")].email)
    page.fill("input[name=password]", "not the password")
    page.click("button[type=submit]")
    assert "Wrong e-mail or password" in page.locator(".error").inner_text()
    assert not [c for c in page.context.cookies() if c["name"] == "dg_session"]
    page.close()
