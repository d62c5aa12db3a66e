"""Email delivery over SMTP (aiosmtplib), with the idempotency key as a stable Message-ID.

SMTP itself cannot dedupe, so a resend after a crash may deliver a second copy. It is the *same*
notice: same Message-ID (mail systems and complaint desks collapse duplicates on it), same notice
number, and marked 重发 / RESEND in the subject, a header and the first line of the body, so a
person reading both copies knows the second adds nothing. That is "at least once, recognisably
the same message" — the strongest guarantee SMTP allows; the casework records a sender that died
mid-exchange as "possibly delivered" for legal to see.
"""
from __future__ import annotations

import hashlib
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, getaddresses
from typing import ClassVar

import aiosmtplib

from notices.channels.base import Channel, OutgoingNotice
from notices.errors import DeliveryError
from notices.render import CONTROL_CHARS


def header_text(value: str) -> str:
    """A header value on one line: a title carrying CR/LF cannot add headers (``Bcc:``)."""
    return CONTROL_CHARS.sub(" ", value).strip()


def mailbox(value: str) -> str:
    """Exactly one mailbox (``addr`` or ``Display Name <addr>``), re-serialised safely; anything
    that could smuggle a header or a second recipient is refused (a permanent delivery error)."""
    refused = DeliveryError(f"not a single valid e-mail address: {value!r}", retryable=False)
    if CONTROL_CHARS.search(value):
        raise refused
    parsed = getaddresses([value])
    if len(parsed) != 1:
        raise refused
    name, addr = parsed[0]
    try:
        address = Address(display_name=name, addr_spec=addr)
    except (ValueError, IndexError) as exc:  # the header parser's own errors
        raise refused from exc
    if not address.username or not address.domain or "@" in address.domain:
        raise refused
    return str(address)


RESEND_MARK = "[重发 / RESEND]"


class EmailChannel(Channel):
    name: ClassVar[str] = "email"

    def __init__(self, *, host: str, port: int, sender: str, username: str | None = None,
                 password: str | None = None, start_tls: bool | None = None,
                 use_tls: bool = False, timeout_s: float = 30.0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.host, self.port, self.sender = host, port, sender
        self.username, self._password = username, password
        self.start_tls, self.use_tls, self.timeout_s = start_tls, use_tls, timeout_s

    def message_id(self, key: str) -> str:
        domain = self.sender.rpartition("@")[2] or "dramaguard.invalid"
        return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"

    def build_message(self, notice: OutgoingNotice, key: str) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = mailbox(self.sender)
        msg["To"] = mailbox(notice.recipient)
        marker = f"{RESEND_MARK} " if notice.resend else ""
        msg["Subject"] = marker + header_text(notice.subject)
        msg["Date"] = formatdate(localtime=False)
        msg["Message-ID"] = self.message_id(key)
        msg["X-DramaGuard-Notice"] = header_text(notice.notice_id)
        if notice.reply_to:
            msg["Reply-To"] = mailbox(notice.reply_to)
        text = notice.text
        if notice.resend:
            msg["X-DramaGuard-Resend"] = "yes"
            text = (f"{RESEND_MARK} 本邮件为通知 {header_text(notice.notice_id)} 的重发，内容相同。"
                    f" / This is a resend of notice {header_text(notice.notice_id)}, unchanged.\n\n"
                    + text)
        msg.set_content(text)
        msg.add_alternative(notice.html, subtype="html")
        for item in notice.files():
            maintype, _, subtype = item.content_type.partition("/")
            msg.add_attachment(item.data, maintype=maintype, subtype=subtype,
                               filename=header_text(item.filename))
        return msg

    async def _send(self, notice: OutgoingNotice, key: str) -> str:
        msg = self.build_message(notice, key)
        try:
            await aiosmtplib.send(
                msg, hostname=self.host, port=self.port, username=self.username,
                password=self._password, start_tls=self.start_tls, use_tls=self.use_tls,
                timeout=self.timeout_s,
            )
        except aiosmtplib.SMTPResponseException as exc:
            # 5xx is a permanent refusal (bad address, policy); 4xx is worth another try
            raise DeliveryError(f"SMTP {exc.code}: {exc.message}",
                                retryable=exc.code < 500) from exc
        except aiosmtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError(f"recipient refused: {exc}", retryable=False) from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise DeliveryError(f"SMTP connection failed: {exc}") from exc
        return msg["Message-ID"]
