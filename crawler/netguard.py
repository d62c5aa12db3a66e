"""SSRF guard: refuse URLs whose host resolves to an internal address.

A name is resolved once per request: :meth:`AddressGuard.check` resolves the URL's host (the first
URL, every redirect hop, every media segment), vets every answer and *pins* them for the current
task (a ``ContextVar``); :class:`GuardedConnector`'s resolver then hands aiohttp the pinned
addresses instead of asking DNS again, and aiohttp's DNS cache is off. So the address checked is
the address connected to, and a DNS answer that changes after the check (rebinding) is never
looked up. A request that reaches the connector without a check (a caller that skipped it) is
resolved there and vetted the same way; IP literals are vetted before connecting.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver
from yarl import URL

from crawler.errors import BlockedAddress

#: Cloud metadata services that are not caught by the private/link-local flags.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
#: Longer than any real video page; an absurd URL is refused before anything parses it.
MAX_URL_LENGTH = 4096
_CREDENTIALS = re.compile(r"(//)[^/?#@]*@")
#: host -> the vetted addresses of its last check in this task (see :meth:`AddressGuard.check`).
_PINS: ContextVar[dict[str, frozenset[str]]] = ContextVar("dramaguard_pinned_addresses", default={})


def _pin(host: str, addresses: frozenset[str]) -> None:
    # a fresh dict each time: tasks copy the context, so a shared one would leak between them
    _PINS.set({**_PINS.get(), host.lower().rstrip("."): addresses})


def pinned(host: str) -> frozenset[str] | None:
    """The addresses ``host`` was checked as in this task, if it was."""
    return _PINS.get().get(host.lower().rstrip("."))


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 form carries (mapped, 6to4, Teredo, NAT64), if any."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_internal(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and (embedded := _embedded_ipv4(ip)) is not None:
        if is_internal(str(embedded)):
            return True
    return (
        ip in METADATA_ADDRESSES
        or ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or (isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT)
    )


def _ip_literal(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host.strip("[]").split("%", 1)[0]))
    except ValueError:
        return None


class AddressGuard:
    """Resolves and vets hosts; ``allow_private`` turns it off (tests, the local demo).

    ``allowed_networks`` are internal networks an operator reaches on purpose (an in-house
    mirror); unlike ``trusted_hosts`` they are matched on the address, after resolution.

    ``resolver`` (default: the system's getaddrinfo in a thread) is shared with
    :class:`GuardedConnector`, so both layers ask the same resolver; tests give a hosts-style
    resolver to simulate rebinding. The guard owns it: sessions using it do not close it.
    """

    def __init__(
        self,
        *,
        allow_private: bool = False,
        trusted_hosts: Iterable[str] = (),
        resolver: AbstractResolver | None = None,
        allowed_networks: Iterable[str] = (),
    ):
        self.allow_private = allow_private
        self.trusted_hosts = frozenset(h.lower().rstrip(".") for h in trusted_hosts)
        self.allowed_networks = tuple(ipaddress.ip_network(n, strict=False) for n in allowed_networks)
        self._resolver = resolver

    @property
    def resolver(self) -> AbstractResolver:
        if self._resolver is None:  # aiohttp's resolvers need a running loop: made on first use
            self._resolver = ThreadedResolver()
        return self._resolver

    def trusts(self, host: str) -> bool:
        return self.allow_private or host.lower().rstrip(".") in self.trusted_hosts

    def vet(self, host: str, addresses: Iterable[str], url: str) -> None:
        """Raise unless every address ``host`` resolved to is public (or the host is trusted)."""
        if self.trusts(host):
            return
        for address in addresses:
            if is_internal(address) and not self.allows_network_of(address):
                raise BlockedAddress(
                    f"refusing {url!r}: {host} resolves to internal address {address}", url=url
                )

    def allows_network_of(self, address: str) -> bool:
        """Whether an operator allowed the (internal) network ``address`` is in."""
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        return any(ip.version == net.version and ip in net for net in self.allowed_networks)

    async def check(self, url: str) -> frozenset[str] | None:
        """Vet ``url`` and pin what its host resolved to for this task's next connection.

        Returns the pinned addresses (None for a trusted host, which is resolved at connect).
        """
        if len(url) > MAX_URL_LENGTH:
            raise BlockedAddress(
                f"refusing a URL of {len(url)} characters (limit {MAX_URL_LENGTH})", url=url[:200]
            )
        shown = _CREDENTIALS.sub(r"\1", url)  # errors and logs never repeat a password
        try:
            parts = URL(url)  # the parser aiohttp itself uses, so both see the same host
            host = (parts.host or "").lower()
        except ValueError as exc:
            raise BlockedAddress(f"unparseable URL {shown!r}", url=shown) from exc
        if parts.scheme not in ("http", "https"):
            raise BlockedAddress(f"refusing non-HTTP URL {shown!r}", url=shown)
        if not host:
            raise BlockedAddress(f"URL without host: {shown!r}", url=shown)
        if parts.user is not None or parts.password is not None:
            raise BlockedAddress(f"refusing a URL with credentials: {shown!r}", url=shown)
        if self.trusts(host):
            return None
        addresses = frozenset(await self.addresses(host, parts.port, url))
        self.vet(host, addresses, shown)
        if _ip_literal(host) is None:
            _pin(host, addresses)
        return addresses

    async def trusted_addresses(self) -> set[str]:
        """What the trusted hosts resolve to now (for guards that only see addresses)."""
        found: set[str] = set()
        for host in self.trusted_hosts:
            try:
                found |= await self.addresses(host, None, host)
            except BlockedAddress:  # a trusted name that does not resolve trusts nothing
                continue
        return found

    async def addresses(self, host: str, port: int | None, url: str) -> set[str]:
        literal = _ip_literal(host)
        if literal is not None:
            return {literal}
        try:
            infos = await self.resolver.resolve(host, port or 443, family=socket.AF_UNSPEC)
        except OSError as exc:
            raise BlockedAddress(f"cannot resolve {host}: {exc}", url=url) from exc
        return {info["host"] for info in infos}


class GuardedResolver(AbstractResolver):
    """Hands out the addresses the guard pinned; unpinned names are resolved and vetted here."""

    def __init__(self, guard: AddressGuard):
        self.guard = guard

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        addresses = pinned(host)
        if addresses is not None:
            return _results(host, port, family, addresses)
        results = await self.guard.resolver.resolve(host, port, family)
        self.guard.vet(host, [r["host"] for r in results], f"{host}:{port}")
        return results

    async def close(self) -> None:
        """Nothing to release: the guard owns the resolver and may serve other sessions."""


def _results(
    host: str, port: int, family: socket.AddressFamily | int, addresses: Iterable[str]
) -> list[ResolveResult]:
    found: list[ResolveResult] = []
    for address in sorted(addresses):
        fam = socket.AF_INET6 if ":" in address else socket.AF_INET
        if family in (socket.AF_UNSPEC, fam):
            found.append({"hostname": host, "host": address, "port": port, "family": fam,
                          "proto": 0, "flags": socket.AI_NUMERICHOST})
    if not found:
        raise OSError(f"{host}: no pinned address of family {family}")
    return found


class GuardedConnector(aiohttp.TCPConnector):
    """A TCP connector that only ever connects to addresses the guard allows.

    aiohttp skips the resolver for IP literals, so those are vetted here before connecting. Its
    DNS cache is off: a cached answer would be shared across requests, not the one just pinned.
    """

    def __init__(self, guard: AddressGuard, **kwargs: Any):
        kwargs["use_dns_cache"] = False
        super().__init__(resolver=GuardedResolver(guard), **kwargs)
        self.guard = guard

    async def connect(self, req: aiohttp.ClientRequest, traces: Any, timeout: Any) -> Any:
        host = req.url.raw_host or ""
        literal = _ip_literal(host)
        if literal is not None:
            self.guard.vet(host, [literal], str(req.url))
        return await super().connect(req, traces, timeout)


def guarded_session(guard: AddressGuard, **kwargs: Any) -> aiohttp.ClientSession:
    """The HTTP session every crawler request must go through (see :class:`HttpClient`)."""
    return aiohttp.ClientSession(connector=GuardedConnector(guard), **kwargs)


# ---- sockets opened by third-party code (yt-dlp's own HTTP stack) ----------------------------


class BlockedConnection(PermissionError):
    """Raised inside ``socket.connect`` for an internal address; libraries see a failed connect."""


@dataclass
class SocketGuard:
    """Internal addresses a guarded block may still reach, and what it was refused."""

    allowed: frozenset[str]
    guard: AddressGuard
    refused: list[str] = field(default_factory=list)


_SOCKET_GUARD: ContextVar[SocketGuard | None] = ContextVar("dramaguard_socket_guard", default=None)
_hook_installed = False


def _audit(event: str, args: tuple) -> None:
    if event != "socket.connect":
        return
    state = _SOCKET_GUARD.get()
    address = args[1] if len(args) > 1 else None
    if state is None or not isinstance(address, tuple) or not isinstance(address[0], str):
        return
    literal = _ip_literal(address[0])
    if (
        literal is not None
        and literal not in state.allowed
        and is_internal(literal)
        and not state.guard.allows_network_of(literal)
    ):
        state.refused.append(literal)
        raise BlockedConnection(f"refusing a connection to internal address {literal}")


@contextmanager
def guard_sockets(guard: AddressGuard, trusted_addresses: Iterable[str] = ()) -> Iterator[SocketGuard]:
    """Refuse every ``socket.connect`` to an internal address made in this context — threads
    started with :func:`asyncio.to_thread` inherit it — at the address really connected to.

    For code whose HTTP stack we do not own (yt-dlp): a process-wide audit hook, inert outside
    such a block. Trusted hosts pass only as the addresses they resolved to beforehand.
    """
    global _hook_installed
    if not _hook_installed:
        sys.addaudithook(_audit)
        _hook_installed = True
    state = SocketGuard(frozenset(trusted_addresses), guard)
    if guard.allow_private:
        yield state
        return
    token = _SOCKET_GUARD.set(state)
    try:
        yield state
    finally:
        _SOCKET_GUARD.reset(token)
