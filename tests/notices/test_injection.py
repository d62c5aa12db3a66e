"""Template and header injection: uploader- and holder-controlled text in notices stays data.

Titles, names and URLs carrying Jinja syntax, HTML/script, line breaks followed by block markup,
and ``javascript:`` URLs are rendered literally (text, PDF) or escaped (HTML) and never add blocks
to the notice; CR/LF in e-mail subjects and addresses cannot add headers or recipients (checked
on what a real SMTP server, aiosmtpd on loopback, receives).
"""
from __future__ import annotations

import asyncio
import dataclasses
import email
from email import policy as email_policy

import pytest

from notices.channels import EmailChannel
from notices.document import NoticeDocument, render_notice
from notices.errors import DeliveryError
from notices.pdf import Block
from notices.receipts import RightsDocument, render_receipt
from notices.render import environment, parse_blocks
from tests.notices.servers import SmtpSink, start_smtp
from tests.notices.test_channels import with_recipient
from tests.notices.test_render import HOLDER, item, notice, pdf_text, receipt, squeeze

PAYLOADS = {
    "jinja_expr": "{{7*7}}",
    "jinja_stmt": "{% for x in range(3) %}X{% endfor %}",
    "jinja_config": "{{ config.__class__.__init__.__globals__ }}",
    "html": "<script>alert(1)</script><img src=x onerror=alert(2)>",
    "markup_lines": "盗版\n\n# 伪造的标题\n## 伪造的章节\n- 伪造的条目\n> https://evil.example/",
    "crlf": "标题\r\nBcc: victim@evil.example\r\n\r\n正文",
    "unicode_breaks": "a\u2028# line-separator\u2029## para-separator\x85- nel",
}
FIELDS = ("work_title", "holder_name", "holder_address", "item_title", "uploader", "uploader_id", "signatory")


def hostile(field: str, payload: str):
    if field in ("holder_name", "holder_address"):
        attr = field.removeprefix("holder_")
        return {"holder": dataclasses.replace(HOLDER, **{attr: payload})}
    if field in ("item_title", "uploader", "uploader_id"):
        attr = "title" if field == "item_title" else field
        return {"items": (dataclasses.replace(item(1), **{attr: payload}), item(2))}
    return {field: payload}


def blocks(doc: NoticeDocument) -> list[Block]:
    """The blocks the notice is built from (the same template and environment as render_notice)."""
    return parse_blocks(environment().get_template(f"notice_{doc.language}.txt.j2").render(n=doc))


def kinds(doc: NoticeDocument) -> list[str]:
    return [b.kind for b in blocks(doc)]


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("name", list(PAYLOADS))
def test_payloads_stay_literal_in_text_html_and_pdf(lang: str, field: str, name: str) -> None:
    payload = PAYLOADS[name]
    clean_doc, doc = notice(lang), notice(lang, **hostile(field, payload))
    clean, rendered = render_notice(clean_doc), render_notice(doc)
    assert kinds(doc) == kinds(clean_doc), "the payload added or removed blocks"
    assert rendered.title == clean.title
    assert not any(b.text.startswith(("伪造", "https://evil")) for b in blocks(doc) if b.kind != "para")
    one_line = " ".join(payload.replace("\u2028", " ").replace("\u2029", " ").replace("\x85", " ").split())
    assert one_line in " ".join(rendered.text.split()), "the payload is not shown literally"
    assert "\r" not in rendered.text and "\u2028" not in rendered.text
    if name.startswith("jinja"):
        assert "49" not in rendered.text.replace(clean.text, "") and "XXX" not in rendered.text
    html = rendered.html
    assert "<script>" not in html and "<img" not in html and "<h1>伪造" not in html
    if name == "html":
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    pdf = squeeze(pdf_text(rendered.pdf))
    assert squeeze(one_line)[:12] in pdf, "the PDF does not draw the payload literally"


def test_block_counts_never_change_with_every_field_hostile_at_once() -> None:
    evil = PAYLOADS["markup_lines"] + PAYLOADS["crlf"] + PAYLOADS["jinja_stmt"]
    doc = notice("zh", work_title=evil, signatory=evil, holder=dataclasses.replace(HOLDER, name=evil),
                 items=(dataclasses.replace(item(1), title=evil, uploader=evil), item(2)))
    assert kinds(doc) == kinds(notice("zh"))


@pytest.mark.parametrize(
    "url", ["javascript:alert(document.cookie)", "JaVaScRiPt:alert(1)", "data:text/html,<script>x</script>",
            "vbscript:msgbox(1)", " javascript:alert(1)", "java\tscript:alert(1)"],
)
def test_only_http_urls_become_links(url: str) -> None:
    rendered = render_notice(notice("en", items=(dataclasses.replace(item(1), url=url), item(2))))
    hrefs = [part.split('"', 1)[0] for part in rendered.html.split('href="')[1:]]
    assert hrefs and all(h.startswith("https://v.example.com/") for h in hrefs), hrefs



def test_a_url_cannot_break_out_of_its_attribute() -> None:
    url = 'https://ok.example/" onmouseover="alert(1)'
    html = render_notice(notice("en", items=(dataclasses.replace(item(1), url=url), item(2)))).html
    assert 'onmouseover="' not in html and "https://ok.example/&#34; onmouseover=&#34;alert(1)" in html


def test_no_template_is_built_from_data() -> None:
    """Templates come from the package only: the loader knows no string templates."""
    env = environment()
    assert sorted(env.list_templates()) == sorted(
        ["layout.html.j2", "notice_en.txt.j2", "notice_zh.txt.j2", "receipt.txt.j2"]
    )


def test_receipt_with_hostile_holder_and_document() -> None:
    evil = PAYLOADS["markup_lines"] + PAYLOADS["jinja_expr"]
    clean = receipt()
    hostile_receipt = dataclasses.replace(
        clean, holder=evil, documents=(RightsDocument(kind=evil, reference="{{7*7}}"),)
    )
    env = environment().get_template("receipt.txt.j2")
    assert [b.kind for b in parse_blocks(env.render(r=hostile_receipt))] == [
        b.kind for b in parse_blocks(env.render(r=clean))
    ]
    rendered = render_receipt(hostile_receipt)
    assert "{{7*7}}" in rendered.text and "&lt;" not in squeeze(pdf_text(rendered.pdf))


# ---- e-mail headers, on a real SMTP server ----

def _send(channel: EmailChannel, notice) -> None:
    asyncio.run(channel.deliver(notice, key="dg-injection"))


@pytest.mark.parametrize(
    "subject",
    ["侵权通知\r\nBcc: victim@evil.example", "t\nX-Injected: 1\n\nbody", "t\rBcc: a@b.example",
     "t\u2028Bcc: a@b.example", "t\x00Bcc: a@b.example"],
)
def test_crlf_in_the_subject_cannot_add_headers(subject: str) -> None:
    sink = SmtpSink()
    controller = start_smtp(sink)
    try:
        channel = EmailChannel(host="127.0.0.1", port=controller.port, sender="星河短剧 <dg@xinghe.example>")
        _send(channel, dataclasses.replace(with_recipient("copyright@platform.example"), subject=subject))
    finally:
        controller.stop()
    [received] = sink.messages
    assert received.rcpt_tos == ["copyright@platform.example"]
    message = email.message_from_bytes(received.content, policy=email_policy.default)
    assert message["Bcc"] is None and message["X-Injected"] is None
    assert "\n" not in message["Subject"] and message["Subject"].startswith("t" if subject[0] == "t" else "侵权")
    assert message["From"].addresses[0].display_name == "星河短剧"


@pytest.mark.parametrize(
    "recipient",
    ["copyright@platform.example\r\nBcc: victim@evil.example", "a@platform.example, victim@evil.example",
     "copyright@platform.example\nX-Injected: 1", "not-an-address", "",
     '"Legal\r\nBcc: victim@evil.example" <copyright@platform.example>'],
)
def test_header_injection_through_the_recipient_is_refused(recipient: str) -> None:
    sink = SmtpSink()
    controller = start_smtp(sink)
    try:
        channel = EmailChannel(host="127.0.0.1", port=controller.port, sender="dg@xinghe.example", attempts=3)
        with pytest.raises(DeliveryError) as raised:
            _send(channel, with_recipient(recipient))
    finally:
        controller.stop()
    assert not raised.value.retryable and sink.messages == []


def test_sender_display_name_with_crlf_is_refused() -> None:
    channel = EmailChannel(host="127.0.0.1", port=1, sender='"DG\r\nBcc: v@evil.example" <dg@x.example>')
    with pytest.raises(DeliveryError):
        channel.build_message(with_recipient("a@b.example"), "k")
