"""A notice refused for good waits for a person; once the cause is fixed, legal staff send it
again from the case page (or the API) and it goes out once, with its own number."""
from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from dramaguard.settings import Settings
from dramaguard.web import create_app
from storage.alerts import Alert
from storage.auth import Role
from storage.cases import CaseEventRow, Delivery, Notice
from storage.db import transaction
from tests.mail_desk import mail_desk
from tests.notices.servers import SmtpSink

from .conftest import add_case, complete_claimant, seed


def test_a_refused_notice_is_sent_again_once_by_legal_staff(tmp_path):
    with mail_desk(SmtpSink(reject=True), sender="dg@example.test") as (sink, notices):
        app = create_app(Settings(home=tmp_path / "home", notices=notices))
        with TestClient(app) as client:
            actors, holders, works = seed(app)
            complete_claimant(app, works["A"])
            legal, owner = actors[(Role.LEGAL, "A")], actors[(Role.RIGHTS_HOLDER, "A")]
            case_id = add_case(app, works["A"])
            assert client.post(f"/api/v1/cases/{case_id}/approve", json={"note": "ok"},
                               headers=legal.bearer).status_code == 200
            with transaction(app.state.services.sessions) as s:
                notice = s.scalar(select(Notice))
                notice_id, public_id, delivery_id = notice.id, notice.public_id, notice.delivery.id
                assert notice.delivery.status == "failed" and "550" in notice.delivery.last_error
            assert [p["kind"] for p in client.get("/api/v1/problems", headers=legal.bearer).json()] == [
                "delivery_given_up"]
            page = client.get(f"/cases/{case_id}?lang=zh", headers={"Cookie": f"dg_session={legal.cookie}"}).text
            assert 'class="send-again"' in page and "重新发送" in page
            seen_by_owner = client.get(f"/cases/{case_id}", headers={"Cookie": f"dg_session={owner.cookie}"}).text
            assert 'class="send-again"' not in seen_by_owner  # the owner may read, not send

            url = f"/api/v1/notices/{notice_id}/send-again"
            assert client.post(url, headers=owner.bearer).status_code == 403
            assert client.post(url, headers=actors[(Role.LEGAL, "B")].bearer).status_code == 404
            form = f"/notices/{notice_id}/send-again"
            forged = client.post(form, data={"csrf_token": "forged"}, headers={"Cookie": f"dg_session={legal.cookie}"},
                                 follow_redirects=False)
            assert forged.status_code == 403 and sink.messages == []

            sink.reject = False  # the desk's address is fixed
            sent = client.post(form, data={"csrf_token": legal.csrf}, headers={"Cookie": f"dg_session={legal.cookie}"},
                               follow_redirects=False)
            assert sent.status_code == 303 and sent.headers["location"].endswith(f"/cases/{case_id}")
            # TestClient runs the background dispatch before answering: out once, same number
            assert len(sink.messages) == 1 and public_id.encode() in sink.messages[0].content
            again = client.post(url, headers=legal.bearer)
            assert again.status_code == 409 and "not refused" in again.json()["detail"]
            assert len(sink.messages) == 1
            with transaction(app.state.services.sessions) as s:
                delivery = s.get_one(Delivery, delivery_id)
                assert delivery.status == "sent" and delivery.external_id
                [event] = s.scalars(select(CaseEventRow).where(CaseEventRow.event == "send_again")).all()
                assert event.case_id == case_id and event.actor == legal.email.lower()
                assert "550" in event.detail["last_error"]
                [alert] = s.scalars(select(Alert).where(Alert.kind == "delivery_failed")).all()
                assert alert.acknowledged
            assert client.get("/api/v1/problems", headers=legal.bearer).json() == []
