"""Fingerprinting as Ray tasks, for registration and scanning past one machine.

Selected by ``settings.ray.address`` (see :mod:`monitor.ray_tasks` for the daemon's stages). Each
task runs the process pool's entry point, ``_fingerprint_job``; a crashed task is a decode error.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import ray
from ray.exceptions import RayError

from indexing.config import RaySettings
from fingerprint import DecodeError, FingerprintParams
from fingerprint.media import DecodeLimits
from indexing.fingerprinting import EpisodePrints, _fingerprint_job

log = logging.getLogger(__name__)


def connect(settings: RaySettings) -> None:
    """Join (or start) the configured Ray runtime once per process."""
    if ray.is_initialized():
        return
    address = None if settings.address == "local" else settings.address
    ray.init(address=address, include_dashboard=False, log_to_driver=False, configure_logging=False)
    log.info("connected to Ray at %s: %s CPUs", settings.address, ray.cluster_resources().get("CPU"))


def fingerprint_many(
    paths: list[Path], params: FingerprintParams, limits: DecodeLimits, settings: RaySettings, *,
    keyframes: bool = False,
) -> Iterator[tuple[Path, EpisodePrints | DecodeError]]:
    """Fingerprint files as Ray tasks, yielding in the given order; a crashed task is a decode error."""
    connect(settings)
    task = ray.remote(num_cpus=settings.num_cpus_per_task, max_retries=0)(_fingerprint_job)
    refs = [task.remote(str(path), params, limits, keyframes) for path in paths]
    for path, ref in zip(paths, refs):
        try:
            yield path, ray.get(ref)
        except RayError as exc:
            yield path, _crashed(path, exc)


def _crashed(path: Path, exc: RayError) -> DecodeError:
    log.warning("Ray task for %s failed: %s", path, type(exc).__name__)
    return DecodeError(str(path), "the fingerprint worker crashed on this file")
