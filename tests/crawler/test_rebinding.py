"""DNS rebinding closed by pinning: one look-up per request, and the connection uses its answer.

Two real servers share one port: 127.0.0.2 plays the public site (an operator-allowed network,
so the guard lets it through) and 127.0.0.1 the internal service. The resolver answers the
public address on the first look-up and the internal one on every later look-up — what a
rebinding attacker's DNS server does. Pinned, the request reaches the public server and the
name is looked up exactly once; the control shows an unpinned connection would be rebound.
"""

from __future__ import annotations

import asyncio
import socket

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult

from crawler.errors import BlockedAddress
from crawler.http import HttpClient, HttpPolicy
from crawler.netguard import AddressGuard, GuardedConnector, guarded_session, pinned

pytestmark = pytest.mark.asyncio
PUBLIC, INTERNAL = "127.0.0.2", "127.0.0.1"


class RebindingResolver(AbstractResolver):
    """First look-up of a name: ``first``; every later one: ``then``."""

    def __init__(self, first: str, then: str):
        self.first, self.then = first, then
        self.lookups: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        address = self.then if host in self.lookups else self.first
        self.lookups.append(host)
        return [{"hostname": host, "host": address, "port": port, "family": socket.AF_INET,
                 "proto": 0, "flags": socket.AI_NUMERICHOST}]

    async def close(self) -> None:
        pass


class Site:
    def __init__(self, name: str):
        self.name, self.hits, self.redirects = name, [], {}

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.hits.append(request.path)
        if request.path in self.redirects:
            raise web.HTTPFound(self.redirects[request.path])
        return web.json_response({"site": self.name})


@pytest_asyncio.fixture
async def sites():
    """(public on 127.0.0.2, internal on 127.0.0.1), both on the same port."""
    runners, made = [], []
    port = 0
    for name, host in (("internal", INTERNAL), ("public", PUBLIC)):
        site = Site(name)
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", site.handle)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, host, port).start()
        port = runner.addresses[0][1]
        site.port = port
        runners.append(runner)
        made.append(site)
    yield made[1], made[0]
    for runner in runners:
        await runner.cleanup()


def guard_for(resolver: AbstractResolver) -> AddressGuard:
    return AddressGuard(resolver=resolver, allowed_networks=[f"{PUBLIC}/32"])


def client(session: aiohttp.ClientSession, guard: AddressGuard) -> HttpClient:
    return HttpClient(session, HttpPolicy(retries=0, rate_per_s=0, timeout_s=2), guard)


async def test_the_connection_uses_the_checked_address(sites) -> None:
    public, internal = sites
    resolver = RebindingResolver(PUBLIC, INTERNAL)
    guard = guard_for(resolver)
    async with guarded_session(guard) as session:
        body = await client(session, guard).get_json(f"http://rebind.test:{public.port}/video")
    assert body == {"site": "public"}
    assert resolver.lookups == ["rebind.test"], "the name was looked up again after the check"
    assert public.hits == ["/video"] and internal.hits == []


async def test_control_an_unpinned_connection_is_rebound(sites) -> None:
    """Proves the test above can fail: check, then connect with a fresh look-up → internal."""
    public, internal = sites
    resolver = RebindingResolver(PUBLIC, INTERNAL)
    await guard_for(resolver).check(f"http://rebind.test:{public.port}/video")
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(resolver=resolver)) as plain:
        async with plain.get(f"http://rebind.test:{public.port}/video") as response:
            assert await response.json() == {"site": "internal"}
    assert internal.hits == ["/video"]


async def test_each_redirect_hop_is_pinned(sites) -> None:
    public, internal = sites
    public.redirects = {"/start": f"http://hop.test:{public.port}/end"}
    resolver = RebindingResolver(PUBLIC, INTERNAL)
    guard = guard_for(resolver)
    async with guarded_session(guard) as session:
        body = await client(session, guard).get_json(f"http://start.test:{public.port}/start")
    assert body == {"site": "public"} and public.hits == ["/start", "/end"]
    assert resolver.lookups == ["start.test", "hop.test"] and internal.hits == []


async def test_a_later_request_is_checked_again_and_refused(sites) -> None:
    """Per request (and per media segment): the second request's own look-up is internal."""
    public, internal = sites
    resolver = RebindingResolver(PUBLIC, INTERNAL)
    guard = guard_for(resolver)
    async with guarded_session(guard) as session:
        http = client(session, guard)
        assert await http.get_json(f"http://seg.test:{public.port}/seg/1") == {"site": "public"}
        with pytest.raises(BlockedAddress, match="internal address 127.0.0.1"):
            await http.get_json(f"http://seg.test:{public.port}/seg/2")
    assert public.hits == ["/seg/1"] and internal.hits == []


async def test_pins_do_not_leak_between_tasks(sites) -> None:
    """A pin set in one task is invisible to another (each copies the context at start)."""
    public, _ = sites
    guard = guard_for(RebindingResolver(PUBLIC, INTERNAL))

    async def check() -> None:
        await guard.check(f"http://task.test:{public.port}/")
        assert pinned("task.test") == {PUBLIC}

    await asyncio.create_task(check())
    assert pinned("task.test") is None


async def test_an_unchecked_request_is_resolved_and_vetted_at_the_connector(sites) -> None:
    """A caller that skips the check still cannot connect to an internal answer."""
    public, internal = sites
    resolver = RebindingResolver(INTERNAL, INTERNAL)
    async with guarded_session(guard_for(resolver)) as session:
        with pytest.raises(BlockedAddress):
            async with session.get(f"http://direct.test:{public.port}/admin"):
                pass
    assert internal.hits == []


async def test_the_connector_keeps_no_dns_cache() -> None:
    connector = GuardedConnector(AddressGuard())
    try:
        assert connector.use_dns_cache is False
    finally:
        await connector.close()
