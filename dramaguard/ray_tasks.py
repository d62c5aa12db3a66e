"""Fingerprinting as Ray tasks, for registration and scanning past one machine.

Selected by ``settings.ray.address`` (``DRAMAGUARD_RAY__ADDRESS``): "local" starts a Ray runtime
in this process, "auto" joins the cluster this machine belongs to, ``ray://head:10001`` connects a
client. Unset, nothing here is imported and the single-machine process pool does the work.

Each task runs the same function as the process pool (decode, sample, describe) and returns the
fingerprint or its decode error, so a bad file is reported and the batch goes on. Matching stays
with the process that holds the index (a FAISS file is per machine; with the Milvus backend every
scanner shares one collection). Workers read the files by path: on a cluster the media must be on
storage every node mounts.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

from dramaguard.services import _fingerprint_job
from dramaguard.settings import RaySettings
from fingerprint import DecodeError, FingerprintParams, VideoFingerprint
from fingerprint.media import DecodeLimits

log = logging.getLogger(__name__)


def connect(settings: RaySettings) -> None:
    """Join (or start) the configured Ray runtime once per process."""
    import ray

    if ray.is_initialized():
        return
    address = None if settings.address == "local" else settings.address
    ray.init(address=address, include_dashboard=False, log_to_driver=False, configure_logging=False)
    log.info("connected to Ray at %s: %s CPUs", settings.address, ray.cluster_resources().get("CPU"))


def fingerprint_many(
    paths: list[Path], params: FingerprintParams, limits: DecodeLimits, settings: RaySettings
) -> Iterator[tuple[Path, VideoFingerprint | DecodeError]]:
    """Fingerprint files as Ray tasks, yielding in the given order; a crashed task is a decode error."""
    import ray
    from ray.exceptions import RayError

    connect(settings)
    task = ray.remote(num_cpus=settings.num_cpus_per_task, max_retries=0)(_fingerprint_job)
    refs = [task.remote(str(path), params, limits) for path in paths]
    for path, ref in zip(paths, refs):
        try:
            yield path, ray.get(ref)
        except RayError as exc:
            log.warning("Ray task for %s failed: %s", path, type(exc).__name__)
            yield path, DecodeError(str(path), "the fingerprint worker crashed on this file")
