"""Review decisions over the API: approve sends the notice, reject is remembered (and can allowlist)."""
from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from dramaguard.settings import Settings
from dramaguard.web import create_app
from storage import work_rules
from storage.auth import Role
from storage.cases import Case, RejectedMatch
from storage.db import transaction
from tests.mail_desk import mail_desk

from .conftest import add_case, complete_claimant, seed


@pytest.fixture
def site(tmp_path):
    with mail_desk(sender="dg@example.test") as (sink, notices):
        app = create_app(Settings(home=tmp_path / "home", notices=notices))
        with TestClient(app) as client:
            actors, holders, works = seed(app)
            complete_claimant(app, works["A"])
            yield app, client, actors, works, sink


def test_approve_sends_exactly_one_notice_and_a_second_decision_is_refused(site):
    app, client, actors, works, sink = site
    legal = actors[(Role.LEGAL, "A")]
    case_id = add_case(app, works["A"])
    queue = client.get("/api/v1/review/queue", headers=legal.bearer).json()
    assert [c["id"] for c in queue] == [case_id] and queue[0]["state"] == "pending_review"
    response = client.post(f"/api/v1/cases/{case_id}/approve", json={"note": "clear copy"}, headers=legal.bearer)
    assert response.status_code == 200 and response.json()["state"] == "approved"
    # TestClient runs the background dispatch before returning; the notice is out
    detail = client.get(f"/api/v1/cases/{case_id}", headers=legal.bearer).json()
    assert detail["state"] == "notified" and [n["delivery_status"] for n in detail["notices"]] == ["sent"]
    assert len(sink.messages) == 1
    events = [(e["event"], e["actor"], e["detail"].get("note")) for e in detail["events"]]
    assert ("approve", legal.email.lower(), "clear copy") in events, events
    again = client.post(f"/api/v1/cases/{case_id}/reject", json={}, headers=legal.bearer)
    assert again.status_code == 409
    assert client.get("/api/v1/review/queue", headers=legal.bearer).json() == []
    notices = client.get("/api/v1/notices", headers=actors[(Role.RIGHTS_HOLDER, "A")].bearer).json()
    assert [n["case_ids"] for n in notices] == [[case_id]]
    text = client.get(f"/api/v1/notices/{notices[0]['id']}", headers=legal.bearer).json()["text"]
    assert "v.douyin.example" in text


def test_reject_is_remembered_and_can_allowlist_the_uploader(site):
    app, client, actors, works, sink = site
    legal = actors[(Role.LEGAL, "A")]
    case_id = add_case(app, works["A"], video_id="fan-edit")
    response = client.post(f"/api/v1/cases/{case_id}/reject", json={"note": "licensed fan edit", "allowlist_uploader": True},
                           headers=legal.bearer)
    assert response.status_code == 200 and response.json()["state"] == "rejected"
    with transaction(app.state.services.sessions) as session:
        assert session.scalar(select(RejectedMatch.case_id).where(RejectedMatch.video_id == "fan-edit")) == case_id
        work = session.get_one(Case, case_id).work
        assert any(e.value == "pirate-1" for e in work_rules.allow_entries(session, work=work))
    listed = client.get("/api/v1/allowlist", headers=actors[(Role.RIGHTS_HOLDER, "A")].bearer).json()
    assert [(e["kind"], e["value"], e["platform"]) for e in listed] == [("account", "pirate-1", "douyin")]
    time.sleep(0.1)
    assert sink.messages == []


def test_tampered_evidence_is_refused(site):
    app, client, actors, works, _ = site
    owner = actors[(Role.RIGHTS_HOLDER, "A")]
    case_id = add_case(app, works["A"])
    url = f"/api/v1/cases/{case_id}/keyframes/1"
    assert client.get(url, headers=owner.bearer).status_code == 200
    with transaction(app.state.services.sessions) as session:
        folder = Path(session.get_one(Case, case_id).evidence_dir)
    png = folder / "keyframes" / "01.png"
    png.write_bytes(png.read_bytes() + b"edited")
    refused = client.get(url, headers=owner.bearer)
    assert refused.status_code == 409 and "does not match" in refused.json()["detail"]
    assert client.get(f"/api/v1/cases/{case_id}/keyframes/2", headers=owner.bearer).status_code == 404


def test_keyframes_are_found_after_a_restore_into_another_home(site):
    """A restored backup records the old home's evidence path; the case page still shows its frames."""
    app, client, actors, works, _ = site
    owner = actors[(Role.RIGHTS_HOLDER, "A")]
    case_id = add_case(app, works["A"])
    with transaction(app.state.services.sessions) as session:
        case = session.get_one(Case, case_id)
        assert Path(case.evidence_dir) == app.state.settings.home / "evidence" / case.evidence_id
        case.evidence_dir = f"/srv/old-home/evidence/{case.evidence_id}"
    detail = client.get(f"/api/v1/cases/{case_id}", headers=owner.bearer).json()
    assert [k["index"] for k in detail["keyframes"]] == [1]
    image = client.get(f"/api/v1/cases/{case_id}/keyframes/1", headers=owner.bearer)
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
