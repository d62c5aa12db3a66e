"""The UI in a real browser: Playwright drives Debian's chromium against uvicorn on loopback.

Skips where /usr/bin/chromium is absent, unless DRAMAGUARD_REQUIRE_BROWSER=1 (CI), where that
fails instead. Screenshots are saved to artifacts/ in the repository root.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

import av
import numpy as np

from dramaguard.settings import Settings
from dramaguard.web import create_app
from notices.evidence import KeyframePair
from storage.auth import Role
from storage import work_rules
from notices.policy import Action, PolicyRule
from storage.models import RightsHolder
from storage.db import transaction
from tests.mail_desk import mail_desk

from .conftest import PASSWORD, LiveServer, add_case, complete_claimant, seed

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


def frame_at(path: Path, seconds: float) -> np.ndarray:
    """The first decoded frame at or after ``seconds`` (RGB), from a real file."""
    with av.open(str(path)) as container:
        for decoded in container.decode(video=0):
            if decoded.time is not None and decoded.time >= seconds:
                return decoded.to_ndarray(format="rgb24")
    raise AssertionError(f"{path} is shorter than {seconds} s")


@pytest.fixture
def review_site(tmp_path, sample_media):
    """A registered episode, two grey-zone cases against it with real keyframes, real SMTP."""
    with mail_desk(sender="dg@xinghe.example") as (sink, notices):
        app = create_app(Settings(home=tmp_path / "home", notices=notices))
        with LiveServer(app) as server:
            actors, holders, works = seed(app, passwords=True)
            services = app.state.services
            with transaction(services.sessions) as session:
                holder = session.get_one(RightsHolder, holders["A"]).name
            [result] = services.register_files([sample_media["ep1"]], work="剧-A", holder=holder)
            assert result.error is None, result.error
            with transaction(services.sessions) as session:
                # short copies are only tracked by default; this holder wants them reviewed
                work_rules.add_policy_rule(session, work_id=works["A"], rule=PolicyRule(Action.REVIEW, priority=1))
            complete_claimant(app, works["A"])
            pairs = [KeyframePair(int(t * 1000), int(t * 1000), np.ascontiguousarray(frame_at(sample_media["flip"], t)),
                                  frame_at(sample_media["ep1"], t)) for t in (1.0, 4.0)]
            urgent = add_case(app, works["A"], episode_id=result.episode_id, seconds=4.5, frames=pairs)
            later = add_case(app, works["A"], episode_id=result.episode_id, seconds=3.0, frames=pairs[:1])
            yield server, actors, sink, (urgent, later)


def test_legal_staff_approve_a_case_and_the_notice_goes_out(browser, review_site):
    server, actors, sink, (first, second) = review_site
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page.set_default_timeout(30_000)
    log_in(page, server, actors[(Role.LEGAL, "A")].email, "/?lang=zh")
    page.wait_for_url("**/queue")
    rows = page.locator("table.queue tbody tr")
    assert rows.count() == 2 and rows.first.get_attribute("data-case") == str(first)  # nearest deadline first
    countdown = rows.first.locator(".countdown")
    page.wait_for_function("el => /^1:5\\d:\\d\\d$/.test(el.textContent)", arg=countdown.element_handle())
    page.screenshot(path=str(ARTIFACTS / "queue.png"), full_page=True)

    rows.first.locator("a.open-case").click()
    page.wait_for_url(f"**/cases/{first}")
    images = page.locator(".frames img")
    assert images.count() == 2
    page.wait_for_function("() => [...document.querySelectorAll('.frames img')].every(i => i.complete && i.naturalWidth > 0)")
    assert page.locator(".timeline .seg").count() == 2  # the segment on the copy and on the original
    assert "https://v.douyin.example/" in page.locator("table.facts").inner_text()
    page.screenshot(path=str(ARTIFACTS / "case.png"), full_page=True)

    page.fill("textarea[name=note]", "明显盗版,批准发送")
    page.click("button.approve")
    page.wait_for_url(f"**/cases/{first}")
    # htmx polls the notices panel until the notice is out and the case has moved on
    page.locator('tr.notice[data-status="sent"]').wait_for()
    page.wait_for_function("() => document.querySelector('.case-state').dataset.state === 'notified'")
    assert "已发通知" in page.locator(".case-state").inner_text()  # the state in words, in Chinese
    assert [m.rcpt_tos for m in sink.messages] == [["copyright@douyin.example"]]
    page.screenshot(path=str(ARTIFACTS / "case-notified.png"), full_page=True)

    page.goto(f"{server.url}/queue")
    assert page.locator("table.queue tbody tr").count() == 1
    page.goto(f"{server.url}/dashboard")
    assert page.locator("svg.chart").count() == 3
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
    page.close()
