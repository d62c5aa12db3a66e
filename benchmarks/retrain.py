"""How long automatic retraining takes: a library of synthetic descriptors in a real SQLite home.

    python -m benchmarks.retrain --descriptors 700000

Commits ``--descriptors`` synthetic descriptors (episodes of 480 frames × 2 views, unit vectors in
shots of 8–16 similar frames) to the registry, opens the service with the default ``faiss-ivf``
settings (its reconcile fills the index, which trains itself at ``train_size``: 5,128 cells with
the defaults), then runs ``Services.retrain_index`` (all 16,384 cells once the library holds
16,384 × 39 = 638,976 descriptors) and prints cells before/after, wall and CPU seconds.
"""
from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

import numpy as np

from indexing.catalogue import Services
from dramaguard.settings import Settings
from fingerprint.descriptor import DIM
from storage import registry
from storage.db import make_engine, session_factory, transaction, upgrade
from fingerprint.extract import ALGORITHM, VERSION  # synthetic vectors stand in for today's prints

FRAMES, VIEWS = 480, 2


def episode(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(times ms, unit vectors) of one synthetic episode; the two views of a frame share its time."""
    shots = np.repeat(np.arange(FRAMES // 8), rng.integers(8, 17, FRAMES // 8))[:FRAMES]
    centres = rng.standard_normal((FRAMES // 8, VIEWS, DIM), dtype=np.float32)
    v = centres[shots] + 0.6 * rng.standard_normal((FRAMES, VIEWS, DIM), dtype=np.float32)
    v = v.reshape(-1, DIM)
    return np.repeat(np.arange(FRAMES) * 250, VIEWS), v / np.linalg.norm(v, axis=1, keepdims=True)


def fill_database(settings: Settings, descriptors: int) -> int:
    engine = make_engine(settings.resolved_database_url)
    upgrade(engine)
    sessions, rng = session_factory(engine), np.random.default_rng(0)
    count = -(-descriptors // (FRAMES * VIEWS))
    for first in range(0, count, 50):
        with transaction(sessions) as session:
            work = registry.get_or_create_work(f"work {first // 50}",
                                               registry.get_or_create_holder("bench", session=session),
                                               session=session)
            for number in range(first, min(first + 50, count)):
                times, vectors = episode(rng)
                registry.add_episode(work, number=number, source_name=f"{number}.mp4", duration_s=120.0,
                                     sha256=f"{number:064x}", size_bytes=1, algorithm=ALGORITHM, version=VERSION,
                                     params={}, times_ms=times, vectors=vectors, session=session)
    engine.dispose()
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--descriptors", type=int, default=700_000)
    parser.add_argument("--home", type=Path, help="data home (default: a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(home=args.home or Path(tmp), index={"backend": "faiss-ivf"})
        episodes = fill_database(settings, args.descriptors)
        wall, cpu = time.monotonic(), time.process_time()
        with Services.open(settings) as services:  # reconcile fills (and first trains) the index
            filled = {"fill_wall_s": round(time.monotonic() - wall, 1),
                      "fill_cpu_s": round(time.process_time() - cpu, 1),
                      "cells": services.index.cells, "retrain_due": services.retrain_due()}
            print(json.dumps({"episodes": episodes, "descriptors": services.index.size, **filled}), flush=True)
            phases: dict[str, tuple[float, float]] = {}  # phase → (wall, CPU) when it began

            def note(phase: str, done: int, total: int) -> None:
                phases.setdefault(phase, (time.monotonic(), time.process_time()))

            report = services.retrain_index(note)
            phases["end"] = (time.monotonic(), time.process_time())
        names = list(phases)
        split = {f"{a}_wall_cpu_s": [round(phases[b][0] - phases[a][0], 1), round(phases[b][1] - phases[a][1], 1)]
                 for a, b in zip(names, names[1:])}
        print(report.summary())
        print(json.dumps({**report.__dict__, **split,
                          "max_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}))


if __name__ == "__main__":
    main()
