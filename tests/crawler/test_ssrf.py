"""SSRF through candidate and redirect URLs, against a real "internal" server on loopback.

The server on 127.0.0.1 plays the internal service an attacker wants to reach: every test asserts
it was never hit. A hosts-style resolver simulates DNS rebinding (public answer to the guard's
look-up, loopback when aiohttp connects); the system resolver covers the odd loopback spellings.
"""

from __future__ import annotations

import socket

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult

from crawler.errors import BlockedAddress
from crawler.http import HttpClient, HttpPolicy
from crawler.netguard import MAX_URL_LENGTH, AddressGuard, guarded_session, is_internal

pytestmark = pytest.mark.asyncio

PUBLIC = "93.184.216.34"  # never connected to: each test ends before or at the loopback answer


class HostsResolver(AbstractResolver):
    """An /etc/hosts in memory; a list of several answers is handed out one per look-up."""

    def __init__(self, answers: dict[str, list[str]]):
        self.answers = {name: list(addresses) for name, addresses in answers.items()}
        self.lookups: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        name = host.lower().rstrip(".")
        self.lookups.append(name)
        if name not in self.answers:
            raise OSError(f"{name}: no such host")
        queue = self.answers[name]
        address = queue.pop(0) if len(queue) > 1 else queue[0]
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [{"hostname": name, "host": address, "port": port, "family": family,
                 "proto": 0, "flags": socket.AI_NUMERICHOST}]

    async def close(self) -> None:
        pass


class Internal:
    """The target: counts every request; ``/hop/N`` redirects to whatever a test sets."""

    def __init__(self):
        self.hits: list[str] = []
        self.redirects: dict[str, str] = {}

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.hits.append(request.path)
        if request.path in self.redirects:
            raise web.HTTPFound(self.redirects[request.path])
        return web.json_response({"secret": "internal"})


async def serve(host: str):
    """An :class:`Internal` target on ``host``, port 0; yields it with ``port`` set."""
    target = Internal()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", target.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, host, 0).start()
    target.port = runner.addresses[0][1]
    try:
        yield target
    finally:
        await runner.cleanup()


@pytest_asyncio.fixture
async def internal():
    async for target in serve("127.0.0.1"):
        yield target


def http(session: aiohttp.ClientSession, guard: AddressGuard) -> HttpClient:
    return HttpClient(session, HttpPolicy(retries=0, rate_per_s=0, timeout_s=2), guard)


async def test_dns_rebinding_is_refused_at_connect_time(internal) -> None:
    """A request that skipped the check: the connector's own look-up gets loopback, refused.

    (With the check, the connection uses the checked address: ``test_rebinding.py``.)
    """
    resolver = HostsResolver({"rebind.test": ["127.0.0.1"]})
    async with guarded_session(AddressGuard(resolver=resolver)) as session:
        with pytest.raises(BlockedAddress, match="internal address 127.0.0.1"):
            async with session.get(f"http://rebind.test:{internal.port}/admin"):
                pass
    assert resolver.lookups == ["rebind.test"]
    assert internal.hits == []


async def test_without_the_guarded_connector_rebinding_would_get_through(internal) -> None:
    """Proves the test above can fail: the look-up-then-connect guard alone is bypassed."""
    resolver = HostsResolver({"rebind.test": [PUBLIC, "127.0.0.1"]})
    guard = AddressGuard(resolver=resolver)
    await guard.check(f"http://rebind.test:{internal.port}/admin")  # passes: public answer
    connector = aiohttp.TCPConnector(resolver=resolver)
    async with aiohttp.ClientSession(connector=connector) as session:
        async with session.get(f"http://rebind.test:{internal.port}/admin") as response:
            assert response.status == 200
    assert internal.hits == ["/admin"]
    with pytest.raises(TypeError, match="guarded_session"):
        HttpClient(aiohttp.ClientSession(connector=connector), HttpPolicy(), guard)


LOOPBACK_SPELLINGS = [
    "localhost", "LOCALHOST", "localhost.", "127.0.0.1", "127.1", "127.000.000.001", "0177.0.0.1",
    "0x7f000001", "0x7f.0.0.1", "2130706433", "017700000001", "127.255.255.254", "0.0.0.0", "0",
    "[::1]", "[0:0:0:0:0:0:0:1]", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "[::127.0.0.1]",
    "[64:ff9b::7f00:1]", "[2002:7f00:1::1]", "[::]", "[fe80::1%25lo]",
]


@pytest.mark.parametrize("host", LOOPBACK_SPELLINGS)
async def test_loopback_spellings_are_refused_by_the_client(internal, host) -> None:
    guard = AddressGuard()
    async with guarded_session(guard) as session:
        with pytest.raises(BlockedAddress):
            await http(session, guard).get_json(f"http://{host}:{internal.port}/admin")
    assert internal.hits == []


@pytest.mark.parametrize("host", LOOPBACK_SPELLINGS)
async def test_loopback_spellings_are_refused_by_the_connector_alone(internal, host) -> None:
    """Without the up-front check (a code path that forgets it), the session still refuses."""
    async with guarded_session(AddressGuard()) as session:
        # aiohttp itself refuses non-canonical IPv4 (127.1, 2130706433); "localhost." has no
        # answer here. A plain connection error would mean a connect was tried: not accepted.
        refused = (BlockedAddress, aiohttp.InvalidURL, aiohttp.ClientConnectorDNSError)
        with pytest.raises(refused):
            async with session.get(f"http://{host}:{internal.port}/admin"):
                pass
    assert internal.hits == []


REDIRECT_TARGETS = [
    "http://127.0.0.1:{port}/secret",
    "http://localhost:{port}/secret",
    "http://2130706433:{port}/secret",
    "http://0x7f000001:{port}/secret",
    "http://[::ffff:127.0.0.1]:{port}/secret",
    "http://[::1]:{port}/secret",
    "http://rebind.test:{port}/secret",  # loopback answer to the hop's check (rebinding: test_rebinding)
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "http://[fd00:ec2::254]/latest/meta-data/",
    "http://100.100.100.200/latest/meta-data/",
    "http://10.0.0.1/", "http://192.168.0.1/", "http://100.64.0.1/",
    "http://user:hunter2@allowed.test:{port}/secret",
    "file:///etc/passwd", "gopher://127.0.0.1:6379/_FLUSHALL", "ftp://allowed.test/", "dict://127.0.0.1:11211/stats",
]


@pytest.mark.parametrize("target", REDIRECT_TARGETS)
async def test_redirect_chains_from_an_allowed_server_to_internal_targets(internal, target) -> None:
    """allowed.test (trusted, on loopback) redirects twice, then to the internal target."""
    target = target.format(port=internal.port)
    resolver = HostsResolver({"allowed.test": ["127.0.0.1"], "rebind.test": ["127.0.0.1"]})
    guard = AddressGuard(trusted_hosts=["allowed.test"], resolver=resolver)
    base = f"http://allowed.test:{internal.port}"
    internal.redirects = {"/start": f"{base}/hop/1", "/hop/1": "/hop/2", "/hop/2": target}
    async with guarded_session(guard) as session:
        with pytest.raises(BlockedAddress) as raised:
            await http(session, guard).get_json(f"{base}/start")
    assert internal.hits == ["/start", "/hop/1", "/hop/2"], "the internal target was reached"
    assert "hunter2" not in str(raised.value), "credentials leaked into the error"


async def test_trusted_redirect_chain_still_works(internal) -> None:
    resolver = HostsResolver({"allowed.test": ["127.0.0.1"]})
    guard = AddressGuard(trusted_hosts=["allowed.test"], resolver=resolver)
    internal.redirects = {"/start": "/hop/1", "/hop/1": "/end"}
    async with guarded_session(guard) as session:
        body = await http(session, guard).get_json(f"http://allowed.test:{internal.port}/start")
    assert body == {"secret": "internal"} and internal.hits == ["/start", "/hop/1", "/end"]


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd", "FILE:///etc/passwd", "gopher://example.com/", "ftp://example.com/x",
        "data:text/html,<script>alert(1)</script>", "javascript:alert(1)", "dict://example.com/",
        "ldap://example.com/", "jar:http://example.com/x!/", "//example.com/x", "/relative",
        "http:///no-host", "http://", "https://user:secret@example.com/x",
        "http://:secret@example.com/", "http://user@example.com/", "ftp://user:secret@example.com/",
        "gopher://secret@127.0.0.1:6379/", "http://ex ample.com:99999/x",
        "http://example.com/" + "a" * MAX_URL_LENGTH,
    ],
)
async def test_odd_candidate_urls_are_refused(internal, url) -> None:
    guard = AddressGuard(resolver=HostsResolver({"example.com": [PUBLIC]}))
    with pytest.raises(BlockedAddress) as raised:
        await guard.check(url)
    assert raised.value.expected and "secret" not in str(raised.value)


@pytest.mark.parametrize(
    "address", ["64:ff9b::a00:1", "2002:a00:1::1", "2001:0:4136:e378:8000:63bf:80ff:fffe",
                "::ffff:169.254.169.254", "::ffff:100.64.0.1"],
)
async def test_ipv6_forms_embedding_internal_ipv4_are_internal(address) -> None:
    assert is_internal(address)


async def test_the_allow_private_setting_keeps_loopback_tests_working(internal) -> None:
    guard = AddressGuard(allow_private=True)
    async with guarded_session(guard) as session:
        body = await http(session, guard).get_json(f"http://127.0.0.1:{internal.port}/ok")
    async with aiohttp.ClientSession() as plain:  # allowed without the guarded connector too
        assert await http(plain, guard).get_json(f"http://localhost:{internal.port}/ok") == body
    assert internal.hits == ["/ok", "/ok"]


# ---- yt-dlp's own requests: its sockets are vetted at the address they connect to ----

@pytest_asyncio.fixture
async def internal_2():
    """A second "internal" service, on 127.0.0.2 (not trusted by anyone)."""
    async for target in serve("127.0.0.2"):
        yield target


async def test_ytdlp_redirect_to_an_internal_address_is_refused(internal, internal_2, state, config) -> None:
    """The trusted page (127.0.0.1) redirects yt-dlp to 127.0.0.2: refused at connect time."""
    from crawler.ytdlp import YtDlpPlatform

    internal.redirects = {"/watch/1": f"http://127.0.0.2:{internal_2.port}/video.mp4"}
    guard = AddressGuard(trusted_hosts=["127.0.0.1"])
    async with guarded_session(guard) as session:
        platform = YtDlpPlatform(
            session, config(allow_private_addresses=False, trusted_hosts=("127.0.0.1",)), state
        )
        with pytest.raises(BlockedAddress, match="127.0.0.2"):
            await platform.describe(f"http://127.0.0.1:{internal.port}/watch/1")
    assert internal.hits == ["/watch/1"] and internal_2.hits == []


async def test_ytdlp_reads_a_trusted_page_through_the_socket_guard(sim, media, state, config) -> None:
    from crawler.ytdlp import YtDlpPlatform
    from tests.crawler.test_platform_contract import seed

    videos = seed(sim, media)
    guard = AddressGuard(trusted_hosts=["127.0.0.1"])
    async with guarded_session(guard) as session:
        platform = YtDlpPlatform(
            session, config(allow_private_addresses=False, trusted_hosts=("127.0.0.1",)), state
        )
        candidate = await platform.describe(sim.page_url(videos[0]))
    assert candidate.title.startswith(videos[0].title)
