"""Retries, backoff, Retry-After, redirects through the guard, malformed JSON — on a real server."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
import pytest_asyncio
from aiohttp import web

from crawler.errors import BlockedAddress, CrawlError, HttpStatusError, MalformedResponse
from crawler.http import HttpClient, HttpPolicy, parse_retry_after
from crawler.netguard import AddressGuard, guarded_session

pytestmark = pytest.mark.asyncio


class Script:
    """A server that answers each path from a list of scripted responses (the last one repeats)."""

    def __init__(self):
        self.plans: dict[str, list] = {}
        self.hits: dict[str, int] = {}

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.hits[request.path] = self.hits.get(request.path, 0) + 1
        plan = self.plans[request.path]
        step = plan[min(self.hits[request.path], len(plan)) - 1]
        if callable(step):
            return await step(request)
        # a fresh copy: aiohttp responses cannot be sent twice
        return web.Response(status=step.status, body=step.body, headers=dict(step.headers))


@pytest_asyncio.fixture
async def server():
    script = Script()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", script.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    script.port = runner.addresses[0][1]
    script.url = f"http://127.0.0.1:{script.port}"
    yield script
    await runner.cleanup()


def client(session, *, allow=True, trusted=(), **policy) -> HttpClient:
    defaults = dict(retries=3, backoff_s=0.01, rate_per_s=0, timeout_s=2)
    return HttpClient(
        session,
        HttpPolicy(**{**defaults, **policy}),
        AddressGuard(allow_private=allow, trusted_hosts=trusted),
    )


def ok(body: str = '{"ok": true}') -> web.Response:
    return web.Response(text=body, content_type="application/json")


async def test_retries_5xx_then_succeeds(server, http_session) -> None:
    server.plans["/a"] = [web.Response(status=503), web.Response(status=502), ok()]
    assert await client(http_session).get_json(server.url + "/a") == {"ok": True}
    assert server.hits["/a"] == 3


async def test_gives_up_after_retries_with_expected_error(server, http_session) -> None:
    server.plans["/a"] = [web.Response(status=500)]
    with pytest.raises(HttpStatusError) as raised:
        await client(http_session, retries=2).get_json(server.url + "/a")
    assert raised.value.status == 500 and raised.value.expected
    assert server.hits["/a"] == 3


async def test_client_errors_are_not_retried(server, http_session) -> None:
    server.plans["/gone"] = [web.Response(status=410)]
    with pytest.raises(HttpStatusError) as raised:
        await client(http_session).get_json(server.url + "/gone")
    assert raised.value.gone and server.hits["/gone"] == 1


async def test_429_honours_retry_after_for_the_whole_platform(server, http_session) -> None:
    server.plans["/limited"] = [web.Response(status=429, headers={"Retry-After": "1"}), ok()]
    server.plans["/other"] = [ok()]
    http = client(http_session)
    started = time.monotonic()
    first = asyncio.create_task(http.get_json(server.url + "/limited"))
    await asyncio.sleep(0.2)  # the 429 has arrived; now the platform is on hold
    await http.get_json(server.url + "/other")
    other_done = time.monotonic() - started
    await first
    assert other_done >= 0.95, "a request during Retry-After went out early"
    assert time.monotonic() - started >= 0.95
    assert server.hits["/limited"] == 2


async def test_retry_after_too_long_gives_up_at_once(server, http_session) -> None:
    server.plans["/a"] = [web.Response(status=503, headers={"Retry-After": "3600"})]
    with pytest.raises(CrawlError, match="giving up"):
        await client(http_session, retry_after_max_s=60).get_json(server.url + "/a")
    assert server.hits["/a"] == 1


async def test_parse_retry_after_seconds_and_dates() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(format_datetime(now + timedelta(seconds=30)), now) == 30.0
    assert parse_retry_after(format_datetime(now - timedelta(seconds=30)), now) == 0.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


async def test_timeouts_are_retried(server, http_session) -> None:
    async def slow(request):
        await asyncio.sleep(1.0)
        return ok()

    server.plans["/slow"] = [slow, ok('{"second": 1}')]
    assert await client(http_session, timeout_s=0.3).get_json(server.url + "/slow") == {"second": 1}
    assert server.hits["/slow"] == 2


async def test_malformed_json_is_a_clear_expected_error(server, http_session) -> None:
    server.plans["/bad"] = [ok('{"items": [1, 2')]
    with pytest.raises(MalformedResponse, match="invalid JSON") as raised:
        await client(http_session).get_json(server.url + "/bad")
    assert raised.value.expected and server.hits["/bad"] == 1


async def test_redirects_are_followed_through_the_guard(server, http_session) -> None:
    server.plans["/start"] = [web.HTTPFound(f"{server.url}/end")]
    server.plans["/end"] = [ok('{"end": true}')]
    assert await client(http_session).get_json(server.url + "/start") == {"end": True}


async def test_redirect_to_loopback_is_refused_when_not_allowed(server, http_session) -> None:
    # "localhost" is trusted for the first hop only; the redirect names 127.0.0.1 itself.
    server.plans["/start"] = [web.HTTPFound(f"http://127.0.0.1:{server.port}/secret")]
    server.plans["/secret"] = [ok('{"secret": true}')]
    guard = AddressGuard(trusted_hosts=["localhost"])
    async with guarded_session(guard) as session:
        http = client(session, allow=False, trusted=["localhost"])
        with pytest.raises(BlockedAddress, match="127.0.0.1"):
            await http.get_json(f"http://localhost:{server.port}/start")
    assert server.hits["/start"] == 1 and "/secret" not in server.hits


async def test_redirect_to_metadata_address_is_refused(server, http_session) -> None:
    server.plans["/start"] = [web.HTTPFound("http://169.254.169.254/latest/meta-data/")]
    async with guarded_session(AddressGuard(trusted_hosts=["127.0.0.1"])) as session:
        http = client(session, allow=False, trusted=["127.0.0.1"])
        with pytest.raises(BlockedAddress, match="169.254.169.254"):
            await http.get_json(server.url + "/start")
