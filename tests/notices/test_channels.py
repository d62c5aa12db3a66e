"""Delivery channels against real loopback servers: idempotency, retries, clear failures."""
from __future__ import annotations

import base64
import hashlib

import asyncio
import email
from email import policy as email_policy

import pytest

from notices.channels import CHANNELS, REGISTRY, EmailChannel, HttpComplaintChannel, OutgoingNotice
from notices.channels.base import build_registry
from notices.errors import DeliveryError
from tests.notices.servers import ComplaintServer, SmtpSink, free_port, start_smtp

NOTICE = OutgoingNotice(
    notice_id="DG-ABC", recipient="", subject="侵权通知书 — 霸道总裁 (DG-ABC)", text="正文 body",
    html="<p>正文</p>", urls=("https://v.example.com/1", "https://v.example.com/2"),
    claimant="星河短剧有限公司", pdf=b"%PDF-1.4 test", pdf_filename="DG-ABC.pdf",
)


class RecordingSleep:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


def with_recipient(recipient: str) -> OutgoingNotice:
    from dataclasses import replace
    return replace(NOTICE, recipient=recipient)


def test_registry_names_are_stable_and_unique() -> None:
    assert set(REGISTRY) == {"email", "http"}
    with pytest.raises(ValueError, match="duplicate"):
        build_registry((*CHANNELS, HttpComplaintChannel))


def test_http_same_key_same_complaint() -> None:
    async def run():
        async with ComplaintServer().running() as server:
            channel = HttpComplaintChannel()
            first = await channel.deliver(with_recipient(server.base_url), key="k-1")
            again = await channel.deliver(with_recipient(server.base_url), key="k-1")
            other = await channel.deliver(with_recipient(server.base_url), key="k-2")
            return server, first, again, other

    server, first, again, other = asyncio.run(run())
    assert first.external_id == again.external_id == "C1"
    assert other.external_id == "C2"
    assert len(server.complaints) == 2
    body = server.complaints["k-1"]["body"]
    attachments = body.pop("attachments")
    assert body == {"urls": list(NOTICE.urls), "claimant": NOTICE.claimant,
                    "notice_id": "DG-ABC", "body": NOTICE.text, "reply_to": ""}
    # the notice's files travel with it, each with the digest a platform can check
    assert [(a["filename"], base64.b64decode(a["data_base64"])) for a in attachments] == [("DG-ABC.pdf", NOTICE.pdf)]
    assert attachments[0]["sha256"] == hashlib.sha256(NOTICE.pdf).hexdigest()


def test_http_retries_with_backoff_then_succeeds() -> None:
    sleep = RecordingSleep()

    async def run():
        async with ComplaintServer(fail_next=[503, 429]).running() as server:
            channel = HttpComplaintChannel(sleep=sleep, base_delay_s=2.0)
            return server, await channel.deliver(with_recipient(server.base_url), key="k")

    server, receipt = asyncio.run(run())
    assert receipt.attempts == 3 and sleep.delays == [2.0, 4.0]
    assert [r["key"] for r in server.requests] == ["k", "k", "k"]
    assert len(server.complaints) == 1


def test_http_client_error_is_final() -> None:
    sleep = RecordingSleep()

    async def run():
        async with ComplaintServer(fail_next=[403]).running() as server:
            with pytest.raises(DeliveryError) as info:
                await HttpComplaintChannel(sleep=sleep).deliver(
                    with_recipient(server.base_url), key="k")
            return server, info.value

    server, error = asyncio.run(run())
    assert not error.retryable and error.expected and "403" in str(error)
    assert len(server.requests) == 1 and sleep.delays == []


def test_http_malformed_answer_and_dead_server() -> None:
    async def run():
        async with ComplaintServer(malformed=True).running() as server:
            with pytest.raises(DeliveryError, match="malformed"):
                await HttpComplaintChannel(attempts=1).deliver(
                    with_recipient(server.base_url), key="k")
        with pytest.raises(DeliveryError, match="unreachable"):
            await HttpComplaintChannel(attempts=2, sleep=RecordingSleep()).deliver(
                with_recipient(f"http://127.0.0.1:{free_port()}"), key="k")

    asyncio.run(run())


def test_email_delivers_with_stable_message_id_and_pdf() -> None:
    sink = SmtpSink()
    controller = start_smtp(sink)
    try:
        channel = EmailChannel(host="127.0.0.1", port=controller.port, sender="dg@xinghe.example")
        notice = with_recipient("copyright@platform.example")
        first = asyncio.run(channel.deliver(notice, key="dg-notice-1"))
        again = asyncio.run(channel.deliver(notice, key="dg-notice-1"))
    finally:
        controller.stop()
    assert first.external_id == again.external_id
    assert first.external_id.endswith("@xinghe.example>")
    assert len(sink.messages) == 2  # SMTP cannot dedupe: the receiver sees one Message-ID twice
    message = email.message_from_bytes(sink.messages[0].content, policy=email_policy.default)
    assert message["Message-ID"] == first.external_id
    assert sink.messages[0].rcpt_tos == ["copyright@platform.example"]
    assert message["Subject"] == NOTICE.subject
    assert message.get_body(("plain",)).get_content().strip() == NOTICE.text
    pdfs = [p for p in message.iter_attachments() if p.get_content_type() == "application/pdf"]
    assert [p.get_filename() for p in pdfs] == ["DG-ABC.pdf"]
    assert pdfs[0].get_content() == NOTICE.pdf


def test_email_permanent_refusal_is_not_retried() -> None:
    sink = SmtpSink(reject=True)
    sleep = RecordingSleep()
    controller = start_smtp(sink)
    try:
        channel = EmailChannel(host="127.0.0.1", port=controller.port, sender="dg@x.example",
                               sleep=sleep)
        with pytest.raises(DeliveryError) as info:
            asyncio.run(channel.deliver(with_recipient("a@b.example"), key="k"))
    finally:
        controller.stop()
    assert not info.value.retryable and "550" in str(info.value) and sleep.delays == []


def test_email_unreachable_server_is_retried() -> None:
    sleep = RecordingSleep()
    channel = EmailChannel(host="127.0.0.1", port=free_port(), sender="dg@x.example",
                           attempts=3, sleep=sleep, timeout_s=5)
    with pytest.raises(DeliveryError) as info:
        asyncio.run(channel.deliver(with_recipient("a@b.example"), key="k"))
    assert info.value.retryable and sleep.delays == [1.0, 2.0]
