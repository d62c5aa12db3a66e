"""A per-platform request pacer: a steady rate, pushed back by ``Retry-After``."""

from __future__ import annotations

import asyncio
import time


class RateLimiter:
    """At most ``rate`` request starts per second (``rate <= 0``: unlimited)."""

    def __init__(self, rate: float):
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        async with self._lock:
            now = time.monotonic()
            wait = self._next - now
            self._next = max(now, self._next) + self.interval
        if wait > 0:
            await asyncio.sleep(wait)

    def hold_off(self, seconds: float) -> None:
        """No new request for ``seconds``: the platform asked the whole client to slow down."""
        self._next = max(self._next, time.monotonic() + seconds)
