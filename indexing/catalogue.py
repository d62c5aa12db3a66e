"""The registry and scanner service: the one place that joins fingerprint, matcher and storage.

Consistency between the database and the FAISS index: the database is the source of truth (it
keeps every episode's descriptors). An episode is committed to the database and then written to
the index file atomically; :meth:`Services.reconcile` runs on every open and repairs whatever a
crash left between the two (adds missing episodes from the stored descriptors, drops orphans).
"""
from __future__ import annotations

import logging
import os
from collections.abc import Callable, Collection, Iterable, Iterator
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from pathlib import Path
from typing import Generic, Self, TypeVar

import numpy as np
from sqlalchemy.orm import Session, sessionmaker

from fingerprint import DecodeError, FingerprintParams
from fingerprint.audio import AudioFingerprint
from matcher.music import Owner
from fingerprint.descriptor import DIM
from fingerprint.media import DecodeLimits
from indexing import claiming, retrain
from indexing.audio import AudioLibrary
from indexing.config import CatalogueConfig
from indexing.fingerprinting import EpisodePrints, _fingerprint_job, sha256_file
from indexing.procs import die_with_parent
from indexing.reports import (RegisterResult)
from indexing.scanning import Matching, Scanning
from matcher.backends import make_index
from matcher.index import IndexRebuilt
from matcher.match import MatchParams, QueryMatcher
from storage import references, registry
from storage.receipts import issue_receipt
from storage.registry import Removal
from storage.audio import add_audio_fingerprint
from storage.models import Episode
from storage.base import utcnow
from storage.db import make_engine, session_factory, transaction, upgrade

log = logging.getLogger(__name__)

ConfigT = TypeVar("ConfigT", bound=CatalogueConfig)  # the caller's settings come back as given
POOL_MIN_FILES = 3  # below this, starting worker processes costs more than it saves


class RegistrationError(Exception):
    """A file could not be registered (conflict with an existing registration)."""

    expected = True


class CatalogueIndex(Matching, Generic[ConfigT]):
    """Engine, sessions, index and matcher built from one ``Settings``; a context manager.

    All that matching a fingerprint (``report``) and following the database (``reconcile``)
    need: a process that only matches (the daemon's Ray actor) holds this, not :class:`Services`.
    """

    def __init__(self, settings: ConfigT, *, reconcile: bool = True) -> None:
        self.settings: ConfigT = settings
        settings.home.mkdir(parents=True, exist_ok=True)
        self.engine = make_engine(settings.resolved_database_url)
        upgrade(self.engine)
        self.sessions: sessionmaker[Session] = session_factory(self.engine)
        self.index = make_index(settings.index, DIM, settings.index_dir)
        self.fp_params = FingerprintParams(interval_ms=settings.fingerprint.interval_ms,
                                           shift=settings.fingerprint.reference_shift,
                                           caption=settings.fingerprint.caption_band,
                                           decode=settings.fingerprint.decode)
        self.limits = DecodeLimits(
            max_pixels=settings.fingerprint.max_pixels,
            max_duration_ms=int(settings.fingerprint.max_duration_s * 1000),
            max_file_bytes=settings.fingerprint.max_file_bytes,
        )
        match_params = MatchParams(neighbours=settings.matcher.neighbours, search_every=settings.matcher.search_every,
                                   verify_from=settings.matcher.verify_from,
                                   verify_per_minute=settings.matcher.verify_per_minute,
                                   verify_at_least=settings.matcher.verify_at_least)
        self.matcher = QueryMatcher(self.index, match_params, references=self.reference_vectors)
        self._catalogue: dict[int, tuple[str, int, int, str, float]] = {}
        self.shared_footage: dict[int, list[tuple[int, int]]] = {}  # episode → shared spans (ms)
        self.audio = AudioLibrary()
        with transaction(self.sessions) as session:
            self.audio.load(session=session)
        self.shared_footage = claiming.load_shared(self.sessions)
        if reconcile:
            self.reconcile()
        else:
            with transaction(self.sessions) as session:
                self._catalogue = registry.episode_catalogue(session=session)

    @classmethod
    def open(cls, settings: ConfigT) -> Self:
        return cls(settings)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        self.engine.dispose()

    def reference_vectors(self, episode_ids: Collection[int]) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """The registered originals the matcher verifies its candidates against."""
        with transaction(self.sessions) as session:
            stored = registry.fingerprints_for(set(episode_ids), session=session)
        return {fp.episode_id: (fp.times_ms, fp.vectors) for fp in stored}

    # -- consistency -------------------------------------------------------------------------
    def reconcile(self, *, routine: bool = False) -> tuple[int, int]:
        """Make the index hold exactly the registered episodes; returns (added, removed).

        ``routine`` marks the daemon's periodic pick-up of other processes' registrations, where a
        difference is news, not damage (logged at INFO instead of WARNING). An index file that
        another process rebuilt (``indexing/retrain.py``) is reloaded first: its cells are the
        new ones, and this process's own additions come back from the database below."""
        if self.index.rebuilt_elsewhere():
            self.index.reload()
            log.info("index file rebuilt by another process: reloaded (%d descriptors)", self.index.size)
        with transaction(self.sessions) as session:
            registered = registry.episode_ids(session=session)
            indexed = self.index.episode_ids()
            missing = registered - indexed
            stored = registry.fingerprints_for(missing, session=session)
            self._catalogue = registry.episode_catalogue(session=session)
            if routine and self.audio.refresh(session=session):
                log.info("audio library reloaded: %d landmarks", self.audio.index.size)
            stale = len(registry.stale_episodes(session=session)) if not routine else 0
        if stale:
            log.warning("%d episodes were fingerprinted by a version this code does not compare: they are not "
                        "matched until registered again (`dramaguard check` lists them)", stale)
        orphans = indexed - registered
        for episode_id in orphans:
            self.index.remove(episode_id)
        for fp in stored:
            self.index.add(fp.episode_id, fp.times_ms, fp.vectors)
        if missing or orphans:
            self.index.save()
            log.log(
                logging.INFO if routine else logging.WARNING,
                "index %s: %d episodes added from the database, %d removed",
                "synced" if routine else "repaired",
                len(stored),
                len(orphans),
            )
        return len(stored), len(orphans)

    def _follow_rebuild(self) -> None:
        """Before writing the index: take another process's rebuilt file (and the database's
        latest) instead of overwriting it with this process's old-structured copy."""
        if self.index.rebuilt_elsewhere():
            self.reconcile(routine=True)

    def retrain_due(self) -> bool:
        """Would rebuilding the index with all its configured cells pay? (cheap; see retrain.py)"""
        return retrain.retrain_due(self)

    def retrain_index(self, progress: retrain.Progress | None = None) -> retrain.RetrainReport:
        """Rebuild the IVF index from the stored descriptors with all ``nlist`` cells, swap it in,
        save it, reconcile; raises ``retrain.NothingToRetrain`` for backends without cells."""
        return retrain.retrain(self, progress)



class Services(Scanning, CatalogueIndex[ConfigT]):
    """The catalogue: its index (:class:`CatalogueIndex`) plus fingerprinting files on every core,
    registering and removing episodes, and scanning files."""

    # -- registration ------------------------------------------------------------------------
    def fingerprint_many(
        self, paths: list[Path], *, keyframes: bool = False
    ) -> Iterator[tuple[Path, EpisodePrints | DecodeError]]:
        """Fingerprint files on every core, yielding results in the given order.

        Workers are spawned (not forked: FAISS and FFmpeg threads do not survive a fork). A file
        that kills its worker (a decoder crash) is reported as a decode error and a fresh pool
        takes the rest of the batch. With ``settings.ray.address`` set, the files are
        fingerprinted as Ray tasks instead (:mod:`indexing.ray_pool`).
        """
        if self.settings.ray.address:
            from indexing import ray_pool

            yield from ray_pool.fingerprint_many(list(paths), self.fp_params, self.limits, self.settings.ray,
                                                  keyframes=keyframes)
            return
        workers = min(len(paths), os.cpu_count() or 1)
        if workers <= 1 or len(paths) < POOL_MIN_FILES:
            for path in paths:
                yield path, _fingerprint_job(str(path), self.fp_params, self.limits, keyframes)
            return
        pending = list(paths)
        context = multiprocessing.get_context("spawn")
        while pending:
            with ProcessPoolExecutor(max_workers=workers, mp_context=context,
                                     initializer=die_with_parent, initargs=(os.getpid(),)) as pool:
                futures = [pool.submit(_fingerprint_job, str(p), self.fp_params, self.limits, keyframes)
                           for p in pending]
                for i, (path, future) in enumerate(zip(pending, futures)):
                    try:
                        outcome = future.result()
                    except BrokenProcessPool:
                        yield path, DecodeError(str(path), "the decoder crashed on this file")
                        pending = pending[i + 1 :]
                        break
                    yield path, outcome
                else:
                    pending = []

    def register_files(
        self,
        paths: Iterable[Path],
        *,
        work: str,
        holder: str = "default",
        episode_start: int = 1,
        progress: Callable[[RegisterResult], None] | None = None,
    ) -> list[RegisterResult]:
        """Register files as consecutive episodes; each episode is atomic, errors do not stop the batch."""
        paths = [Path(p) for p in paths]
        results = []
        for number, (path, outcome) in enumerate(self.fingerprint_many(paths, keyframes=True), start=episode_start):
            result = RegisterResult(str(path), episode=number)
            try:
                if isinstance(outcome, DecodeError):
                    raise outcome
                self._register_one(path, outcome, work=work, holder=holder, number=number, result=result)
                if result.created:
                    self._register_audio(result.episode_id, outcome.audio)
            except (DecodeError, RegistrationError, IndexRebuilt, OSError) as exc:
                result.error = str(exc) if not isinstance(exc, OSError) else f"{path}: {exc.strerror or exc}"
                log.info("not registered: %s", result.error)
            results.append(result)
            if progress:
                progress(result)
        return results

    def _register_one(
        self, path: Path, prints: EpisodePrints, *, work: str, holder: str, number: int, result: RegisterResult
    ) -> None:
        fp = prints.video
        sha, size = sha256_file(path)
        self._follow_rebuild()
        shared = claiming.find_shared(self.matcher, fp, self._catalogue, step_ms=self.fp_params.interval_ms)
        with transaction(self.sessions) as session:
            existing = registry.find_episode_by_sha(sha, session=session)
            if existing is not None:
                if existing.work.title != work or existing.number != number:
                    raise RegistrationError(
                        f"{path}: already registered as episode {existing.number} of "
                        f"'{existing.work.title}'"
                    )
                result.episode_id, result.created = existing.id, False
                return
            holder_row = registry.get_or_create_holder(holder, session=session)
            work_row = registry.get_or_create_work(work, holder_row, session=session)
            if registry.find_episode(work_row, number, session=session) is not None:
                raise RegistrationError(
                    f"{path}: episode {number} of '{work}' is already registered with another file"
                )
            if len(fp) == 0:
                raise RegistrationError(f"{path}: no informative frames to fingerprint (blank video?)")
            episode = registry.add_episode(
                work_row,
                number=number,
                source_name=path.name,
                duration_s=fp.duration_ms / 1000,
                sha256=sha,
                size_bytes=size,
                algorithm=fp.algorithm,
                version=fp.version,
                params=fp.params,
                times_ms=fp.times_ms,
                vectors=fp.vectors,
                session=session,
            )
            episode_id = episode.id
            issue_receipt(session, episode=episode, issued_at=utcnow())
            claiming.store_shared(episode, shared, result, session=session)
            # The keyframes and the index file are written before the commit: a crash after the
            # commit never leaves an episode without them. If the commit fails, the index entry
            # is taken out again; a crash in between is repaired by reconcile() on next open, and
            # the keyframe folder it leaves is an orphan for ``dramaguard check --repair``.
            self._keep_keyframes(episode_id, prints)
            self.index.add(episode_id, fp.times_ms, fp.vectors)
            try:
                self.index.save()
            except Exception:
                self.index.remove(episode_id)
                raise
            self._catalogue[episode_id] = (work, work_row.id, number, path.name, fp.duration_ms / 1000)
        result.episode_id, result.created = episode_id, True
        claiming.remember_shared(self.shared_footage, episode_id, shared)

    def _keep_keyframes(self, episode_id: int, prints: EpisodePrints) -> None:
        """Small reference frames for evidence pictures (the video itself is not kept).

        Missing keyframes only make evidence poorer, so a failure here is a warning.
        """
        try:
            references.save_keyframes(self.settings.home, episode_id, prints.keyframes)
        except OSError as exc:
            log.warning("episode %d: no reference keyframes kept: %s", episode_id, exc)
            return
        if prints.crop_grid is not None:  # else the first scan that needs it describes it
            self.keep_crop_grid(episode_id, prints.crop_grid)

    def _register_audio(self, episode_id: int, fp: AudioFingerprint) -> None:
        """Store the episode's sound landmarks; an episode without sound is matched by picture only."""
        if len(fp) == 0:
            return
        with transaction(self.sessions) as session:
            add_audio_fingerprint(episode_id, fp, session=session)
            work = session.get(Episode, episode_id).work
            owner = Owner(work.holder_id, work.id)
        self.audio.add(episode_id, fp, owner)

    def removal_plan(self, title: str, *, holder: str | None = None) -> list[Removal]:
        """Per work so titled: deleted, or archived where cases or notices cite it."""
        with transaction(self.sessions) as session:
            return registry.removal_plan(title, holder=holder, session=session)

    def remove_works(self, plan: list[Removal]) -> int:
        """Carry out a plan (registry.retire_works); the index follows after the commit."""
        self._follow_rebuild()
        with transaction(self.sessions) as session:
            touched, gone, deleted = registry.retire_works(plan, now=utcnow(), session=session)
        self.shared_footage = claiming.load_shared(self.sessions)
        for episode_id in gone:
            self.index.remove(episode_id)
            self._catalogue.pop(episode_id, None)
            self.audio.remove(episode_id)
            if episode_id in deleted:
                references.remove_keyframes(self.settings.home, episode_id)
        self.index.save()
        return touched


@contextmanager
def open_services(settings: ConfigT) -> Iterator[Services[ConfigT]]:
    services = Services.open(settings)
    try:
        yield services
    finally:
        services.close()
