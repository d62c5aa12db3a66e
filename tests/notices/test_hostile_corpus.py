"""A corpus of hostile strings through the notice text, HTML, PDF and a real e-mail (aiosmtpd).

Adds to ``test_injection`` the rest of the corpus: NUL, bidi override/isolate controls (Trojan
Source), 100 000 characters, and e-mail header syntax (encoded words, address lists, ``Bcc:``)
in uploader-controlled titles and names. Each must come out inert: no control character, no
bidi control and no raw markup in text/HTML, a PDF that parses and draws it, and a message with
one recipient and exactly the headers we set.
"""
from __future__ import annotations

import asyncio
import dataclasses
import email
import io
from email import policy as email_policy

import pypdf
import pytest

from notices.channels import EmailChannel
from notices.document import render_notice
from tests.notices.servers import SmtpSink, start_smtp
from tests.notices.test_channels import with_recipient
from tests.hostile_corpus import BAD, CORPUS
from tests.notices.test_injection import hostile
from tests.notices.test_render import notice, pdf_text, squeeze

FIELDS = ("work_title", "item_title", "uploader", "holder_name")


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("name", list(CORPUS))
def test_corpus_is_inert_in_text_html_and_pdf(field: str, name: str) -> None:
    payload = CORPUS[name]
    rendered = render_notice(notice("zh", **hostile(field, payload)))
    for out in (rendered.text, rendered.html):
        assert not BAD.search(out), "a control or bidi character reached the notice"
    assert "<script" not in rendered.html and "<svg" not in rendered.html and "<img" not in rendered.html
    reader = pypdf.PdfReader(io.BytesIO(rendered.pdf))
    assert len(reader.pages) >= 1 and rendered.pdf.rstrip().endswith(b"%%EOF")
    drawn = squeeze(pdf_text(rendered.pdf))
    visible = squeeze(BAD.sub(" ", payload).replace("\r", " ").replace("\n", " "))
    assert visible[:10] in drawn, "the PDF does not show the text literally"


@pytest.mark.parametrize("name", list(CORPUS))
def test_corpus_in_a_real_e_mail_adds_no_header_and_no_recipient(name: str) -> None:
    payload = CORPUS[name]
    sink = SmtpSink()
    controller = start_smtp(sink)
    try:
        channel = EmailChannel(host="127.0.0.1", port=controller.port, sender="星河 <dg@xinghe.example>")
        rendered = render_notice(notice("zh", **hostile("item_title", payload)))
        outgoing = dataclasses.replace(with_recipient("copyright@platform.example"),
                                       subject=f"侵权通知 {payload}", text=rendered.text,
                                       html=rendered.html, pdf=rendered.pdf)
        asyncio.run(channel.deliver(outgoing, key=f"dg-corpus-{name}"))
    finally:
        controller.stop()
    [received] = sink.messages
    assert received.rcpt_tos == ["copyright@platform.example"]
    message = email.message_from_bytes(received.original_content, policy=email_policy.default)
    assert set(message.keys()) == {"From", "To", "Subject", "Date", "Message-ID",
                                   "X-DramaGuard-Notice", "MIME-Version", "Content-Type"}
    assert [a.addr_spec for a in message["To"].addresses] == ["copyright@platform.example"]
    subject = str(message["Subject"])
    assert "\n" not in subject and not BAD.search(subject) and subject.startswith("侵权通知")
    if name == "header_syntax":  # the encoded word stays text: it is not decoded into a header
        assert "QmNjOiB2aWN0aW1AZXZpbC5leGFtcGxl" in subject or "Bcc: victim" in subject
    parts = {part.get_content_type() for part in message.walk()}
    assert {"text/plain", "text/html", "application/pdf"} <= parts
    assert not BAD.search(message.get_body(("plain",)).get_content())
