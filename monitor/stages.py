"""The three per-candidate stages of the daemon — sample, fingerprint, match — and where they run.

:class:`LocalStages` (the default) samples with the platform's own HTTP client in the event loop,
fingerprints in a local spawn process pool and matches in a thread against this process's index.
With ``settings.ray.address`` set, :func:`make_stages` returns :class:`monitor.ray_tasks.RayStages`
instead, which runs the same three functions as Ray tasks; ``ray`` is imported only then.
"""
from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Protocol

from crawler.base import Platform
from crawler.models import Candidate, Sample
from indexing import retrain
from indexing.catalogue import Services
from indexing.fingerprinting import EpisodePrints
from indexing.reports import ScanReport
from monitor.workqueue import FingerprintPool
from fingerprint import DecodeError, VideoFingerprint


class Stages(Protocol):
    """What :class:`monitor.pipeline.Pipeline` runs for each candidate."""

    workers: int

    def start(self) -> None: ...

    def shutdown(self) -> None: ...

    async def sample(self, platform: Platform, candidate: Candidate, dest_dir: Path) -> Sample:
        """Fetch the candidate's media sample; raises the crawler's ``CrawlError``s."""
        ...

    async def fingerprint(self, path: Path) -> EpisodePrints | DecodeError: ...

    async def match(self, path: Path, fp: VideoFingerprint, *, min_score: float) -> ScanReport: ...

    async def refresh(self) -> tuple[int, int]:
        """Pick up episodes registered or removed elsewhere; returns (added, removed)."""
        ...

    async def retrain(self, progress: retrain.Progress | None = None) -> retrain.RetrainReport:
        """Rebuild the index with all its cells (``indexing/retrain.py``); matching goes on."""
        ...


class LocalStages:
    """One machine: the platform's client, a process pool, and the index held by ``services``."""

    def __init__(self, services: Services):
        self.services = services
        workers = services.settings.daemon.workers or os.cpu_count() or 1
        self.pool = FingerprintPool(workers, services.fp_params, services.limits)
        self.workers = self.pool.workers
        self._index_lock = asyncio.Lock()  # matching and reconciling never overlap

    def start(self) -> None:
        self.pool.warm_up()

    def shutdown(self) -> None:
        self.pool.shutdown()

    async def sample(self, platform: Platform, candidate: Candidate, dest_dir: Path) -> Sample:
        return await platform.fetch_media(candidate, dest_dir)

    async def fingerprint(self, path: Path) -> EpisodePrints | DecodeError:
        return await self.pool.fingerprint(path)

    async def match(self, path: Path, fp: VideoFingerprint, *, min_score: float) -> ScanReport:
        async with self._index_lock:
            return await asyncio.to_thread(self.services.report, path, fp, min_score=min_score)

    async def refresh(self) -> tuple[int, int]:
        async with self._index_lock:
            return await asyncio.to_thread(self.services.reconcile, routine=True)

    async def retrain(self, progress: retrain.Progress | None = None) -> retrain.RetrainReport:
        """The rebuild reads only the database, so matching continues; the swap takes the lock."""
        rebuild = await asyncio.to_thread(retrain.build, self.services, progress)
        async with self._index_lock:
            return await asyncio.to_thread(retrain.swap, self.services, rebuild)


def make_stages(services: Services) -> Stages:
    """Ray tasks when ``settings.ray.address`` is set, else this machine."""
    if services.settings.ray.address:
        from monitor.ray_tasks import RayStages

        return RayStages(services)
    return LocalStages(services)
