"""The simulated platform's complaint desk: ``POST /api/complaints`` (deduplicated on the
``Idempotency-Key`` header, the takedown protocol shared with notices/) and ``GET /api/complaints``.
A complaint takes the listed videos down after ``takedown_delay_s``."""
from __future__ import annotations

import asyncio
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from aiohttp import web

VIDEO_ID = re.compile(r"/(?:v|media|api/videos)/([A-Za-z0-9_-]+)")


@dataclass
class Complaint:
    complaint_id: str
    idempotency_key: str
    urls: list[str]
    claimant: str
    notice_id: str
    body: str
    received_at: datetime
    video_ids: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "complaint_id": self.complaint_id,
            "status": "received",
            "urls": self.urls,
            "claimant": self.claimant,
            "notice_id": self.notice_id,
            "received_at": self.received_at.isoformat(),
            "video_ids": self.video_ids,
        }


class ComplaintDesk:
    """Mixin of ``PlatformSim``: reads its ``videos``, ``complaints``, ``takedown_delay_s`` and
    calls its ``take_down``."""

    async def _complain(self, request: web.Request) -> web.Response:
        key = request.headers.get("Idempotency-Key")
        if not key:
            return web.json_response({"error": "missing Idempotency-Key header"}, status=400)
        try:
            payload = json.loads(await request.text())
        except json.JSONDecodeError as exc:
            return web.json_response({"error": f"invalid JSON: {exc}"}, status=400)
        problem = _check_complaint(payload)
        if problem:
            return web.json_response({"error": problem}, status=400)
        if key in self.complaints:
            return web.json_response(
                {"complaint_id": self.complaints[key].complaint_id, "status": "received"}
            )
        complaint = Complaint(
            complaint_id=f"c-{uuid.uuid4().hex[:12]}",
            idempotency_key=key,
            urls=payload["urls"],
            claimant=payload["claimant"],
            notice_id=payload["notice_id"],
            body=payload["body"],
            received_at=datetime.now(UTC),
        )
        for url in complaint.urls:
            match = VIDEO_ID.search(url)
            if match and match[1] in self.videos:
                complaint.video_ids.append(match[1])
        self.complaints[key] = complaint
        self._schedule_takedown(complaint.video_ids)
        return web.json_response(
            {"complaint_id": complaint.complaint_id, "status": "received"}, status=201
        )

    def _schedule_takedown(self, video_ids: list[str]) -> None:
        def act() -> None:
            for video_id in video_ids:
                if self.videos[video_id].state == "live":
                    self.take_down(video_id)

        if self.takedown_delay_s <= 0:
            act()
        else:
            asyncio.get_running_loop().call_later(self.takedown_delay_s, act)

    async def _complaints(self, request: web.Request) -> web.Response:
        return web.json_response({"items": [c.to_json() for c in self.complaints.values()]})


def _check_complaint(payload: object) -> str | None:
    if not isinstance(payload, dict):
        return "body must be a JSON object"
    urls = payload.get("urls")
    if not isinstance(urls, list) or not urls or not all(isinstance(u, str) for u in urls):
        return "urls must be a non-empty list of strings"
    for key in ("claimant", "notice_id", "body"):
        if not isinstance(payload.get(key), str) or not payload[key]:
            return f"{key} must be a non-empty string"
    return None
