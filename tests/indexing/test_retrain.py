"""Automatic retraining: the IVF index is rebuilt from the database with all its cells.

Real SQLite, real FAISS, small sizes: nlist 64 and a first training at 1,000 descriptors, which
supports only 1000 // 39 = 25 cells; 64 × 39 = 2,496 descriptors can fill all 64. Episodes are
synthetic unit descriptors committed through the registry, as another process's registration
lands in the database; ``reconcile`` puts them in the index as the daemon's refresh does.
"""
from __future__ import annotations

import asyncio
import hashlib
import logging

import numpy as np
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from indexing import retrain
from monitor.casework_adapter import NoticesCasework
from dramaguard.cli import app
from monitor.daemon import Daemon
from indexing.catalogue import Services
from dramaguard.settings import Settings
from fingerprint.descriptor import DIM
from matcher.index import IndexRebuilt
from storage import registry
from storage.daemon import JobRun
from storage.db import transaction
from fingerprint.extract import ALGORITHM, VERSION  # synthetic vectors stand in for today's prints

FRAMES = 200
IVF = {"backend": "faiss-ivf", "nlist": 64, "nprobe": 8, "train_size": 1000, "train_iterations": 4}
FIRST_CELLS = 1000 // 39


def vectors(seed: int) -> np.ndarray:
    """One episode: unit descriptors in scenes of 8 similar frames, like real ones."""
    rng = np.random.default_rng(seed)
    scenes = rng.normal(size=(FRAMES // 8 + 1, DIM)).repeat(8, axis=0)[:FRAMES]
    v = scenes + 0.35 * rng.normal(size=(FRAMES, DIM))
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


def plant(services: Services, work: str, number: int) -> int:
    """Commit a synthetic episode (seeded by its work and number) to the registry."""
    seed = int(hashlib.sha256(f"{work}/{number}".encode()).hexdigest()[:8], 16)
    with transaction(services.sessions) as session:
        holder = registry.get_or_create_holder("holder", session=session)
        row = registry.get_or_create_work(work, holder, session=session)
        episode = registry.add_episode(
            row, number=number, source_name=f"{work}-{number}.mp4", duration_s=FRAMES / 4,
            sha256=hashlib.sha256(f"{work}/{number}".encode()).hexdigest(), size_bytes=1,
            algorithm=ALGORITHM, version=VERSION, params={}, times_ms=np.arange(FRAMES) * 250,
            vectors=vectors(seed), session=session,
        )
        return episode.id


def library(services: Services, episodes: int, work: str = "w") -> list[int]:
    ids = [plant(services, work, n) for n in range(1, episodes + 1)]
    services.reconcile(routine=True)
    return ids


def near_copies(v: np.ndarray, seed: int) -> np.ndarray:
    q = v + 0.3 * np.random.default_rng(seed).normal(size=v.shape) / np.sqrt(DIM)
    return (q / np.linalg.norm(q, axis=1, keepdims=True)).astype(np.float32)


def found_share(services: Services, episode_id: int, work: str, number: int) -> float:
    """Share of an episode's frames whose near-copy finds that very frame among 16 neighbours."""
    seed = int(hashlib.sha256(f"{work}/{number}".encode()).hexdigest()[:8], 16)
    rows = np.arange(0, FRAMES, 2)
    hits = services.index.search(near_copies(vectors(seed)[rows], seed=1), 16)
    planted = (hits.episode_ids == episode_id) & (hits.times_ms == (rows * 250)[:, None])
    return float(planted.any(axis=1).mean())


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(home=tmp_path / "home", index=IVF)


@pytest.mark.parametrize("cells_per_vector", [1, 2])
def test_retrain_fills_every_cell_and_still_finds_planted_copies(tmp_path, cells_per_vector):
    settings = Settings(home=tmp_path / "home", index={**IVF, "cells_per_vector": cells_per_vector})
    with Services.open(settings) as services:
        ids = library(services, 15)  # 3,000 descriptors
        assert services.index.cells == FIRST_CELLS and services.retrain_due()
        report = services.retrain_index()
        assert (report.cells_before, report.cells_after) == (FIRST_CELLS, 64)
        assert report.descriptors == 3000 and report.episodes == 15 and report.sample == 64 * 39
        assert services.index.cells == 64 and not services.retrain_due()
        assert services.index.episode_ids() == set(ids) and services.index.size == 3000
        assert services.index._index.ntotal == 3000 * cells_per_vector  # the rebuild stores copies too
        assert found_share(services, ids[6], "w", 7) >= 0.95
    with Services.open(settings) as again:  # the rebuilt file is what was saved
        assert again.index.cells == 64 and again.reconcile() == (0, 0)
        assert found_share(again, ids[11], "w", 12) >= 0.95


def test_raising_cells_per_vector_makes_the_rebuild_due_until_every_descriptor_has_its_copies(tmp_path):
    """A library trained with all its cells at one cell per vector, reopened asking for two: the
    nprobe chosen for two cells would miss what has one, so the automatic rule rebuilds it."""
    one = Settings(home=tmp_path / "home", index={**IVF, "train_size": 64 * 39, "cells_per_vector": 1})
    with Services.open(one) as services:
        ids = library(services, 15)
        services.index.save()
        assert services.index.cells == 64 and not services.retrain_due()
    two = Settings(home=tmp_path / "home", index={**IVF, "train_size": 64 * 39, "cells_per_vector": 2})
    with Services.open(two) as services:
        assert services.index.copies_missing and services.retrain_due()
        services.retrain_index()
        assert services.index._index.ntotal == 2 * 3000 and services.index.size == 3000
        assert not services.index.copies_missing and not services.retrain_due()
        assert found_share(services, ids[3], "w", 4) >= 0.95
    with Services.open(two) as again:  # the saved rebuild says so by itself
        assert not again.retrain_due() and again.index.episode_ids() == set(ids)


def test_episode_registered_during_the_rebuild_is_kept(settings):
    with Services.open(settings) as daemon, Services.open(settings) as api:
        library(daemon, 15)
        api.reconcile()
        rebuild = retrain.build(daemon)
        late = plant(api, "late", 1)  # the API registers while the daemon rebuilds ...
        api.reconcile()  # ... and saves its old-structured copy of the file
        report = retrain.swap(daemon, rebuild)
        assert report.added_after == 1 and late in daemon.index.episode_ids()
        assert found_share(daemon, late, "late", 1) >= 0.95
        assert api.index.cells == FIRST_CELLS
        api.reconcile(routine=True)  # the API's next sync takes the rebuilt file
        assert api.index.cells == 64 and api.index.episode_ids() == daemon.index.episode_ids()
    with Services.open(settings) as reopened:
        assert reopened.index.cells == 64 and late in reopened.index.episode_ids()


def test_an_abandoned_rebuild_changes_nothing(settings):
    """The daemon's shutdown stops a rebuild between episodes (its progress callback raises)."""
    def stop_while_adding(phase: str, done: int, total: int) -> None:
        if phase == "adding" and done == 5:
            raise retrain.RetrainAbandoned("shutdown")

    with Services.open(settings) as services:
        library(services, 15)
        with pytest.raises(retrain.RetrainAbandoned):
            services.retrain_index(stop_while_adding)
        assert services.index.cells == FIRST_CELLS and services.index.size == 3000
    assert not (settings.index_dir / "frames.faiss.generation").exists()


def test_other_process_reloads_the_rebuilt_file_instead_of_overwriting_it(settings, caplog):
    with Services.open(settings) as cli, Services.open(settings) as api:
        library(cli, 15)
        library(cli, 2, work="gone")
        api.reconcile()
        assert api.index.cells == FIRST_CELLS
        cli.retrain_index()
        with pytest.raises(IndexRebuilt):  # an ordinary save never overwrites a rebuilt file
            api.index.save()
        assert api.remove_works(api.removal_plan("gone")) == 1  # a write follows the rebuild first
        assert api.index.cells == 64
        assert "index file rebuilt by another process: reloaded" in caplog.text
    with Services.open(settings) as reopened:
        assert reopened.index.cells == 64 and reopened.reconcile() == (0, 0)
        assert len(reopened.index.episode_ids()) == 15


def test_daemon_retrains_once_the_library_can_fill_every_cell(settings, caplog):
    """Below 64 × 39 descriptors the daemon's refresh leaves the index alone; once another
    process's registration crosses it, the next refresh rebuilds the index, once."""
    settings = settings.model_copy(update={"daemon": settings.daemon.model_copy(update={
        "platforms": [], "search_works": False, "index_refresh_interval_s": 0.3, "workers": 1,
        "health_port": 0, "shutdown_grace_s": 1.0})})
    with Services.open(settings) as api:
        library(api, 12)  # 2,400 descriptors: 25 cells, not enough for 64

        def refresh_runs() -> tuple[int, dict]:
            with transaction(api.sessions) as session:
                row = session.scalar(select(JobRun).where(JobRun.job_id == "index:refresh"))
                return (row.runs, row.summary) if row else (0, {})

        async def scenario() -> None:
            stop = asyncio.Event()
            daemon = asyncio.create_task(Daemon(settings, NoticesCasework).run(stop))
            try:
                await until(lambda: refresh_runs()[0] >= 3)
                assert "retrained" not in refresh_runs()[1]
                assert not (settings.index_dir / "frames.faiss.generation").exists()
                plant(api, "w", 13)  # 2,600 descriptors
                # the rebuild's durable mark: the run's summary says "retrained" only until the next
                # refresh 0.3 s later replaces it, which a busy machine's polling can miss
                await until(lambda: (settings.index_dir / "frames.faiss.generation").exists())
                runs = refresh_runs()[0]
                await until(lambda: refresh_runs()[0] >= runs + 2)
                assert "retrained" not in refresh_runs()[1]  # done once, not again
            finally:
                stop.set()
                await daemon

        async def until(condition, timeout_s: float = 180.0) -> None:
            for _ in range(int(timeout_s / 0.1)):
                if await asyncio.to_thread(condition):
                    return
                await asyncio.sleep(0.1)
            raise AssertionError("the daemon did not get there in time")

        asyncio.run(scenario())
    retrained = [r.getMessage() for r in caplog.records
                 if r.levelno == logging.INFO and r.getMessage().startswith("index retrained")]
    assert len(retrained) == 1 and "25 → 64 cells" in retrained[0] and "2,600 descriptors" in retrained[0]
    with Services.open(settings) as reopened:
        assert reopened.index.cells == 64 and len(reopened.index.episode_ids()) == 13


runner = CliRunner()


def test_cli_retrain_prints_its_summary(settings, monkeypatch):
    for key, value in IVF.items():
        monkeypatch.setenv(f"DRAMAGUARD_INDEX__{key.upper()}", str(value))
    with Services.open(settings) as services:
        library(services, 15)
    result = runner.invoke(app, ["--home", str(settings.home), "index", "retrain"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "index retrained: 25 → 64 cells, 3,000 descriptors in 15 episodes" in result.stdout
    with Services.open(settings) as again:
        assert again.index.cells == 64


def test_cli_retrain_on_the_exact_backend_has_nothing_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("DRAMAGUARD_INDEX__BACKEND", "faiss-flat")
    result = runner.invoke(app, ["--home", str(tmp_path / "home"), "index", "retrain"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "nothing to do: the faiss-flat backend has no cells to retrain" in result.stdout
    assert not (tmp_path / "home" / "index" / "frames.faiss.generation").exists()


def test_training_sample_draws_distinct_descriptors_from_the_stream():
    """Each descriptor's first value is its position in the stream: the sample can be checked."""
    stream = [registry.StoredFingerprint(e, np.arange(n), np.arange(o, o + n, dtype=np.float32)[:, None])
              for e, (o, n) in enumerate([(0, 5), (5, 0), (5, 300), (305, 95)])]
    sample = retrain.training_sample(stream, 400, 120, 1)
    assert sample.shape == (120, 1) and len(np.unique(sample)) == 120 and sample.max() < 400
    assert sample.max() >= 305  # drawn from the whole stream, not its start
    everything = retrain.training_sample(stream, 400, 1000, 1)
    assert sorted(everything[:, 0]) == list(range(400))
