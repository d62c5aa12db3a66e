"""The new rights holder's pages through real HTTP (TestClient, real app and SQLite): profile,
proofs, readiness banner, the case page's preview and blocked state, the alerts page."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from monitor.demo_profile import example_certificate_pdf
from dramaguard.settings import NoticeSettings, Settings
from dramaguard.web import create_app
from storage.auth import Role

from dramaguard.web.deps import SESSION_COOKIE

from .conftest import add_case, seed

FORM = {"legal_name": "星河短剧有限公司", "address": "北京市朝阳区星河路1号", "phone": "010-88886666",
        "email": "legal@xinghe.example", "signatory": "李明", "signatory_capacity": "法定代表人",
        "time_zone": "Asia/Shanghai"}


@pytest.fixture
def site(tmp_path):
    notices = NoticeSettings(email_recipients={"douyin": "copyright@douyin.example"})
    app = create_app(Settings(home=tmp_path / "home", notices=notices))
    with TestClient(app) as client:
        actors, holders, works = seed(app)
        yield app, client, actors, works, tmp_path / "home"


def as_user(client, actor):
    client.cookies.set(SESSION_COOKIE, actor.cookie)
    return client


def test_profile_form_and_proof_upload_in_both_languages(site):
    app, client, actors, works, home = site
    owner = actors[(Role.RIGHTS_HOLDER, "A")]
    as_user(client, owner)
    page = client.get("/claimant?lang=zh")
    assert page.status_code == 200 and "权利人资料" in page.text and "尚不能发送通知" in page.text
    assert "Claimant profile" in client.get("/claimant?lang=en").text
    bad = client.post("/claimant", data={**FORM, "signatory_capacity": "", "csrf_token": owner.csrf})
    assert bad.status_code == 422 and "signatory_capacity" in bad.text
    assert client.post("/claimant", data={**FORM, "csrf_token": "forged"}).status_code == 403
    saved = client.post("/claimant", data={**FORM, "csrf_token": owner.csrf}, follow_redirects=True)
    assert saved.status_code == 200 and "Saved." in saved.text and 'value="法定代表人"' in saved.text

    work_page = client.get(f"/works/{works['A']}/readiness?lang=en")
    assert 'data-ready="false"' in work_page.text and "ownership proof" in work_page.text
    refused = client.post("/proofs", data={"kind": "registration_certificate", "work_id": str(works["A"]),
                                           "csrf_token": owner.csrf},
                          files={"file": ("cert.pdf", b"MZ not a pdf", "application/pdf")})
    assert refused.status_code == 422 and "not a PDF, PNG or JPEG" in refused.text
    assert not (home / "proofs").exists()
    ok = client.post("/proofs", data={"kind": "registration_certificate", "work_id": str(works["A"]),
                                      "csrf_token": owner.csrf},
                     files={"file": ("登记证书.pdf", example_certificate_pdf(), "application/pdf")},
                     follow_redirects=True)
    assert ok.status_code == 200 and "登记证书.pdf" in ok.text
    assert 'data-ready="true"' in client.get(f"/works/{works['A']}/readiness").text
    reg = client.post(f"/works/{works['A']}/registration", data={"registration_number": "国作登字-2026-I-1",
                                                                 "english_title": "Drama A", "csrf_token": owner.csrf},
                      follow_redirects=True)
    assert 'value="国作登字-2026-I-1"' in reg.text
    # another tenant's owner cannot open these pages
    as_user(client, actors[(Role.RIGHTS_HOLDER, "B")])
    assert client.get(f"/works/{works['A']}/notice-documents").status_code == 404
    assert client.get(f"/works/{works['A']}/readiness").status_code == 404


def test_case_page_shows_blocked_state_then_the_preview(site):
    app, client, actors, works, home = site
    owner, legal = actors[(Role.RIGHTS_HOLDER, "A")], actors[(Role.LEGAL, "A")]
    case_id = add_case(app, works["A"])
    as_user(client, legal)
    page = client.get(f"/cases/{case_id}?lang=zh")
    assert 'data-blocked="true"' in page.text and "创建权利人资料" in page.text
    as_user(client, owner)
    client.post("/claimant", data={**FORM, "csrf_token": owner.csrf})
    client.post("/proofs", data={"kind": "registration_certificate", "work_id": str(works["A"]),
                                 "csrf_token": owner.csrf},
                files={"file": ("cert.pdf", example_certificate_pdf(), "application/pdf")})
    as_user(client, legal)
    page = client.get(f"/cases/{case_id}?lang=en")
    assert 'data-blocked="true"' not in page.text and 'data-lang="zh"' in page.text
    assert "北京微播视界科技有限公司" in page.text and "pirate-1" in page.text
    pdf = client.get(f"/api/v1/cases/{case_id}/preview.pdf?lang=zh")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_alerts_page_lists_a_blocked_notice_with_what_to_do(site):
    import asyncio

    from monitor import casework
    from notices.clock import SystemClock

    app, client, actors, works, home = site
    case_id = add_case(app, works["A"])
    legal = actors[(Role.LEGAL, "A")]
    client.post(f"/api/v1/cases/{case_id}/approve", json={"note": "copy"}, headers=legal.bearer)
    services = app.state.services
    asyncio.run(casework.dispatch_notices(services.sessions, channels=app.state.channels, clock=SystemClock(),
                                          settings=services.settings.notices, home=services.settings.home))
    as_user(client, legal)
    alerts = client.get("/alerts?lang=zh")
    assert 'data-kind="notice_blocked"' in alerts.text and f'data-case="{case_id}"' in alerts.text
    assert "通知被拦截，未发出" in alerts.text and "创建权利人资料" in alerts.text
    assert "To unblock" in client.get("/alerts?lang=en").text
    assert 'data-kind="notice_blocked"' in client.get("/problems").text
    api = client.get("/api/v1/problems", headers=legal.bearer).json()
    assert [p["kind"] for p in api] == ["notice_blocked"]
    as_user(client, actors[(Role.LEGAL, "B")])
    assert "notice_blocked" not in client.get("/alerts").text  # the other tenant sees nothing of A's
