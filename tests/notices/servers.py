"""Real loopback servers for channel tests: a complaint API and an SMTP sink.

``ComplaintServer`` speaks the complaint protocol shared with the simulated platform: a new
``Idempotency-Key`` makes a complaint (201), a known key returns the same complaint (200).
"""
from __future__ import annotations

import json
import socket
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from aiohttp import web
from aiosmtpd.controller import Controller


@dataclass
class ComplaintServer:
    complaints: dict[str, dict] = field(default_factory=dict)  # key → complaint
    requests: list[dict] = field(default_factory=list)
    fail_next: list[int] = field(default_factory=list)  # statuses to answer before working
    malformed: bool = False
    base_url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        key = request.headers.get("Idempotency-Key", "")
        self.requests.append({"key": key, "body": body})
        if self.fail_next:
            return web.Response(status=self.fail_next.pop(0), text="try later")
        if self.malformed:
            return web.Response(status=201, text="<html>not json</html>")
        if not key or not isinstance(body.get("urls"), list) or not body["urls"]:
            return web.json_response({"error": "bad request"}, status=400)
        if key in self.complaints:
            return web.json_response(self.complaints[key]["answer"], status=200)
        answer = {"complaint_id": f"C{len(self.complaints) + 1}", "status": "received"}
        self.complaints[key] = {"answer": answer, "body": body}
        return web.json_response(answer, status=201)

    @asynccontextmanager
    async def running(self):
        app = web.Application()
        app.router.add_post("/api/complaints", self.handle)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        self.base_url = f"http://127.0.0.1:{port}"
        try:
            yield self
        finally:
            await runner.cleanup()


class SmtpSink:
    """aiosmtpd handler keeping every message; ``reject`` answers 550 instead."""

    def __init__(self, reject: bool = False) -> None:
        self.messages: list = []
        self.reject = reject

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.reject:
            return "550 5.7.1 rejected by policy"
        self.messages.append(envelope)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_smtp(sink: SmtpSink) -> Controller:
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    return controller


def complaint_json(server: ComplaintServer) -> str:
    return json.dumps(server.complaints, ensure_ascii=False)
