"""The simulated platform's faults: per-request latency, random 503s and 429s (with
``Retry-After``), a request-rate limit answering 429, and one-shot injections for tests
(a status, a body, a redirect or a truncated response for the next request under a prefix)."""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from aiohttp import web

TRUNCATE = web.RequestKey("truncate", bool)


@dataclass
class Faults:
    latency_s: tuple[float, float] = (0.0, 0.0)
    error_rate: float = 0.0  # share of requests answered 503
    rate_429: float = 0.0  # share of requests answered 429
    retry_after_s: int = 1
    max_rps: float = 0.0  # > 0: a global request rate above which requests get 429
    bandwidth_bps: float = 0.0  # > 0: media bytes per second per response


@dataclass
class Injection:
    prefix: str
    status: int | None = None
    body: bytes | None = None
    retry_after: str | None = None
    truncate: bool = False
    redirect_to: str | None = None


class FaultInjection:
    """Mixin of ``PlatformSim``: the middleware reads its ``faults``, ``_injections``, ``_random``
    and ``_bucket``, and counts into its ``requests`` and ``throttled``."""

    @web.middleware
    async def _faults_middleware(self, request: web.Request, handler):
        self.requests.append((request.method, request.path, request.headers.get("Range")))
        low, high = self.faults.latency_s
        if high > 0:
            await asyncio.sleep(self._random.uniform(low, high))
        injection = next((i for i in self._injections if request.path.startswith(i.prefix)), None)
        if injection is not None:
            self._injections.remove(injection)
            if injection.redirect_to:
                raise web.HTTPFound(injection.redirect_to)
            if injection.status is not None or injection.body is not None:
                headers = {"Retry-After": injection.retry_after} if injection.retry_after else {}
                return web.Response(
                    status=injection.status or 200,
                    body=injection.body or b"",
                    headers=headers,
                    content_type="application/json",
                )
            request[TRUNCATE] = injection.truncate
        if self._over_rate() or self._random.random() < self.faults.rate_429:
            self.throttled += 1
            return web.json_response(
                {"error": "rate limited"},
                status=429,
                headers={"Retry-After": str(self.faults.retry_after_s)},
            )
        if self._random.random() < self.faults.error_rate:
            return web.json_response({"error": "unavailable"}, status=503)
        return await handler(request)

    def _over_rate(self) -> bool:
        rate = self.faults.max_rps
        if rate <= 0:
            return False
        tokens, last = self._bucket
        now = time.monotonic()
        tokens = min(rate, tokens + (now - last) * rate)
        if tokens < 1:
            self._bucket = (tokens, now)
            return True
        self._bucket = (tokens - 1, now)
        return False
