"""Email delivery over SMTP (aiosmtplib), with the idempotency key as a stable Message-ID.

SMTP itself cannot dedupe, so a resend after a crash may deliver a second copy; it carries the
same Message-ID, which mail systems and complaint desks use to collapse duplicates. That is
"at least once, recognisably the same message" — the strongest guarantee SMTP allows.
"""
from __future__ import annotations

import hashlib
from email.message import EmailMessage
from email.utils import formatdate
from typing import ClassVar

import aiosmtplib

from notices.channels.base import Channel, OutgoingNotice
from notices.errors import DeliveryError


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
        msg["From"] = self.sender
        msg["To"] = notice.recipient
        msg["Subject"] = notice.subject
        msg["Date"] = formatdate(localtime=False)
        msg["Message-ID"] = self.message_id(key)
        msg["X-DramaGuard-Notice"] = notice.notice_id
        msg.set_content(notice.text)
        msg.add_alternative(notice.html, subtype="html")
        if notice.pdf:
            msg.add_attachment(notice.pdf, maintype="application", subtype="pdf",
                               filename=notice.pdf_filename)
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
