"""A NEW rights holder in a real browser (Playwright, Debian's chromium, uvicorn on loopback, aiosmtpd):
create the profile → upload the seal and a certificate → register a work → a pirate copy is found →
legal staff preview the notice → approve → the notice is delivered with its attachments. And the
blocked path: a holder without a profile sees the banner, the case says why, status is degraded.

Screenshots of every new page, in Chinese and English, go to artifacts/onboarding/ (and to
$DRAMAGUARD_SHOTS when set).
"""
from __future__ import annotations

import email
import email.policy
import os
from pathlib import Path

import numpy as np
import pytest

from monitor.demo_profile import example_certificate_pdf, example_seal_png
from monitor.health import snapshot
from dramaguard.settings import Settings
from dramaguard.web import create_app
from notices.evidence import KeyframePair
from notices.policy import Action, PolicyRule
from storage import work_rules
from storage.auth import Role
from storage.db import transaction
from tests.mail_desk import mail_desk

from .conftest import PASSWORD, LiveServer, add_case, seed
from .test_browser import ARTIFACTS, browser, frame_at  # noqa: F401  (browser: the module's fixture)

pytestmark = pytest.mark.browser
SHOTS = [ARTIFACTS / "onboarding"] + ([Path(os.environ["DRAMAGUARD_SHOTS"])] if os.environ.get("DRAMAGUARD_SHOTS") else [])


def shoot(page, name: str) -> None:
    for folder in SHOTS:
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def both_languages(page, url: str, name: str, ready: str | None = None) -> None:
    for lang in ("zh", "en"):
        page.goto(f"{url}{'&' if '?' in url else '?'}lang={lang}")
        if ready:
            page.locator(ready).first.wait_for()
        shoot(page, f"{name}-{lang}")


def absolute(server, href: str) -> str:
    return href if href.startswith("http") else f"{server.url}{href}"


def log_in(chromium, server, email_address: str, path: str = "/"):
    page = chromium.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900}).new_page()
    page.set_default_timeout(30_000)
    page.goto(f"{server.url}{path}")
    page.fill("input[name=email]", email_address)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page


@pytest.fixture
def new_holder_site(tmp_path, sample_media):
    with mail_desk(sender="notices@dramaguard.example") as (sink, notices):
        app = create_app(Settings(home=tmp_path / "home", notices=notices))
        with LiveServer(app) as server:
            actors, holders, works = seed(app, passwords=True)
            yield server, app, actors, works, sink, tmp_path


def test_a_new_holder_gets_a_complete_notice_out_and_a_blocked_one_is_shown(browser, new_holder_site,  # noqa: F811
                                                                           sample_media):
    server, app, actors, works, sink, tmp_path = new_holder_site
    owner = log_in(browser, server, actors[(Role.RIGHTS_HOLDER, "A")].email, "/claimant?lang=zh")
    owner.wait_for_url("**/claimant*")
    assert owner.locator(".banner.not-ready").count() == 1
    shoot(owner, "claimant-empty-zh")
    for name, value in (("legal_name", "星河短剧有限公司"), ("address", "北京市朝阳区星河路1号"),
                        ("phone", "010-88886666"), ("email", "legal@xinghe.example"), ("signatory", "李明"),
                        ("signatory_capacity", "法定代表人"), ("english_name", "Xinghe Drama Ltd.")):
        owner.fill(f"form.profile input[name={name}]", value)
    owner.click("form.profile button[type=submit]")
    owner.locator("p.ok").wait_for()
    seal = tmp_path / "seal.png"
    seal.write_bytes(example_seal_png())
    owner.select_option("form.proof-upload select[name=kind]", "seal")
    owner.set_input_files("form.proof-upload input[type=file]", str(seal))
    owner.click("form.proof-upload button[type=submit]")
    owner.locator("table.proofs tr[data-proof]").first.wait_for()
    assert owner.locator(".banner.not-ready").count() == 0
    both_languages(owner, f"{server.url}/claimant", "claimant", "table.proofs")

    # register a work: the page says it is not ready to notify (no ownership proof yet)
    owner.goto(f"{server.url}/works?lang=zh")
    owner.fill("input[name=title]", "霸道总裁的契约新娘")
    owner.click("form.card button[type=submit]")
    owner.wait_for_url("**/works/*")
    work_id = int(owner.url.rsplit("/", 1)[1].split("?")[0])
    banner = owner.locator(".readiness .banner.not-ready")
    banner.wait_for()
    assert "作品登记证书" in banner.inner_text()
    both_languages(owner, f"{server.url}/works/{work_id}", "work-not-ready", ".readiness .banner")
    owner.click(".readiness .banner a")
    owner.wait_for_url(f"**/works/{work_id}/notice-documents*")
    owner.fill("form.registration input[name=registration_number]", "国作登字-2026-I-00000001")
    owner.fill("form.registration input[name=english_title]", "The Contract Bride")
    owner.click("form.registration button[type=submit]")
    refused = tmp_path / "certificate.pdf"
    refused.write_bytes(b"MZ\x90\x00 not a certificate")
    owner.set_input_files("form.proof-upload input[type=file]", str(refused))
    owner.click("form.proof-upload button[type=submit]")
    assert "PDF" in owner.locator("p.error").inner_text()
    assert not any((tmp_path / "home" / "proofs").rglob("*.pdf"))
    certificate = tmp_path / "登记证书.pdf"
    certificate.write_bytes(example_certificate_pdf("霸道总裁的契约新娘"))
    owner.goto(f"{server.url}/works/{work_id}/notice-documents?lang=zh")
    owner.select_option("form.proof-upload select[name=kind]", "registration_certificate")
    owner.set_input_files("form.proof-upload input[type=file]", str(certificate))
    owner.click("form.proof-upload button[type=submit]")
    owner.locator(".banner.ready").wait_for()
    both_languages(owner, f"{server.url}/works/{work_id}/notice-documents", "work-documents", ".banner.ready")

    # an episode is registered and a pirate copy of it is found
    services = app.state.services
    [registered] = services.register_files([sample_media["ep1"]], work="霸道总裁的契约新娘", holder="holder-A")
    assert registered.error is None, registered.error
    with transaction(services.sessions) as session:
        for work in (work_id, works["B"]):
            work_rules.add_policy_rule(session, work_id=work, rule=PolicyRule(Action.REVIEW, priority=1))
    pairs = [KeyframePair(int(t * 1000), int(t * 1000), np.ascontiguousarray(frame_at(sample_media["flip"], t)),
                          frame_at(sample_media["ep1"], t)) for t in (1.0, 4.0)]
    case_id = add_case(app, work_id, episode_id=registered.episode_id, seconds=4.5, frames=pairs)

    legal = log_in(browser, server, actors[(Role.LEGAL, "A")].email, f"/cases/{case_id}?lang=zh")
    legal.wait_for_url(f"**/cases/{case_id}*")
    preview = legal.locator("#preview details.preview-lang")
    assert preview.count() == 1 and preview.first.get_attribute("data-lang") == "zh"
    text = legal.locator("#preview pre.notice-text").first.inner_text()
    for fact in ("北京微播视界科技有限公司", "李明（法定代表人）", "国作登字-2026-I-00000001", "pirate-1", "北京时间",
                 "登记证书.pdf"):
        assert fact in text, fact
    pdf = legal.request.get(absolute(server, legal.locator("#preview a.preview-pdf").first.get_attribute("href")))
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")
    both_languages(legal, f"{server.url}/cases/{case_id}", "case-preview", "#preview")
    legal.goto(f"{server.url}/cases/{case_id}?lang=zh")
    legal.fill("textarea[name=note]", "明显盗版，批准发送")
    legal.click("button.approve")
    legal.locator('tr.notice[data-status="sent"]').wait_for()
    [envelope] = sink.messages
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    names = [p.get_filename() for p in message.iter_attachments()]
    assert len(names) == 3 and names[1].endswith("-evidence.pdf") and names[2].endswith("登记证书.pdf"), names
    assert message["Reply-To"] == "legal@xinghe.example" and envelope.rcpt_tos == ["copyright@douyin.example"]
    links = legal.locator("tr.notice .notice-files a")
    assert links.count() == 3
    evidence = legal.request.get(absolute(server, links.nth(2).get_attribute("href")))
    assert evidence.status == 200 and evidence.body().startswith(b"%PDF")
    assert "<" in legal.locator("tr.notice .receipt-line code").inner_text()  # the Message-ID receipt
    both_languages(legal, f"{server.url}/cases/{case_id}", "case-sent", 'tr.notice[data-status="sent"]')
    legal.goto(f"{server.url}/cases/{case_id}?lang=zh")
    legal.locator("tr.notice .notice-files a").first.click()
    legal.wait_for_url("**/notices/*")
    assert "致：北京微播视界科技有限公司" in legal.locator("pre.notice-text").inner_text()
    both_languages(legal, legal.url.split("?")[0], "notice-sent", "pre.notice-text")

    # the blocked path: tenant B has no profile; its approved case says why and status is degraded
    blocked_id = add_case(app, works["B"])
    legal_b = log_in(browser, server, actors[(Role.LEGAL, "B")].email, f"/cases/{blocked_id}?lang=zh")
    legal_b.wait_for_url(f"**/cases/{blocked_id}*")
    assert legal_b.locator('#preview [data-blocked="true"]').count() == 1
    legal_b.click("button.approve")
    legal_b.locator('.problems [data-kind="notice_blocked"]').wait_for()
    assert legal_b.locator('tr.notice').count() == 0
    both_languages(legal_b, f"{server.url}/cases/{blocked_id}", "case-blocked", ".problems")
    both_languages(legal_b, f"{server.url}/alerts", "alerts", '.problems [data-kind="notice_blocked"]')
    both_languages(legal_b, f"{server.url}/queue", "queue-problems", '.queue-problems [data-kind="notice_blocked"]')
    owner_b = log_in(browser, server, actors[(Role.RIGHTS_HOLDER, "B")].email, f"/works/{works['B']}?lang=zh")
    owner_b.locator(".readiness .banner.not-ready").wait_for()
    snap = snapshot(services)
    assert snap["status"] == "degraded"
    assert [(p["kind"], p["case_id"]) for p in snap["notice_problems"]] == [("notice_blocked", blocked_id)]
    for page in (owner, legal, legal_b, owner_b):
        page.context.close()
