"""The daemon's in-memory work: a bounded queue ordered by deadline, and the fingerprinting pool.

The queue is deliberately small: the durable backlog lives in the database (``candidate_queue``),
and only ``maxsize`` candidates are ever held in memory, so a flood of uploads costs rows, not RAM.
Producers that find the queue full simply leave the rest in the database (backpressure).
"""
from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from indexing.procs import die_with_parent
from indexing.fingerprinting import EpisodePrints, _fingerprint_job
from fingerprint import DecodeError, FingerprintParams
from fingerprint.media import DecodeLimits

log = logging.getLogger(__name__)


@dataclass(order=True)
class WorkItem:
    deadline: datetime
    seq: int
    candidate_id: int = field(compare=False)


class DeadlineQueue:
    """Earliest deadline first; ``offer`` never blocks and says whether the item was taken.

    An id stays "known" from ``offer`` until ``done``, so the feeder never queues a candidate that
    a worker is still processing.
    """

    def __init__(self, maxsize: int):
        self.maxsize = maxsize
        self._heap: list[WorkItem] = []
        self._known: set[int] = set()
        self._in_flight: set[int] = set()
        self._seq = itertools.count()
        self._ready = asyncio.Condition()
        self._closed = False

    def __len__(self) -> int:
        return len(self._heap)

    @property
    def free(self) -> int:
        return max(0, self.maxsize - len(self._heap))

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    @property
    def known(self) -> frozenset[int]:
        return frozenset(self._known)

    async def offer(self, candidate_id: int, deadline: datetime) -> bool:
        if self._closed or candidate_id in self._known or len(self._heap) >= self.maxsize:
            return False
        heapq.heappush(self._heap, WorkItem(deadline, next(self._seq), candidate_id))
        self._known.add(candidate_id)
        async with self._ready:
            self._ready.notify()
        return True

    async def take(self) -> WorkItem | None:
        """The most urgent item, waiting for one; None once the queue is closed."""
        async with self._ready:
            await self._ready.wait_for(lambda: self._heap or self._closed)
            if self._closed:
                return None
            item = heapq.heappop(self._heap)
            self._in_flight.add(item.candidate_id)
            return item

    def done(self, candidate_id: int) -> None:
        self._in_flight.discard(candidate_id)
        self._known.discard(candidate_id)

    async def close(self) -> list[WorkItem]:
        """Stop handing out work; returns what was still queued (it stays pending in the DB)."""
        self._closed = True
        left, self._heap = self._heap, []
        for item in left:
            self._known.discard(item.candidate_id)
        async with self._ready:
            self._ready.notify_all()
        return left


class FingerprintPool:
    """Fingerprinting in spawned worker processes, awaited from the event loop.

    A file that kills its worker (a decoder crash) comes back as a ``DecodeError``; the pool is
    rebuilt for the next file. Workers die with the daemon, even one killed with SIGKILL
    (:func:`indexing.procs.die_with_parent`). ``fingerprint/`` stays synchronous and knows
    nothing of this.
    """

    def __init__(self, workers: int, params: FingerprintParams, limits: DecodeLimits):
        self.workers = max(1, workers)
        self.params, self.limits = params, limits
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                initializer=die_with_parent, initargs=(os.getpid(),),
            )
        return self._pool

    async def fingerprint(self, path: Path) -> EpisodePrints | DecodeError:
        loop = asyncio.get_running_loop()
        pool = self._executor()
        try:
            return await loop.run_in_executor(pool, _fingerprint_job, str(path), self.params, self.limits)
        except BrokenProcessPool:
            if self._pool is pool:
                self._pool = None
                pool.shutdown(wait=False, cancel_futures=True)
            return DecodeError(str(path), "the decoder crashed on this file")

    def warm_up(self) -> None:
        """Start the worker processes now rather than on the first candidate."""
        pool = self._executor()
        for _ in range(self.workers):
            pool.submit(int)

    def shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
