"""The workspace pages in a real browser (Debian's chromium): legal staff filter /cases and reject
two cases with one confirmation; rights holders see no review controls; rules, users and account
pages render in Chinese. Screenshots of each page in zh and en go to artifacts/ (and to
$DRAMAGUARD_SHOTS when set)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from storage.auth import Role
from storage.cases import Case
from storage.db import transaction

from .conftest import add_case, fake_episode
from .test_browser import ARTIFACTS, browser, log_in, site  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser


def _shot(page, name: str) -> None:
    for folder in filter(None, (ARTIFACTS, os.environ.get("DRAMAGUARD_SHOTS"))):
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def test_legal_staff_filter_cases_and_reject_two_with_one_confirmation(browser, site):  # noqa: F811
    server, app, actors, works = site
    ids = [add_case(app, works["A"]) for _ in range(3)]
    with transaction(app.state.services.sessions) as session:
        session.get_one(Case, ids[2]).title = "别的标题"
    page = browser.new_page(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page.set_default_timeout(30_000)
    log_in(page, server, actors[(Role.LEGAL, "A")].email, "/cases?lang=zh")
    page.wait_for_url("**/cases*")
    assert page.locator("h1").inner_text() == "案件"
    rows = page.locator("table.cases tbody tr")
    assert rows.count() == 3
    assert "待审核" in rows.first.locator("td.state").inner_text() and "第900集" in rows.first.inner_text()
    assert "(UTC+8)" in rows.first.inner_text()
    _shot(page, "cases-zh")
    page.fill("input[name=q]", "全集")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**q=*")
    assert rows.count() == 2
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.accept()))
    page.check("input.select-all")
    page.click("button.bulk-reject")
    page.wait_for_url("**done=2*")
    assert dialogs == ["将这 2 个案件驳回为不构成侵权?"]  # one confirmation for the batch
    assert "已处理 2 个案件" in page.locator(".flash").inner_text()
    assert [r.get_attribute("data-state") for r in page.locator("table.cases tbody tr").all()] == ["rejected"] * 2
    page.goto(f"{server.url}/cases?lang=en")
    _shot(page, "cases-en")
    assert "waiting for review" in page.locator("table.cases").inner_text()
    with transaction(app.state.services.sessions) as session:  # a notice out 3 h ago: inside its window
        from storage.base import utcnow
        from datetime import timedelta

        case = session.get_one(Case, ids[2])
        case.state, case.notified_at = "notified", utcnow() - timedelta(hours=3)
    page.goto(f"{server.url}/dashboard?lang=zh")
    row = page.locator('table.compliance tr[data-platform="douyin"]')
    assert row.locator("td.fig-in_window").inner_text() == "1" and row.locator("td.fig-rate").inner_text() == "—"
    _shot(page, "dashboard-zh")
    row.locator("td.fig-in_window a").click()
    page.wait_for_url("**figure=in_window*")
    assert [r.get_attribute("data-case") for r in page.locator("table.cases tbody tr").all()] == [str(ids[2])]
    page.goto(f"{server.url}/dashboard?lang=en")
    _shot(page, "dashboard-en")
    page.close()


def test_rights_holder_sees_no_review_controls_and_a_translated_403(browser, site):  # noqa: F811
    server, app, actors, works = site
    add_case(app, works["A"])
    page = browser.new_page(locale="zh-CN")
    page.set_default_timeout(30_000)
    log_in(page, server, actors[(Role.RIGHTS_HOLDER, "A")].email, "/cases?lang=zh")
    page.wait_for_url("**/cases*")
    assert page.locator("table.cases tbody tr").count() == 1
    assert page.locator("button.bulk-approve").count() == 0 and page.locator("nav .nav-queue").count() == 0
    page.goto(f"{server.url}/queue")
    assert page.locator("h1").inner_text().startswith("您无权打开此页面")
    _shot(page, "forbidden-zh")
    page.close()


def test_rules_users_and_account_pages(browser, site):  # noqa: F811
    server, app, actors, works = site
    fake_episode(app, works["A"], number=2)
    for lang in ("zh", "en"):
        page = browser.new_page(locale="zh-CN" if lang == "zh" else "en-US", viewport={"width": 1280, "height": 900})
        page.set_default_timeout(30_000)
        log_in(page, server, actors[(Role.LEGAL, "A")].email, f"/allowlist?lang={lang}")
        page.wait_for_url("**/allowlist*")
        if lang == "zh":
            page.fill("form.add-entry input[name=value]", "official-account")
            page.fill("form.add-entry input[name=note]", "授权合同 2026-01")
            page.click("form.add-entry button[type=submit]")
            page.wait_for_selector("table.allowlist tr[data-entry]")
            assert "授权合同 2026-01" in page.locator("table.allowlist").inner_text()
        _shot(page, f"allowlist-{lang}")
        page.goto(f"{server.url}/works/{works['A']}/rules")
        if lang == "zh":
            page.select_option("form.add-rule select[name=action]", "review")
            page.fill("form.add-rule input[name=min_matched_s]", "5")
            page.fill("form.add-rule input[name=name]", "短片段人工审核")
            page.click("form.add-rule button[type=submit]")
            page.wait_for_selector("table.policy tr[data-rule]")
            assert "法务审核" in page.locator("table.policy").inner_text()
            page.select_option("form.add-exclusion select[name=episode_id]", label="第2集 · ep2.mp4 (95 s)")
            page.check("form.add-exclusion input[name=whole]")
            page.fill("form.add-exclusion input[name=reason]", "官方预告")
            page.click("form.add-exclusion button[type=submit]")
            page.wait_for_selector("table.exclusions tr[data-exclusion]")
            assert "整集" in page.locator("table.exclusions").inner_text()
        _shot(page, f"rules-{lang}")
        page.goto(f"{server.url}/account")
        _shot(page, f"account-{lang}")
        page.close()
        admin = browser.new_page(locale="zh-CN", viewport={"width": 1280, "height": 900})
        admin.set_default_timeout(30_000)
        log_in(admin, server, actors[(Role.ADMIN, None)].email, f"/users?lang={lang}")
        admin.wait_for_url("**/users*")
        assert admin.locator("table.users tr[data-user]").count() == 5
        _shot(admin, f"users-{lang}")
        admin.close()


def test_a_series_is_uploaded_in_one_go_with_progress_per_file(browser, site, sample_media, tmp_path):  # noqa: F811
    server, app, actors, works = site
    files = []
    for number, key in ((3, "ep1"), (4, "ep2")):  # numbered by their names, not by the form
        target = tmp_path / f"霸总 第{number}集.mp4"
        target.write_bytes(sample_media[key].read_bytes())
        files.append(str(target))
    page = browser.new_page(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page.set_default_timeout(60_000)
    log_in(page, server, actors[(Role.RIGHTS_HOLDER, "A")].email, f"/works/{works['A']}?lang=zh")
    page.wait_for_url("**/works/*")
    page.click("details.edit-work summary")
    page.fill("details.edit-work input[name=aliases]", "霸总，总裁、契约")
    page.fill("details.edit-work input[name=registration_number]", "国作登字-2026-I-1")
    page.click("details.edit-work button[type=submit]")
    page.wait_for_selector(".reg-no")
    assert "霸总、总裁、契约" in page.locator("main p").first.inner_text()
    page.set_input_files("form.upload input[type=file]", files)
    page.click("form.upload button[type=submit]")
    page.wait_for_function("() => document.querySelectorAll('tr.upload-file').length === 2")
    assert [c.inner_text() for c in page.locator("tr.upload-file td.n").all()] == ["3", "4"]
    page.wait_for_function("() => document.querySelector('.series-total').textContent.includes('2 / 2')")
    assert [p.get_attribute("value") for p in page.locator("tr.upload-file progress").all()] == ["100", "100"]
    _shot(page, "upload-zh")
    page.wait_for_selector("table.episodes tbody tr >> nth=1")  # the page reloads with both episodes
    rows = page.locator("table.episodes tbody tr")
    assert "第3集" in rows.nth(0).inner_text() and "第4集" in rows.nth(1).inner_text()
    _shot(page, "work-zh")
    page.goto(f"{server.url}/works/{works['A']}?lang=en")
    _shot(page, "work-en")
    page.close()


def test_swagger_ui_renders_without_internet(browser, site):  # noqa: F811
    server, *_ = site
    page = browser.new_page()
    page.set_default_timeout(30_000)
    outside = []
    # ReDoc's footer names a logo on a CDN; the page's CSP blocks it, so nothing from outside loads
    page.on("requestfinished", lambda r: None if r.url.startswith(server.url) or r.url.startswith(("data:", "blob:"))
            else outside.append(r.url))
    page.goto(f"{server.url}/api/docs")
    page.wait_for_selector(".swagger-ui .opblock")
    assert page.locator(".swagger-ui .opblock").count() > 20
    page.goto(f"{server.url}/api/redoc")
    page.wait_for_selector("redoc [data-section-id], .api-content")
    assert outside == []


def test_legal_staff_record_a_counter_notice_and_go_to_court(browser, site):  # noqa: F811
    from .conftest import add_notice

    server, app, actors, works = site
    ids = [add_case(app, works["A"]) for _ in range(2)]  # the same uploader twice: a repeat infringer
    add_notice(app, ids[0])
    with transaction(app.state.services.sessions) as session:
        session.get_one(Case, ids[0]).state = "notified"
    page = browser.new_page(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page.set_default_timeout(30_000)
    log_in(page, server, actors[(Role.LEGAL, "A")].email, f"/cases/{ids[0]}?lang=zh")
    page.wait_for_url(f"**/cases/{ids[0]}*")
    assert "该上传者在本平台共 2 个案件" in page.locator(".repeat").inner_text()
    page.click("details.record-dispute summary")
    page.fill("details.record-dispute input[name=sender]", "搬运工")
    page.fill("details.record-dispute textarea[name=statement]", "本人已获授权")
    page.fill("details.record-dispute input[name=received_on]", "2026-12-04")
    page.click("details.record-dispute button[type=submit]")
    page.wait_for_selector("form.decide-dispute")
    assert "2026-12-18" in page.locator(".restore-window").inner_text()
    assert page.locator(".case-state").get_attribute("data-state") == "forwarded"
    _shot(page, "dispute-zh")
    page.click("button.court")
    page.wait_for_function("() => document.querySelector('.case-state').dataset.state === 'in_court'")
    assert "已起诉" in page.locator(".case-state").inner_text()
    history = page.locator("table.events").inner_text()
    assert "收到反通知" in history and "已提起诉讼" in history
    page.goto(f"{server.url}/uploaders?lang=zh")
    assert page.locator("table.uploaders td.count").first.inner_text() == "2"
    _shot(page, "uploaders-zh")
    page.goto(f"{server.url}/uploaders?lang=en")
    _shot(page, "uploaders-en")
    page.goto(f"{server.url}/cases/{ids[0]}?lang=en")
    _shot(page, "dispute-en")
    page.close()
