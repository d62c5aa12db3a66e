"""Platform complaint API over HTTP (the protocol shared with the simulated platform).

``POST {base}/api/complaints`` with JSON ``{"urls", "claimant", "notice_id", "body", "reply_to",
"attachments"}`` (each attachment with its SHA-256 and base64 bytes) and an
``Idempotency-Key`` header; 201 ``{"complaint_id", "status": "received"}`` for a new complaint,
200 with the same ``complaint_id`` when the key was seen before — so a resend is harmless.
"""
from __future__ import annotations

import asyncio
import base64
import hashlib
from typing import ClassVar

import aiohttp

from notices.channels.base import Channel, OutgoingNotice
from notices.errors import DeliveryError

RETRYABLE_STATUS = frozenset({408, 425, 429})


class HttpComplaintChannel(Channel):
    name: ClassVar[str] = "http"

    def __init__(self, *, timeout_s: float = 30.0, token: str | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.timeout_s = timeout_s
        self._token = token

    async def _send(self, notice: OutgoingNotice, key: str) -> str:
        url = notice.recipient.rstrip("/") + "/api/complaints"
        payload = {"urls": list(notice.urls), "claimant": notice.claimant,
                   "notice_id": notice.notice_id, "body": notice.text, "reply_to": notice.reply_to,
                   "attachments": [{"filename": a.filename, "content_type": a.content_type,
                                    "sha256": hashlib.sha256(a.data).hexdigest(),
                                    "data_base64": base64.b64encode(a.data).decode()}
                                   for a in notice.files()]}
        headers = {"Idempotency-Key": key}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        timeout = aiohttp.ClientTimeout(total=self.timeout_s)
        try:
            async with aiohttp.ClientSession(timeout=timeout) as session:
                async with session.post(url, json=payload, headers=headers) as response:
                    text = await response.text()
                    if response.status not in (200, 201):
                        raise DeliveryError(
                            f"complaint API answered {response.status}: {text[:200]}",
                            retryable=response.status >= 500 or response.status in RETRYABLE_STATUS,
                        )
                    try:
                        data = await response.json(content_type=None)
                        complaint_id = str(data["complaint_id"])
                    except (ValueError, KeyError, TypeError) as exc:
                        raise DeliveryError(
                            f"complaint API gave a malformed answer: {text[:200]!r}"
                        ) from exc
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise DeliveryError(f"complaint API unreachable: {exc!r}") from exc
        return complaint_id
