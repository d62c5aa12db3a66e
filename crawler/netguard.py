"""SSRF guard: refuse URLs whose host resolves to an internal address.

Checked for the first URL and again for every redirect hop (the HTTP client follows redirects
itself). Hosts are resolved with the event loop's resolver; all addresses must be public.
Residual risk: DNS may answer differently when aiohttp connects (rebinding); a deployment that
cares can also give the session a resolver that applies :func:`is_internal`.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

from crawler.errors import BlockedAddress

#: Cloud metadata services that are not caught by the private/link-local flags.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)


def is_internal(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (
        ip in METADATA_ADDRESSES
        or ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or (isinstance(ip, ipaddress.IPv4Address) and ip in ipaddress.ip_network("100.64.0.0/10"))
    )


class AddressGuard:
    """Resolves and vets hosts; ``allow_private`` turns it off (tests, the local demo)."""

    def __init__(self, *, allow_private: bool = False, trusted_hosts: Iterable[str] = ()):
        self.allow_private = allow_private
        self.trusted_hosts = frozenset(h.lower() for h in trusted_hosts)

    async def check(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise BlockedAddress(f"refusing non-HTTP URL {url!r}", url=url)
        host = (parts.hostname or "").lower()
        if not host:
            raise BlockedAddress(f"URL without host: {url!r}", url=url)
        if self.allow_private or host in self.trusted_hosts:
            return
        for address in await self._resolve(host, parts.port, url):
            if is_internal(address):
                raise BlockedAddress(
                    f"refusing {url!r}: {host} resolves to internal address {address}", url=url
                )

    @staticmethod
    async def _resolve(host: str, port: int | None, url: str) -> set[str]:
        try:
            return {str(ipaddress.ip_address(host))}
        except ValueError:
            pass
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port or 443, type=socket.SOCK_STREAM
            )
        except socket.gaierror as exc:
            raise BlockedAddress(f"cannot resolve {host}: {exc}", url=url) from exc
        return {info[4][0] for info in infos}
