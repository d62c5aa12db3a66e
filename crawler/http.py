"""The one HTTP path every platform uses: guard, pace, limit, retry, follow redirects.

Retries cover timeouts, dropped connections, truncated bodies, 429 and 5xx, with exponential
backoff and jitter; ``Retry-After`` (seconds or an HTTP date) is honoured and, on 429, holds back
the whole platform. Redirects are followed here, not by aiohttp, so each hop passes the guard; the
session's :class:`~crawler.netguard.GuardedConnector` vets the address each connection really uses.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import urljoin

import aiohttp

from crawler.errors import CrawlError, HttpStatusError, MalformedResponse, MediaError
from crawler.netguard import AddressGuard, GuardedConnector
from crawler.ratelimit import RateLimiter

log = logging.getLogger(__name__)
T = TypeVar("T")
REDIRECTS = (301, 302, 303, 307, 308)
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class HttpPolicy:
    concurrency: int = 4
    rate_per_s: float = 5.0
    retries: int = 3
    backoff_s: float = 0.5
    backoff_max_s: float = 30.0
    retry_after_max_s: float = 300.0
    timeout_s: float = 20.0
    user_agent: str = "DramaGuard/0.1 (+copyright monitoring)"
    max_redirects: int = 5


class _Retry(Exception):
    def __init__(self, reason: str, delay: float | None = None):
        super().__init__(reason)
        self.delay = delay


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header, or None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class HttpClient:
    """Wraps the injected session with one platform's limits; create one per platform instance."""

    def __init__(self, session: aiohttp.ClientSession, policy: HttpPolicy, guard: AddressGuard):
        if not guard.allow_private and not isinstance(session.connector, GuardedConnector):
            # the guard's own lookup alone leaves a rebinding window before aiohttp connects
            raise TypeError("crawler sessions must come from crawler.netguard.guarded_session")
        self.session = session
        self.policy = policy
        self.guard = guard
        self.limiter = RateLimiter(policy.rate_per_s)
        self._slots = asyncio.Semaphore(policy.concurrency)
        self.requests = 0  # attempts made, for benchmarks

    async def request(
        self,
        url: str,
        read: Callable[[aiohttp.ClientResponse], Awaitable[T]],
        *,
        method: str = "GET",
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        data: Any = None,
    ) -> T:
        """Send with retries and hand the final 2xx response to ``read`` (retried with it)."""
        attempts = self.policy.retries + 1
        for attempt in range(attempts):
            try:
                async with self._slots:
                    await self.limiter.acquire()
                    return await self._attempt(url, read, method, params, headers, data)
            except _Retry as retry:
                reason, hinted = str(retry), retry.delay
            except (TimeoutError, aiohttp.ClientConnectionError, aiohttp.ClientPayloadError) as exc:
                reason, hinted = f"{type(exc).__name__}: {exc}", None
            if attempt + 1 == attempts:
                raise _final_error(reason, url)
            delay = self._backoff(attempt, hinted)
            if delay > self.policy.retry_after_max_s:
                raise CrawlError(f"{url}: {reason}; asked to wait {delay:.0f}s, giving up", url=url)
            log.warning("retrying %s in %.2fs (%s, attempt %d)", url, delay, reason, attempt + 1)
            await asyncio.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    async def get_json(
        self, url: str, params: Mapping[str, Any] | None = None, limit: int = 8 * 1024 * 1024
    ) -> Any:
        async def read(response: aiohttp.ClientResponse) -> Any:
            body = await read_capped(response, limit)
            try:
                return json.loads(body)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise MalformedResponse(f"{response.url}: invalid JSON ({exc})", url=url) from exc

        return await self.request(url, read, params=params)

    async def get_text(self, url: str, limit: int = 8 * 1024 * 1024) -> str:
        async def read(response: aiohttp.ClientResponse) -> str:
            body = await read_capped(response, limit)
            return body.decode(response.get_encoding() if response.charset else "utf-8", "replace")

        return await self.request(url, read)

    def _backoff(self, attempt: int, hinted: float | None) -> float:
        exponential = min(self.policy.backoff_max_s, self.policy.backoff_s * 2**attempt)
        jittered = exponential * random.uniform(0.5, 1.0)
        return max(jittered, hinted) if hinted is not None else jittered

    async def _attempt(self, url, read, method, params, headers, data):
        self.requests += 1
        all_headers = {"User-Agent": self.policy.user_agent, **(headers or {})}
        timeout = aiohttp.ClientTimeout(
            total=None, connect=self.policy.timeout_s, sock_read=self.policy.timeout_s
        )
        for _hop in range(self.policy.max_redirects + 1):
            await self.guard.check(url)
            async with self.session.request(
                method,
                url,
                params=params,
                headers=all_headers,
                data=data,
                allow_redirects=False,
                timeout=timeout,
            ) as response:
                if response.status in REDIRECTS and "Location" in response.headers:
                    url = urljoin(str(response.url), response.headers["Location"])
                    params = None
                    if response.status == 303 or (
                        response.status in (301, 302) and method == "POST"
                    ):
                        method, data = "GET", None
                    continue
                if response.status in RETRY_STATUSES:
                    delay = parse_retry_after(response.headers.get("Retry-After"))
                    if response.status == 429 and delay is not None:
                        self.limiter.hold_off(delay)
                    raise _Retry(f"HTTP {response.status}", delay)
                if response.status >= 400:
                    raise HttpStatusError(
                        f"{response.url}: HTTP {response.status}", status=response.status, url=url
                    )
                return await read(response)
        raise CrawlError(f"{url}: more than {self.policy.max_redirects} redirects", url=url)


async def read_capped(response: aiohttp.ClientResponse, limit: int) -> bytes:
    """Read a body, refusing more than ``limit`` bytes (announced or actual)."""
    if response.content_length is not None and response.content_length > limit:
        raise MediaError(f"{response.url}: {response.content_length} bytes exceeds cap {limit}")
    chunks, size = [], 0
    async for chunk in response.content.iter_chunked(65536):
        size += len(chunk)
        if size > limit:
            raise MediaError(f"{response.url}: body exceeds cap {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _final_error(reason: str, url: str) -> CrawlError:
    if reason.startswith("HTTP "):
        return HttpStatusError(f"{url}: {reason} after retries", status=int(reason[5:8]), url=url)
    if "Payload" in reason:
        return MediaError(f"{url}: transfer truncated after retries ({reason})", url=url)
    return CrawlError(f"{url}: {reason} after retries", url=url)
