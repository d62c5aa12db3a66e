"""Claimant profiles and ownership proofs through the API: role-checked, tenant-isolated, bad
uploads refused with nothing left behind, cited proofs kept; readiness, preview, problems."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from monitor.demo_profile import example_certificate_pdf, example_seal_png
from dramaguard.settings import NoticeSettings, Settings, WebSettings
from dramaguard.web import create_app
from storage.auth import Role
from storage.cases import Notice
from storage.db import transaction

from .conftest import add_case, add_notice, seed

PROFILE = {"legal_name": "星河短剧有限公司", "address": "北京市朝阳区星河路1号", "email": "legal@xinghe.example",
           "phone": "010-88886666", "registration_id": "91110105MA00000000", "signatory": "李明",
           "signatory_capacity": "法定代表人"}


@pytest.fixture
def site(tmp_path):
    notices = NoticeSettings(max_proof_bytes=64 * 1024, email_recipients={"douyin": "copyright@douyin.example"},
                             smtp_port=1)  # nothing listens: sending would fail, never silently
    app = create_app(Settings(home=tmp_path / "home", notices=notices, web=WebSettings()))
    with TestClient(app) as client:
        actors, holders, works = seed(app)
        yield app, client, actors, holders, works, tmp_path / "home"


def proof_files(home) -> list:
    root = home / "proofs"
    return sorted(p.name for p in root.rglob("*") if p.is_file()) if root.exists() else []


def upload(client, actor, data: bytes, *, kind="registration_certificate", work_id=None, filename="cert.pdf", **params):
    query = {"kind": kind, "filename": filename, **params}
    if work_id is not None:
        query["work_id"] = work_id
    return client.post("/api/v1/proofs", params=query, content=data, headers=actor.bearer)


def test_profile_is_created_by_the_rights_holder_and_isolated(site):
    app, client, actors, holders, works, home = site
    owner, legal, other = (actors[(Role.RIGHTS_HOLDER, "A")], actors[(Role.LEGAL, "A")],
                           actors[(Role.RIGHTS_HOLDER, "B")])
    empty = client.get("/api/v1/claimant", headers=owner.bearer).json()
    assert [m["code"] for m in empty["missing"]] == ["claimant_profile"]
    assert client.put("/api/v1/claimant", json=PROFILE, headers=legal.bearer).status_code == 403
    bad = client.put("/api/v1/claimant", json={**PROFILE, "time_zone": "Mars/Olympus"}, headers=owner.bearer)
    assert bad.status_code == 422 and "time zone" in bad.text
    assert client.put("/api/v1/claimant", json={**PROFILE, "legal_name": "星河\x00公司"},
                      headers=owner.bearer).status_code == 422
    no_capacity = {k: v for k, v in PROFILE.items() if k != "signatory_capacity"}
    assert client.put("/api/v1/claimant", json=no_capacity, headers=owner.bearer).status_code == 422
    saved = client.put("/api/v1/claimant", json=PROFILE, headers=owner.bearer)
    assert saved.status_code == 200 and saved.json()["missing"] == [] and saved.json()["time_zone"] == "Asia/Shanghai"
    assert client.get("/api/v1/claimant", headers=legal.bearer).json()["signatory_capacity"] == "法定代表人"
    # tenant B sees its own (empty) profile and cannot name A's
    assert client.get("/api/v1/claimant", headers=other.bearer).json()["legal_name"] == ""
    assert client.get("/api/v1/claimant", params={"holder_id": holders["A"]}, headers=other.bearer).status_code == 404
    admin = actors[(Role.ADMIN, None)]
    assert client.get("/api/v1/claimant", headers=admin.bearer).status_code == 400
    assert client.get("/api/v1/claimant", params={"holder_id": holders["A"]},
                      headers=admin.bearer).json()["legal_name"] == "星河短剧有限公司"


def test_proof_uploads_are_sniffed_capped_and_leave_nothing_when_refused(site):
    app, client, actors, holders, works, home = site
    owner = actors[(Role.RIGHTS_HOLDER, "A")]
    for data, code in ((b"MZ\x90\x00" + b"\0" * 100, 422), (b"%PDF-1.4 not really", 422),
                       (example_certificate_pdf()[:500], 422), (b"%PDF-" + b"x" * 70_000, 413)):
        response = upload(client, owner, data, work_id=works["A"], filename="certificate.pdf")
        assert response.status_code == code, response.text
        assert proof_files(home) == []
    assert "not a PDF, PNG or JPEG" in upload(client, owner, b"GIF89a....", work_id=works["A"]).json()["detail"]
    # B cannot attach a proof to A's work; legal staff cannot upload
    assert upload(client, actors[(Role.RIGHTS_HOLDER, "B")], example_certificate_pdf(),
                  work_id=works["A"]).status_code == 404
    assert upload(client, actors[(Role.LEGAL, "A")], example_certificate_pdf(), work_id=works["A"]).status_code == 403
    assert proof_files(home) == []
    good = upload(client, owner, example_certificate_pdf(), work_id=works["A"], filename="../../etc/登记证书.pdf")
    assert good.status_code == 201, good.text
    proof = good.json()
    assert proof["content_type"] == "application/pdf" and proof["filename"] == "登记证书.pdf"
    assert proof_files(home) == [f"{proof['sha256']}.pdf"]
    seal = upload(client, owner, example_seal_png(), kind="seal", filename="seal.png")
    assert seal.status_code == 201 and seal.json()["work_id"] is None
    listed = client.get("/api/v1/proofs", params={"work_id": works["A"]}, headers=owner.bearer).json()
    assert {p["kind"] for p in listed} == {"registration_certificate", "seal"}
    assert client.get("/api/v1/proofs", headers=actors[(Role.RIGHTS_HOLDER, "B")].bearer).json() == []
    body = client.get(f"/api/v1/proofs/{proof['id']}/file", headers=owner.bearer)
    assert body.content == example_certificate_pdf() and body.headers["content-type"] == "application/pdf"
    assert client.get(f"/api/v1/proofs/{proof['id']}/file",
                      headers=actors[(Role.RIGHTS_HOLDER, "B")].bearer).status_code == 404


def test_readiness_preview_and_deleting_a_cited_proof(site):
    app, client, actors, holders, works, home = site
    owner, legal = actors[(Role.RIGHTS_HOLDER, "A")], actors[(Role.LEGAL, "A")]
    case_id = add_case(app, works["A"])
    ready = client.get(f"/api/v1/works/{works['A']}/readiness", headers=owner.bearer).json()
    assert ready["ready"] is False and [m["code"] for m in ready["missing"]] == ["claimant_profile", "ownership_proof"]
    blocked = client.get(f"/api/v1/cases/{case_id}/preview", headers=legal.bearer)
    assert blocked.status_code == 409 and blocked.json()["detail"]["missing"][0]["code"] == "claimant_profile"

    client.put("/api/v1/claimant", json=PROFILE, headers=owner.bearer)
    proof = upload(client, owner, example_certificate_pdf(), work_id=works["A"]).json()
    registration = client.put(f"/api/v1/works/{works['A']}/registration", headers=owner.bearer,
                              json={"registration_number": "国作登字-2026-I-00000001", "english_title": "Drama A"})
    assert registration.json()["missing"] == []
    assert client.get(f"/api/v1/works/{works['A']}/readiness", headers=owner.bearer).json()["ready"] is True
    zh = client.get(f"/api/v1/cases/{case_id}/preview", params={"lang": "zh"}, headers=legal.bearer).json()
    assert "侵权通知书" in zh["title"] and "北京微播视界科技有限公司" in zh["text"] and "国作登字-2026-I-00000001" in zh["text"]
    assert "北京时间" in zh["text"] and "pirate-1" in zh["text"] and "cert.pdf" in zh["text"]
    en = client.get(f"/api/v1/cases/{case_id}/preview", params={"lang": "en"}, headers=legal.bearer).json()
    assert "Drama A" in en["text"] and "under penalty of perjury" in en["text"]
    assert client.get(f"/api/v1/cases/{case_id}/preview", headers=actors[(Role.LEGAL, "B")].bearer).status_code == 404

    notice_id = add_notice(app, case_id)
    with transaction(app.state.services.sessions) as session:
        session.get_one(Notice, notice_id).attachments = [{"kind": "registration_certificate",
                                                           "proof_id": proof["id"], "sha256": proof["sha256"]}]
    refused = client.delete(f"/api/v1/proofs/{proof['id']}", headers=owner.bearer)
    assert refused.status_code == 409 and "sent notice" in refused.json()["detail"]
    assert proof_files(home) == [f"{proof['sha256']}.pdf"]
    listed = client.get("/api/v1/proofs", headers=owner.bearer).json()
    assert listed[0]["cited_by_sent_notice"] is True
    spare = upload(client, owner, example_seal_png(), kind="seal", filename="seal.png").json()
    assert client.delete(f"/api/v1/proofs/{spare['id']}", headers=owner.bearer).status_code == 204
    assert proof_files(home) == [f"{proof['sha256']}.pdf"]


def test_platform_registry_lists_the_public_complaint_desks(site):
    app, client, actors, *_ = site
    rows = {r["key"]: r for r in client.get("/api/v1/platforms", headers=actors[(Role.LEGAL, "A")].bearer).json()}
    assert {"douyin", "kuaishou", "bilibili", "youtube", "tiktok", "simulated"} <= set(rows)
    assert rows["douyin"]["legal_entity"].startswith("北京微播视界科技有限公司")
    assert rows["youtube"]["languages"] == ["en", "zh"] and rows["simulated"]["example"] is True
    with transaction(app.state.services.sessions) as session:
        assert session.scalars(select(Notice)).all() == []


def test_an_agent_profile_needs_its_authorisation_letter(site):
    app, client, actors, holders, works, home = site
    owner = actors[(Role.RIGHTS_HOLDER, "A")]
    agent = {**PROFILE, "agent_name": "明理律师事务所", "agent_address": "上海", "agent_email": "ip@mingli.example",
             "agent_authorization": "授权委托书 MLS-2026-017"}
    client.put("/api/v1/claimant", json=agent, headers=owner.bearer)
    upload(client, owner, example_certificate_pdf(), work_id=works["A"])
    missing = client.get(f"/api/v1/works/{works['A']}/readiness", headers=owner.bearer).json()["missing"]
    assert [m["code"] for m in missing] == ["agent_authorisation"]
    upload(client, owner, example_certificate_pdf("授权委托书"), kind="authorisation_letter", filename="letter.pdf")
    assert client.get(f"/api/v1/works/{works['A']}/readiness", headers=owner.bearer).json()["ready"] is True
