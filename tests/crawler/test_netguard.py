from __future__ import annotations

import pytest

from crawler.errors import BlockedAddress
from crawler.netguard import AddressGuard, is_internal

pytestmark = pytest.mark.asyncio


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "::1",
        "fe80::1",
        "fd00::1",
        "0.0.0.0",
        "100.64.0.1",
        "::ffff:127.0.0.1",
        "100.100.100.200",
    ],
)
async def test_internal_addresses_are_recognised(address: str) -> None:
    assert is_internal(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700::1111"])
async def test_public_addresses_pass(address: str) -> None:
    assert not is_internal(address)
    await AddressGuard().check(f"http://[{address}]/" if ":" in address else f"http://{address}/")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/x",
        "http://localhost/",
        "http://[::1]/",
        "https://10.0.0.5/a",
        "http://169.254.169.254/latest/meta-data/",
        "file:///etc/passwd",
        "ftp://8.8.8.8/",
    ],
)
async def test_guard_refuses_internal_and_non_http(url: str) -> None:
    with pytest.raises(BlockedAddress) as raised:
        await AddressGuard().check(url)
    assert raised.value.expected


async def test_setting_allows_private_and_trusted_hosts() -> None:
    await AddressGuard(allow_private=True).check("http://127.0.0.1:1/")
    await AddressGuard(trusted_hosts=["localhost"]).check("http://localhost:1/")
    with pytest.raises(BlockedAddress):
        await AddressGuard(allow_private=True).check("gopher://127.0.0.1/")
