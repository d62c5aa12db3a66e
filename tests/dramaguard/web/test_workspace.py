"""The legal team's workspace without a browser: /cases filters, paging, CSV and bulk review;
rules written from the UI take effect in casework; users, passwords and time zones."""
from __future__ import annotations

import csv
import io
import re

from sqlalchemy import select

from dramaguard.web import pages_cases
from storage.auth import Role, User, WebSession
from storage import receipts
from storage.cases import Case
from storage.db import transaction

from .conftest import World, add_case, fake_episode


def _cookie(world: World, role: Role, tenant: str | None = "A") -> dict:
    return {"Cookie": f"dg_session={world.actor(role, tenant).cookie}"}


def _form(world: World, who: Role, tenant: str | None = "A", /, **fields) -> dict:
    return {"csrf_token": world.actor(who, tenant).csrf, **fields}


def _case_ids(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'<tr data-case="(\d+)"', html)]


def _set(world: World, case_id: int, **values) -> None:
    with transaction(world.app.state.services.sessions) as session:
        case = session.get_one(Case, case_id)
        for name, value in values.items():
            setattr(case, name, value)


def test_cases_filters_search_and_paging(world: World, monkeypatch) -> None:
    work = world.work_ids["A"]
    a, b, c = (add_case(world.app, work) for _ in range(3))
    _set(world, a, title="霸道总裁 第3集 高清", uploader_id="pirate-9", uploader_name="盗版王")
    _set(world, b, platform="kuaishou", url="https://kuaishou.example/v/abc123")
    foreign = add_case(world.app, world.work_ids["B"])
    legal = _cookie(world, Role.LEGAL)
    everything = _case_ids(world.client.get("/cases", headers=legal).text)
    assert {a, b, c} <= set(everything) and foreign not in everything
    assert _case_ids(world.client.get("/cases", params={"q": "总裁 第3集"}, headers=legal).text) == [a]
    assert _case_ids(world.client.get("/cases", params={"q": "ABC123"}, headers=legal).text) == [b]  # any case
    assert _case_ids(world.client.get("/cases", params={"uploader": "盗版王"}, headers=legal).text) == [a]
    assert _case_ids(world.client.get("/cases", params={"platform": "kuaishou"}, headers=legal).text) == [b]
    assert _case_ids(world.client.get("/cases", params={"q": "%"}, headers=legal).text) == []  # no wildcard
    pending = _case_ids(world.client.get("/cases", params={"state": "pending_review", "platform": ""}, headers=legal).text)
    assert {a, b, c} <= set(pending)
    # no deadline has passed yet; then one has
    assert _case_ids(world.client.get("/cases", params={"deadline": "overdue"}, headers=legal).text) == []
    with transaction(world.app.state.services.sessions) as session:
        case = session.get_one(Case, c)
        case.notice_deadline = case.detected_at.replace(year=2020)
    assert _case_ids(world.client.get("/cases", params={"deadline": "overdue"}, headers=legal).text) == [c]
    bad = world.client.get("/cases", params={"state": "nonsense"}, headers=legal)
    assert bad.status_code == 422 and "text/html" in bad.headers["content-type"]
    # paging: two per page, every case once, in order
    monkeypatch.setattr(pages_cases, "PER_PAGE", 2)
    seen, page = [], 1
    while True:
        html = world.client.get("/cases", params={"page": page}, headers=legal).text
        seen += _case_ids(html)
        if 'class="next"' not in html:
            break
        page += 1
    assert seen == everything and page == -(-len(everything) // 2)


def test_csv_export_is_the_filtered_list_in_the_users_language_and_zone(world: World) -> None:
    case_id = add_case(world.app, world.work_ids["A"])
    _set(world, case_id, uploader_name="导出测试")
    response = world.client.get("/cases.csv", params={"uploader": "导出测试", "lang": "zh"},
                                headers=_cookie(world, Role.RIGHTS_HOLDER))
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")  # Excel opens UTF-8 only with the BOM
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:4] == ["案件", "作品", "集", "平台"]
    [row] = rows[1:]
    assert row[0] == str(case_id) and row[2] == "第900集" and row[9] == "待审核"
    assert row[12].endswith("(UTC+8)")  # Asia/Shanghai by default
    foreign = world.client.get("/cases.csv", headers=_cookie(world, Role.RIGHTS_HOLDER, "B")).text
    assert "导出测试" not in foreign


def test_bulk_review_decides_ticked_pending_cases_and_skips_the_rest(world: World) -> None:
    work = world.work_ids["A"]
    first, second, decided = (add_case(world.app, work) for _ in range(3))
    foreign = add_case(world.app, world.work_ids["B"])
    legal = _cookie(world, Role.LEGAL)
    world.client.post("/cases/bulk-review", data=_form(world, Role.LEGAL, decision="reject", case_id=[str(decided)]),
                      headers=legal)
    response = world.client.post(
        "/cases/bulk-review", headers=legal, follow_redirects=False,
        data=_form(world, Role.LEGAL, decision="reject", note="批量驳回", back="?platform=douyin",
                   case_id=[str(first), str(second), str(decided), str(foreign)]),
    )
    assert response.status_code == 303
    assert response.headers["location"].endswith("/cases?platform=douyin&done=2&skipped=2")
    with transaction(world.app.state.services.sessions) as session:
        states = {c.id: c.state for c in session.scalars(select(Case).where(Case.id.in_([first, second, foreign])))}
    assert states == {first: "rejected", second: "rejected", foreign: "pending_review"}
    page = world.client.get(response.headers["location"], headers={**legal, "Accept-Language": "zh"}).text
    assert "已处理 2 个案件,跳过 2 个" in page
    owner = world.client.post("/cases/bulk-review", headers=_cookie(world, Role.RIGHTS_HOLDER),
                              data=_form(world, Role.RIGHTS_HOLDER, decision="approve", case_id=[str(first)]))
    assert owner.status_code == 403


def test_rules_from_the_ui_decide_new_cases(world: World) -> None:
    """Legal staff exclude a trailer as a whole and license an account; casework obeys both."""
    work = world.work_ids["A"]
    trailer = fake_episode(world.app, work, number=950)
    legal = _cookie(world, Role.LEGAL)
    added = world.client.post(f"/works/{work}/exclusions", headers=legal, follow_redirects=False,
                              data=_form(world, Role.LEGAL, episode_id=str(trailer), whole="true", reason="官方预告"))
    assert added.status_code == 303
    page = world.client.get(f"/works/{work}/rules?lang=zh", headers=legal).text
    assert "第950集" in page and "整集(预告 / 官方片段)" in page and "官方预告" in page
    assert add_case(world.app, work, episode_id=trailer) is None  # a re-post of the trailer opens nothing
    outside = world.client.post(f"/works/{work}/exclusions", headers=legal,
                                data=_form(world, Role.LEGAL, episode_id=str(trailer), start_s="500", end_s="600"))
    assert outside.status_code == 422 and "past the episode" in outside.text

    world.client.post("/allowlist", headers=legal,
                      data=_form(world, Role.LEGAL, kind="account", value="pirate-1", work_id=str(work), note="授权合同 7"))
    listing = world.client.get("/allowlist?lang=zh", headers=legal).text
    assert "pirate-1" in listing and "授权合同 7" in listing
    assert add_case(world.app, work, episode_id=fake_episode(world.app, work, number=951)) is None  # licensed
    other = world.client.get("/allowlist", headers=_cookie(world, Role.LEGAL, "B")).text
    assert "授权合同 7" not in other
    [entry] = re.findall(r'<tr data-entry="(\d+)">', listing)
    world.client.post(f"/allowlist/{entry}/delete", headers=legal, data=_form(world, Role.LEGAL))
    assert add_case(world.app, work, episode_id=fake_episode(world.app, work, number=951)) is not None  # unlicensed


def test_admin_disables_a_user_and_changes_a_role(world: World) -> None:
    admin = _cookie(world, Role.ADMIN, None)
    created = world.client.post("/users", headers=admin, follow_redirects=False, data=_form(
        world, Role.ADMIN, None, email="new.legal@example.test", role="legal", password="a-long-password",
        holder_id=str(world.holder_ids["A"])))
    assert created.status_code == 303
    victim = world.actor(Role.RIGHTS_HOLDER, "B")
    assert world.client.get("/cases", headers={"Cookie": f"dg_session={victim.cookie}"}).status_code == 200
    world.client.post(f"/users/{victim.user_id}", headers=admin, data=_form(
        world, Role.ADMIN, None, role="rights_holder", holder_id=str(world.holder_ids["B"])))  # no "active"
    with transaction(world.app.state.services.sessions) as session:
        user = session.get_one(User, victim.user_id)
        assert not user.is_active
        assert session.scalar(select(WebSession.id).where(WebSession.user_id == victim.user_id)) is None
    after = world.client.get("/cases", headers={"Cookie": f"dg_session={victim.cookie}"}, follow_redirects=False)
    assert after.status_code == 303 and "/login" in after.headers["location"]
    assert world.client.get("/api/v1/me", headers=victim.bearer).status_code == 401
    me = world.actor(Role.ADMIN, None)
    self_demote = world.client.post(f"/users/{me.user_id}", headers=admin,
                                    data=_form(world, Role.ADMIN, None, role="legal", active="true",
                                               holder_id=str(world.holder_ids["A"])))
    assert self_demote.status_code == 409
    users = world.client.get("/users?lang=zh", headers=admin).text
    assert "new.legal@example.test" in users and "法务" in users
    world.client.post("/holders", headers=admin, data=_form(world, Role.ADMIN, None, name="新公司"))
    assert world.client.post("/holders", headers=admin,
                             data=_form(world, Role.ADMIN, None, name="新公司")).status_code == 409
    assert "新公司" in world.client.get("/users", headers=admin).text  # offered as a tenant for users


def test_password_change_needs_the_current_password_and_zone_changes_times(world: World) -> None:
    owner = _cookie(world, Role.RIGHTS_HOLDER)
    first = world.client.post("/account/password", headers=owner, follow_redirects=False,
                              data=_form(world, Role.RIGHTS_HOLDER, new="first-password-1", repeat="first-password-1"))
    assert first.status_code == 303
    wrong = world.client.post("/account/password", headers=owner,
                              data=_form(world, Role.RIGHTS_HOLDER, current="nope", new="second-password", repeat="second-password"))
    assert wrong.status_code == 403
    differ = world.client.post("/account/password", headers=owner, data=_form(
        world, Role.RIGHTS_HOLDER, current="first-password-1", new="second-password", repeat="second-passwort"))
    assert differ.status_code == 400
    zone = world.client.post("/account/zone", headers=owner, follow_redirects=False,
                             data=_form(world, Role.RIGHTS_HOLDER, zone="Europe/London"))
    assert zone.status_code == 303 and "Europe/London" in zone.headers["set-cookie"]
    add_case(world.app, world.work_ids["A"])
    page = world.client.get("/cases", headers={"Cookie": owner["Cookie"] + "; dg_tz=Europe/London"}).text
    assert "(UTC)" in page and "(UTC+8)" not in page
    bad = world.client.post("/account/zone", headers=owner, data=_form(world, Role.RIGHTS_HOLDER, zone="Mars/Base"))
    assert bad.status_code == 400


def test_works_are_edited_with_aliases_split_on_every_comma(world: World) -> None:
    owner = _cookie(world, Role.RIGHTS_HOLDER, "A")
    created = world.client.post("/works", headers=owner, follow_redirects=False, data=_form(
        world, Role.RIGHTS_HOLDER, "A", title="契约新娘", aliases="总裁的新娘，契约, 新娘、新娘", registration_number="国作登字-1"))
    work_id = int(created.headers["location"].rsplit("/", 1)[1])
    detail = world.client.get(f"/api/v1/works/{work_id}", headers=world.actor(Role.RIGHTS_HOLDER, "A").bearer).json()
    assert detail["aliases"] == ["总裁的新娘", "契约", "新娘"] and detail["registration_number"] == "国作登字-1"
    edited = world.client.post(f"/works/{work_id}/edit", headers=owner, follow_redirects=False, data=_form(
        world, Role.RIGHTS_HOLDER, "A", title="契约新娘(2026)", aliases="甲、乙", registration_number=""))
    assert edited.status_code == 303
    detail = world.client.get(f"/api/v1/works/{work_id}", headers=world.actor(Role.RIGHTS_HOLDER, "A").bearer).json()
    assert (detail["title"], detail["aliases"], detail["registration_number"]) == ("契约新娘(2026)", ["甲", "乙"], None)
    clash = world.client.patch(f"/api/v1/works/{work_id}", json={"title": "剧-A"},
                               headers=world.actor(Role.RIGHTS_HOLDER, "A").bearer)
    assert clash.status_code == 409
    legal = world.client.post(f"/works/{work_id}/edit", headers=_cookie(world, Role.LEGAL, "A"),
                              data=_form(world, Role.LEGAL, "A", title="x"))
    assert legal.status_code == 403


def test_api_docs_load_their_assets_from_the_app_itself(world: World) -> None:
    for path, asset in (("/api/docs", "swagger-ui-bundle.js"), ("/api/redoc", "redoc.standalone.js")):
        page = world.client.get(path)
        assert page.status_code == 200
        urls = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert urls and all(u.startswith("/api/docs-static/") for u in urls), urls  # no CDN
        assert f"/api/docs-static/{asset}" in urls
        served = world.client.get(f"/api/docs-static/{asset}")
        assert served.status_code == 200 and len(served.content) > 100_000
        assert "'self'" in page.headers["content-security-policy"] and "cdn" not in page.headers["content-security-policy"]


def test_a_counter_notice_disputes_the_case_and_legal_decides(world: World) -> None:
    from .conftest import add_notice

    case_id = add_case(world.app, world.work_ids["A"])
    notice_id = add_notice(world.app, case_id)
    _set(world, case_id, state="notified")
    legal = world.actor(Role.LEGAL, "A")
    early = world.client.post(f"/api/v1/cases/{case_id}/dispute-decision", json={"decision": "court"},
                              headers=legal.bearer)
    assert early.status_code == 409  # nothing disputed yet
    recorded = world.client.post(f"/api/v1/cases/{case_id}/counter-notice", headers=legal.bearer, json={
        "notice_id": notice_id, "sender": "搬运工", "contact": "banyun@example.test", "statement": "我有授权",
        "received_at": "2026-12-04T07:30:00Z"})
    assert recorded.status_code == 200 and recorded.json()["state"] == "forwarded"
    again = world.client.post(f"/api/v1/cases/{case_id}/counter-notice", headers=legal.bearer,
                              json={"notice_id": notice_id, "sender": "x"})
    assert again.status_code == 409
    page = world.client.get(f"/cases/{case_id}?lang=zh", headers=_cookie(world, Role.LEGAL)).text
    assert "2026-12-18 15:30 (UTC+8) – 2026-12-24 15:30 (UTC+8)" in page  # 10–14 business days, in Beijing time
    assert "我有授权" in page and "提起诉讼" in page
    owner_page = world.client.get(f"/cases/{case_id}?lang=zh", headers=_cookie(world, Role.RIGHTS_HOLDER)).text
    assert "我有授权" in owner_page and "decide-dispute" not in owner_page  # rights holders see, legal decides
    decided = world.client.post(f"/cases/{case_id}/dispute-decision", headers=_cookie(world, Role.LEGAL),
                                follow_redirects=False, data=_form(world, Role.LEGAL, decision="court", note="已起诉"))
    assert decided.status_code == 303
    detail = world.client.get(f"/api/v1/cases/{case_id}", headers=legal.bearer).json()
    assert detail["state"] == "in_court"
    events = [(e["event"], e["to_state"]) for e in detail["events"]]
    assert events[-3:] == [("counter_notice", "counter_noticed"), ("forward", "forwarded"), ("file_suit", "in_court")]
    with transaction(world.app.state.services.sessions) as session:
        case = session.get_one(Case, case_id)
        assert case.legal_action and case.counter_notice_until.isoformat().startswith("2026-12-24")
    foreign = world.client.post(f"/api/v1/cases/{case_id}/counter-notice", headers=world.actor(Role.LEGAL, "B").bearer,
                                json={"notice_id": notice_id, "sender": "x"})
    assert foreign.status_code == 404


def test_repeat_infringers_are_linked_across_cases(world: World) -> None:
    work = world.work_ids["A"]
    ids = [add_case(world.app, work) for _ in range(3)]
    for case_id in ids:
        _set(world, case_id, uploader_id="serial-9", uploader_name="惯犯", platform="bilibili")
    _set(world, ids[2], platform="douyin")  # another platform: another account
    legal = _cookie(world, Role.LEGAL)
    page = world.client.get(f"/cases/{ids[0]}?lang=zh", headers=legal).text
    assert "重复侵权者" in page and "该上传者在本平台共 2 个案件" in page
    board = world.client.get("/uploaders?lang=zh", headers=legal).text
    row = re.search(r'<tr data-uploader="serial-9">(.*?)</tr>', board, re.S).group(1)
    assert "bilibili" in row and '<td class="count">2</td>' in row
    assert "serial-9" not in world.client.get("/uploaders", headers=_cookie(world, Role.LEGAL, "B")).text
    linked = _case_ids(world.client.get("/cases", params={"uploader": "serial-9", "platform": "bilibili"},
                                        headers=legal).text)
    assert sorted(linked) == sorted(ids[:2])


def test_compliance_figures_link_to_exactly_their_cases(world: World) -> None:
    from datetime import timedelta

    from storage.base import utcnow

    now = utcnow()
    h = timedelta(hours=1)
    work = world.work_ids["A"]
    met, late, running, escalated = (add_case(world.app, work) for _ in range(4))
    for case_id in (met, late, running, escalated):
        _set(world, case_id, platform="xigua")
    _set(world, met, state="removed", notified_at=now - 30 * h, removed_at=now - 25 * h)
    _set(world, late, state="removed", notified_at=now - 60 * h, removed_at=now - 20 * h)
    _set(world, running, state="notified", notified_at=now - 3 * h)
    _set(world, escalated, state="escalated", notified_at=now - 50 * h, escalated_at=now - 26 * h)
    legal = _cookie(world, Role.LEGAL)
    board = world.client.get("/dashboard?lang=zh", headers=legal).text
    row = re.search(r'<tr data-platform="xigua">(.*?)</tr>', board, re.S).group(1)
    cells = re.findall(r'<td class="fig-(\w+)"><a href="([^"]+)">(\d+)</a>', row)
    figures = {figure: (url, int(n)) for figure, url, n in cells}
    assert {f: n for f, (_, n) in figures.items()} == {"notified": 4, "removed_24h": 1, "in_window": 1,
                                                        "escalated": 1, "disputed": 0}
    assert "33%" in row  # 1 of the 3 decided notices; the running one is not a failure
    expected = {"notified": {met, late, running, escalated}, "removed_24h": {met}, "in_window": {running},
                "escalated": {escalated}, "disputed": set()}
    for figure, (url, count) in figures.items():
        listed = set(_case_ids(world.client.get(url.replace("&amp;", "&"), headers=legal).text))
        assert listed == expected[figure] and len(listed) == count, figure
    other = world.client.get("/dashboard", headers=_cookie(world, Role.LEGAL, "B")).text
    assert 'data-platform="xigua"' not in other


def test_the_case_pdf_holds_the_facts_evidence_notices_and_audit_log(world: World) -> None:
    import hashlib

    from pypdf import PdfReader

    from .conftest import add_notice

    case_id = add_case(world.app, world.work_ids["A"])
    add_notice(world.app, case_id)
    keyframe = world.client.get(f"/api/v1/cases/{case_id}/keyframes/1", headers=world.actor(Role.LEGAL, "A").bearer)
    response = world.client.get(f"/cases/{case_id}/export.pdf?lang=zh", headers=_cookie(world, Role.LEGAL))
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert "attachment" in response.headers["content-disposition"]
    reader = PdfReader(io.BytesIO(response.content))
    text = "".join(page.extract_text() for page in reader.pages).replace("\n", "")
    for expected in (f"案件 {case_id}", "https://v.douyin.example/", "第900集", "待审核", "DG-T-", "立案",
                     "copyright@douyin.example", hashlib.sha256(keyframe.content).hexdigest()[:32],
                     "legal-a@example.test"):
        assert expected in text, expected
    images = [image for page in reader.pages for image in page.images]
    assert images and images[0].image.mode == "RGB"  # the keyframe itself, in colour, not only its hash
    foreign = world.client.get(f"/cases/{case_id}/export.pdf", headers=_cookie(world, Role.LEGAL, "B"))
    assert foreign.status_code == 404


def test_a_receipt_downloads_as_issued(world: World) -> None:
    import hashlib

    from storage.base import utcnow
    from storage.models import Episode

    episode_id = fake_episode(world.app, world.work_ids["A"], number=960)
    with transaction(world.app.state.services.sessions) as session:
        receipt = receipts.issue_receipt(session, episode=session.get_one(Episode, episode_id), issued_at=utcnow())
    owner = _cookie(world, Role.RIGHTS_HOLDER)
    page = world.client.get(f"/works/{world.work_ids['A']}", headers=owner).text
    url = f"/works/{world.work_ids['A']}/episodes/{episode_id}/receipt"
    assert url in page
    response = world.client.get(url, headers=owner)
    assert response.status_code == 200 and receipt.receipt_id in response.headers["content-disposition"]
    assert hashlib.sha256(response.content).hexdigest() == response.headers["x-receipt-sha256"] == receipt.sha256
    foreign = world.client.get(f"/works/{world.work_ids['B']}/episodes/{episode_id}/receipt", headers=owner)
    assert foreign.status_code == 404


def test_an_archived_work_is_marked_in_the_ui(world: World) -> None:
    from storage.base import utcnow
    from storage.models import Work

    with transaction(world.app.state.services.sessions) as session:
        work = Work(holder_id=world.holder_ids["A"], title="旧剧", aliases=[], licensed_accounts=[], archived_at=utcnow())
        session.add(work)
        session.flush()
        work_id = work.id
    owner = _cookie(world, Role.RIGHTS_HOLDER)
    listing = world.client.get("/works?lang=zh", headers=owner).text
    assert re.search(r"旧剧</a> <span class=\"badge archived\">已归档</span>", listing)
    assert "不再参与比对" in world.client.get(f"/works/{work_id}?lang=zh", headers=owner).text
