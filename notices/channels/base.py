"""Delivery channels: the base owns retries with backoff; plugins only know how to send once.

Idempotency: every delivery carries a key, stable per (case, stage) (see monitor.casework).
A channel passes it to the receiver in a form the receiver can dedupe on — an
``Idempotency-Key`` header for complaint APIs, the ``Message-ID`` for email — so sending the same
key again after a crash never makes a second complaint at a receiver that dedupes.
"""
from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, replace
from typing import ClassVar

from notices.errors import DeliveryError
from plugins import unique_names

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # application/pdf, image/png, image/jpeg
    data: bytes


@dataclass(frozen=True)
class OutgoingNotice:
    notice_id: str
    recipient: str  # email address or complaint API base URL
    subject: str
    text: str
    html: str
    urls: tuple[str, ...]
    claimant: str
    pdf: bytes | None = None
    pdf_filename: str = "notice.pdf"
    #: sent before (a failed attempt, or a sender that died mid-exchange): the same notice again,
    #: same number and key; channels say so to the receiver (e-mail: 重发 / RESEND)
    resend: bool = False
    # everything that goes with the notice (its PDF first); empty: the PDF alone
    attachments: tuple[Attachment, ...] = ()
    reply_to: str = ""  # the rights holder's contact: the platform answers them, not us

    def files(self) -> tuple[Attachment, ...]:
        if self.attachments:
            return self.attachments
        return (Attachment(self.pdf_filename, "application/pdf", self.pdf),) if self.pdf else ()


@dataclass(frozen=True)
class DeliveryReceipt:
    channel: str
    key: str
    external_id: str  # complaint id or Message-ID
    attempts: int


class Channel(ABC):
    name: ClassVar[str]

    def __init__(self, *, attempts: int = 4, base_delay_s: float = 1.0, max_delay_s: float = 60.0,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        if attempts < 1:
            raise ValueError("attempts must be >= 1")
        self.attempts = attempts
        self.base_delay_s = base_delay_s
        self.max_delay_s = max_delay_s
        self._sleep = sleep

    def backoff(self, attempt: int) -> float:
        """Delay after failed attempt ``attempt`` (1-based): exponential, capped."""
        return min(self.max_delay_s, self.base_delay_s * 2 ** (attempt - 1))

    async def deliver(self, notice: OutgoingNotice, *, key: str) -> DeliveryReceipt:
        """Send with retries; raise DeliveryError when every attempt failed or one was final."""
        if not key:
            raise ValueError("an idempotency key is required")
        for attempt in range(1, self.attempts + 1):
            try:
                # a failed SMTP exchange may still have delivered: every later try is a resend
                external_id = await self._send(notice if attempt == 1 else replace(notice, resend=True), key)
            except DeliveryError as exc:
                final = not exc.retryable or attempt == self.attempts
                log.warning("channel %s notice %s attempt %d/%d failed: %s", self.name,
                            notice.notice_id, attempt, self.attempts, exc)
                if final:
                    raise DeliveryError(
                        f"{self.name}: giving up after {attempt} attempt(s): {exc}",
                        expected=exc.expected, retryable=exc.retryable, attempts=attempt,
                    ) from exc
                await self._sleep(self.backoff(attempt))
            else:
                log.info("channel %s delivered notice %s (%s)", self.name, notice.notice_id,
                         external_id)
                return DeliveryReceipt(self.name, key, external_id, attempt)
        raise AssertionError("unreachable")

    @abstractmethod
    async def _send(self, notice: OutgoingNotice, key: str) -> str:
        """Send once, passing ``key`` on; return the receiver's id. Raise DeliveryError."""


def build_registry(classes: Iterable[type[Channel]]) -> dict[str, type[Channel]]:
    return unique_names(classes, "channel")
