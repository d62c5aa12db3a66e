"""Rebuild the IVF frame index from the database's original descriptors, with all ``nlist`` cells.

Why: the IVF index trains itself once, on its first ``train_size`` descriptors, and a sample
supports at most sample/39 cells (5,128 of the 16,384 asked with the defaults). Fewer cells mean
longer cell lists to scan: at 50 M descriptors a candidate costs 684 instead of 436 CPU ms. The
index keeps only 4-bit codes, too coarse to train on, but the database keeps every descriptor.

How: two streaming passes over the stored fingerprints (a batch of rows in memory at a time):
draw ``min(total, nlist × 39)`` descriptors at random and train a blank index on them, then add
every episode to it. The live index serves searches meanwhile. :func:`swap` then has it adopt the
new contents, saves the file with a new generation token (other processes reload it instead of
overwriting it; see ``matcher/index.py``) and reconciles, so an episode registered during the
rebuild comes from the database. The daemon runs :func:`build` outside its index lock and
:func:`swap` inside it; ``dramaguard index retrain`` runs both (:func:`retrain`).
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from sqlalchemy.orm import Session, sessionmaker

from matcher.index import FrameIndex, encode_ids
from matcher.ivf_index import ADD_CHUNK, MIN_POINTS_PER_CELL, FaissIvfFrameIndex
from storage import registry
from storage.db import transaction
from storage.registry import StoredFingerprint


class Services(Protocol):
    """What a rebuild needs of the catalogue (``indexing.catalogue.Services``), which calls this
    module: the live index, the database, and a reconcile afterwards — one-way, no import back."""

    index: FrameIndex
    sessions: sessionmaker[Session]

    def reconcile(self, *, routine: bool = False) -> tuple[int, int]: ...


log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]  # (phase, episodes done, episodes in the library)


class NothingToRetrain(Exception):
    """The configured index has no cells to rebuild (exact backends, or IVF still exact)."""

    expected = True


class RetrainAbandoned(Exception):
    """Raised by a progress callback to stop a rebuild (the daemon's shutdown); nothing is swapped."""

    expected = True


@dataclass(frozen=True)
class RetrainReport:
    cells_before: int
    cells_after: int
    episodes: int
    descriptors: int
    sample: int
    wall_s: float
    cpu_s: float  # this process's CPU time, all threads
    added_after: int  # episodes registered during the rebuild, taken from the database after the swap

    def summary(self) -> str:
        return (f"index retrained: {self.cells_before:,} → {self.cells_after:,} cells, "
                f"{self.descriptors:,} descriptors in {self.episodes:,} episodes "
                f"(sample {self.sample:,}), {self.wall_s:.1f} s wall, {self.cpu_s:.1f} CPU s")


@dataclass
class Rebuild:
    """A trained and filled index not yet in service, and what it cost so far."""

    index: FaissIvfFrameIndex
    cells_before: int
    episodes: int
    descriptors: int
    sample: int
    started_wall: float
    started_cpu: float


def ivf_index(services: Services) -> FaissIvfFrameIndex:
    """The service's IVF index, or :class:`NothingToRetrain` saying why there is none to rebuild."""
    index = services.index
    if not isinstance(index, FaissIvfFrameIndex):
        raise NothingToRetrain(f"nothing to do: the {index.name} backend has no cells to retrain "
                               f"(only {FaissIvfFrameIndex.name} has)")
    if not index.trained:
        raise NothingToRetrain(f"nothing to do: the IVF index is still exact ({index.size:,} descriptors; "
                               f"it trains itself at {index.train_size:,})")
    return index


def training_sample(fingerprints: Iterable[StoredFingerprint], total: int, size: int, dim: int,
                    *, seed: int = 0, progress: Callable[[], None] | None = None) -> np.ndarray:
    """``min(total, size)`` descriptors drawn uniformly from the stream of ``total``, holding only
    the sample: positions are drawn first, then picked out of each fingerprint as it passes."""
    rng = np.random.default_rng(seed)
    picks = np.sort(rng.choice(total, min(total, size), replace=False)) if total else np.zeros(0, np.int64)
    parts, offset = [], 0
    for fp in fingerprints:
        low, high = np.searchsorted(picks, [offset, offset + len(fp.vectors)])
        if high > low:
            parts.append(fp.vectors[picks[low:high] - offset])
        offset += len(fp.vectors)
        if progress:
            progress()
    return np.concatenate(parts) if parts else np.zeros((0, dim), np.float32)


def build(services: Services, progress: Progress | None = None, *, seed: int = 0) -> Rebuild:
    """Train a blank copy of the service's IVF index on a sample of the database's descriptors
    and add every stored episode to it; the service's own index is not touched. ``progress`` is
    called after every episode of both passes and may raise :class:`RetrainAbandoned`."""
    live = ivf_index(services)
    started_wall, started_cpu = time.monotonic(), time.process_time()
    fresh = live.blank()
    with transaction(services.sessions) as session:
        episodes, descriptors = registry.descriptor_totals(session=session)
        done = 0

        def step(phase: str) -> None:
            nonlocal done
            done += 1
            if progress:
                progress(phase, done, episodes)

        sample = training_sample(registry.iter_fingerprints(session=session), descriptors,
                                 live.nlist * MIN_POINTS_PER_CELL, live.dim, seed=seed,
                                 progress=lambda: step("sampling"))
        if progress:
            progress("training", 0, episodes)
        fresh.train(sample, seed=seed)
        done = 0
        ids, vectors, pending = [], [], 0
        for fp in registry.iter_fingerprints(session=session):
            ids.append(encode_ids(fp.episode_id, fp.times_ms))
            vectors.append(fp.vectors)
            pending += len(fp.vectors)
            if pending >= ADD_CHUNK:
                fresh.add_many(np.concatenate(ids), np.concatenate(vectors))
                ids, vectors, pending = [], [], 0
            step("adding")
        if ids:
            fresh.add_many(np.concatenate(ids), np.concatenate(vectors))
    return Rebuild(fresh, live.cells, episodes, descriptors, len(sample), started_wall, started_cpu)


def swap(services: Services, rebuild: Rebuild) -> RetrainReport:
    """Put the rebuilt index in service, save it as a new generation, and reconcile."""
    index = ivf_index(services)
    index.adopt(rebuild.index)
    index.save(rebuilt=True)
    added, _ = services.reconcile(routine=True)
    return RetrainReport(
        cells_before=rebuild.cells_before, cells_after=index.cells, episodes=rebuild.episodes,
        descriptors=rebuild.descriptors, sample=rebuild.sample,
        wall_s=round(time.monotonic() - rebuild.started_wall, 2),
        cpu_s=round(time.process_time() - rebuild.started_cpu, 2), added_after=added,
    )


def retrain(services: Services, progress: Progress | None = None) -> RetrainReport:
    """:func:`build` then :func:`swap`, for a process that does not search while it rebuilds."""
    return swap(services, build(services, progress))


def retrain_due(services: Services) -> bool:
    """The automatic rule (a cheap comparison): IVF with fewer cells than ``nlist`` although it
    holds enough descriptors (``nlist`` × 39) to train them all, or with descriptors stored in
    fewer cells than ``cells_per_vector`` asks for."""
    index = services.index
    return isinstance(index, FaissIvfFrameIndex) and index.retrain_due
