"""Sampling, fingerprinting and matching as Ray tasks, for work past one machine.

Selected by ``settings.ray.address`` (``DRAMAGUARD_RAY__ADDRESS``): "local" starts a Ray runtime
in this process, "auto" joins the cluster this machine belongs to, ``ray://head:10001`` connects a
client. Unset, nothing here is imported and :class:`monitor.stages.LocalStages` does the work.

Each task runs the same function as the single-machine path and returns its expected failure as a
value (a ``CrawlError`` from sampling, a ``DecodeError`` from fingerprinting), so a bad candidate
is reported and the batch goes on:

- sampling: a task builds the platform plugin from its (picklable) config with a fresh HTTP
  session and calls ``Platform.fetch_media``; the sample is written under the daemon's samples
  folder, which on a cluster must be storage every node mounts. Each task has its own client, so
  a platform's request-rate limit holds per task, not across the cluster.
- fingerprinting: ``_fingerprint_job``, the process pool's entry point.
- matching: one :class:`IndexActor` opens the catalogue's index side
  (``indexing.catalogue.CatalogueIndex``, not the whole ``Services``) from the same settings — the
  saved index file, reconciled against the database (which must be reachable from the actor's
  node: PostgreSQL on a cluster) — and answers its ``report``. An actor runs one call at a time,
  as the local path's index lock does; the daemon's index refresh reconciles it too.
"""
from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import aiohttp
import ray
from ray.exceptions import RayError

from crawler.base import Platform, PlatformConfig
from crawler.errors import CrawlError
from crawler.models import Candidate, Sample
from crawler.registry import platform_class
from monitor.config import MonitorConfig
from fingerprint import DecodeError, VideoFingerprint
from indexing import retrain
from indexing.catalogue import CatalogueIndex, Services
from indexing.fingerprinting import EpisodePrints, _fingerprint_job
from indexing.ray_pool import _crashed, connect
from indexing.reports import ScanReport

log = logging.getLogger(__name__)


class _NoCrawlState:
    """Sampling reads no cursors and marks nothing seen; the daemon does that around the task."""

    def _refuse(self, *args, **kwargs):
        raise RuntimeError("a Ray sampling task has no crawl state")

    get_cursor = set_cursor = unseen = mark_seen = _refuse


def _sample_job(name: str, config: PlatformConfig, candidate: Candidate, dest_dir: str) -> Sample | CrawlError:
    """Ray entry point: ``Platform.fetch_media`` with a session of its own; crawl errors returned."""

    async def sample() -> Sample:
        async with aiohttp.ClientSession() as session:
            platform: Platform = platform_class(name)(session, config, _NoCrawlState())
            return await platform.fetch_media(candidate, Path(dest_dir))

    try:
        return asyncio.run(sample())
    except CrawlError as exc:
        return exc


class IndexActor:
    """Holds one ``CatalogueIndex`` (index, matcher, sound library) and matches fingerprints against it."""

    def __init__(self, settings: MonitorConfig):
        self.index = CatalogueIndex(settings)

    def report(self, path: str, fp: VideoFingerprint, min_score: float) -> ScanReport:
        return self.index.report(Path(path), fp, min_score=min_score)

    def reconcile(self) -> tuple[int, int]:
        return self.index.reconcile(routine=True)


class RayStages:
    """The :class:`monitor.stages.Stages` of a Ray cluster; ``services`` stays the daemon's own."""

    def __init__(self, services: Services):
        self.services = services
        self.settings = services.settings.ray
        self.workers = 1  # set by start(): the cluster's CPUs, unless DRAMAGUARD_DAEMON__WORKERS says
        self._index: ray.actor.ActorHandle | None = None

    def start(self) -> None:
        connect(self.settings)
        cpus = self.settings.num_cpus_per_task
        # Sampling waits on the network and matching costs ~0.1 CPU s a candidate: neither holds a
        # CPU slot (the pipeline's consumers bound how many run), so every slot can fingerprint.
        self._sample = ray.remote(num_cpus=0, max_retries=0)(_sample_job)
        self._fingerprint = ray.remote(num_cpus=cpus, max_retries=0)(_fingerprint_job)
        self._index = ray.remote(num_cpus=0)(IndexActor).remote(self.services.settings)
        cluster = int(ray.cluster_resources().get("CPU", 1) // cpus)
        self.workers = max(1, self.services.settings.daemon.workers or cluster)

    def shutdown(self) -> None:
        if self._index is not None:
            ray.kill(self._index)
            self._index = None

    async def sample(self, platform: Platform, candidate: Candidate, dest_dir: Path) -> Sample:
        outcome = await self._sample.remote(platform.name, platform.config, candidate, str(dest_dir))
        if isinstance(outcome, CrawlError):
            raise outcome
        return outcome

    async def fingerprint(self, path: Path) -> EpisodePrints | DecodeError:
        try:
            return await self._fingerprint.remote(str(path), self.services.fp_params, self.services.limits)
        except RayError as exc:
            return _crashed(path, exc)

    async def match(self, path: Path, fp: VideoFingerprint, *, min_score: float) -> ScanReport:
        return await self._index.report.remote(str(path), fp, min_score)

    async def refresh(self) -> tuple[int, int]:
        local = await asyncio.to_thread(self.services.reconcile, routine=True)  # health reports read this one
        await self._index.reconcile.remote()
        return local

    async def retrain(self, progress: retrain.Progress | None = None) -> retrain.RetrainReport:
        """Rebuild the daemon's own copy and save it; the actor's reconcile reloads the new file."""
        report = await asyncio.to_thread(retrain.retrain, self.services, progress)
        await self._index.reconcile.remote()
        return report
