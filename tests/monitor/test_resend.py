"""E-mail at the physical limit: a sender that dies inside the SMTP exchange (after the server
has the message, before its 250 reaches us) leaves the delivery "possibly delivered"; the re-send
is the same notice — same Message-ID, same notice number — marked 重发 / RESEND, and legal sees
the flag in the notice data. Real aiosmtpd server on loopback."""
from __future__ import annotations

import asyncio
import email
from datetime import timedelta
from email import policy as email_policy

from sqlalchemy import select

from monitor import casework
from monitor import notice_claims
from dramaguard.web.casefiles import notice_out
from notices.channels.email import RESEND_MARK
from storage.cases import Delivery, Notice
from storage.db import transaction
from tests.monitor.casework_fixtures import candidate, make_world
from tests.mail_desk import mail_desk


class HangsAfterFirstData:
    """Keeps every message; the first DATA is never answered (the exchange is cut there)."""

    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append(envelope)
        if len(self.messages) == 1:
            await asyncio.sleep(3600)
        return "250 OK"


def test_crash_mid_exchange_resends_the_same_notice_marked_resend(tmp_path) -> None:
    with mail_desk(HangsAfterFirstData()) as (sink, notices):
        world = make_world(tmp_path, notices)
        from tests.monitor.test_casework import ingest

        ingest(world, candidate("v1"), world.report())
        channel = notice_claims.build_channels(notices)["email"]

        async def dispatch():
            return await casework.dispatch_notices(world.sessions, channels={"email": channel},
                                                   clock=world.clock, settings=notices,
                                                   home=world.settings.home)

        async def crash_mid_exchange():
            task = asyncio.create_task(dispatch())
            for _ in range(200):  # the server has the message; its 250 never comes
                if sink.messages or task.done():
                    break
                await asyncio.sleep(0.05)
            assert sink.messages, f"the notice never reached the SMTP server: {task.result() if task.done() else 'still sending'}"
            task.cancel()  # the sender dies here: nothing recorded, its send lease stays
            await asyncio.gather(task, return_exceptions=True)

        asyncio.run(crash_mid_exchange())
        with transaction(world.sessions) as s:
            delivery = s.scalar(select(Delivery))
            assert delivery.status == "sending" and delivery.possibly_delivered_at is None
        assert asyncio.run(dispatch()) == []  # its lease still runs: nobody re-sends yet
        world.clock.advance(timedelta(seconds=notices.send_lease_s + 1))
        [result] = asyncio.run(dispatch())
    assert result.status == "sent" and len(sink.messages) == 2
    first, second = (email.message_from_bytes(m.original_content, policy=email_policy.default)
                     for m in sink.messages)
    assert first["Message-ID"] == second["Message-ID"] == result.external_id
    assert first["X-DramaGuard-Notice"] == second["X-DramaGuard-Notice"] == result.notice_id
    assert not first["Subject"].startswith(RESEND_MARK) and first["X-DramaGuard-Resend"] is None
    assert second["Subject"] == f"{RESEND_MARK} {first['Subject']}"
    assert second["X-DramaGuard-Resend"] == "yes"
    body = second.get_body(("plain",)).get_content()
    assert body.startswith(RESEND_MARK) and "重发" in body and result.notice_id in body
    assert first.get_body(("plain",)).get_content() in body  # the same notice text follows
    assert len(second.get_all("To")) == 1 and second["Bcc"] is None
    with transaction(world.sessions) as s:
        notice = s.scalar(select(Notice))
        shown = notice_out(notice)
        assert notice.delivery.status == "sent"
        assert shown.possibly_delivered_at is not None and shown.delivery_status == "sent"
