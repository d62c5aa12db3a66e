"""Fuzz the decode + fingerprint path with mutated real clips; print what happened to each input.

Each input runs in a worker process with an address-space limit and a wall-clock timeout, so a
crash, a hang or a memory blow-up is counted instead of taking the run down. An outcome other than
"fingerprint" or "DecodeError" is a bug.

    .venv/bin/python -m benchmarks.fuzz_decode [--inputs 500] [--seed 1] [--bench ../shared/bench]
"""
from __future__ import annotations

import argparse
import collections
import json
import logging
import multiprocessing
import random
import resource
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from fingerprint import DecodeError, fingerprint_video
from fingerprint.media import DecodeLimits
from fingerprint.mutate import Mutation, apply_mutations

REPO = Path(__file__).resolve().parent.parent
KINDS = ("flip", "zero", "truncate", "duplicate")
MEMORY_LIMIT = 2 * 1024**3
TIMEOUT_S = 60
CHUNK = 200  # mutants on disk at a time


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    logging.disable(logging.WARNING)  # skipped-packet warnings are expected by the thousand


def _run_one(path: str) -> str:
    try:
        fingerprint_video(Path(path), limits=DecodeLimits(max_decode_s=30))
        return "fingerprint"
    except DecodeError:
        return "DecodeError"
    except MemoryError:
        return "MemoryError"
    except Exception as exc:  # noqa: BLE001 - the point is to count these
        return f"BUG {type(exc).__name__}: {exc}"


def _chain(rng: random.Random) -> list[Mutation]:
    return [
        Mutation(rng.choice(KINDS), rng.random(), rng.randint(1, 8192), rng.randint(1, 255))
        for _ in range(rng.randint(1, 4))
    ]


def _run_chunk(jobs: list[Path], outcomes: collections.Counter, context, workers: int) -> None:
    """Fingerprint each file in a fresh pool; a hang or a dead worker is counted for its file
    and a new pool takes the rest."""
    pending = list(jobs)
    while pending:
        with ProcessPoolExecutor(workers, mp_context=context, initializer=_limit_memory) as pool:
            futures = [(p, pool.submit(_run_one, str(p))) for p in pending]
            pending = []
            for i, (path, future) in enumerate(futures):
                try:
                    outcomes[future.result(timeout=TIMEOUT_S)] += 1
                except FutureTimeout:
                    outcomes["hang (timeout)"] += 1
                except BrokenProcessPool:
                    outcomes["crash (worker died)"] += 1
                else:
                    continue
                pending = [p for p, _ in futures[i + 1 :]]
                for process in pool._processes.values():  # a hung decoder must not block exit
                    process.kill()
                break


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--bench", type=Path, default=REPO.parent / "shared" / "bench")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    seeds = sorted((args.bench / "dev").glob("*/*.mp4"))
    if not seeds:
        raise SystemExit(f"no clips under {args.bench / 'dev'}")
    outcomes: collections.Counter[str] = collections.Counter()
    started = time.monotonic()
    context = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory() as tmp:
        # mutants are written a chunk at a time and deleted after it: 10,000 would be ~5 GB at once
        for first in range(0, args.inputs, CHUNK):
            jobs = []
            for i in range(first, min(first + CHUNK, args.inputs)):
                seed = rng.choice(seeds)
                data = apply_mutations(seed.read_bytes(), _chain(rng))
                suffix = rng.choice([".mp4", ".mp4", ".mkv", ".jpg", ".txt"])  # wrong extensions too
                path = Path(tmp) / f"mutant_{i:05d}{suffix}"
                path.write_bytes(data)
                jobs.append(path)
            _run_chunk(jobs, outcomes, context, args.workers)
            for path in jobs:
                path.unlink()
            print(json.dumps({"done": first + len(jobs), "seconds": round(time.monotonic() - started, 1),
                              "outcomes": dict(outcomes)}), file=sys.stderr, flush=True)
    elapsed = time.monotonic() - started
    bugs = {k: v for k, v in outcomes.items() if k.startswith(("BUG", "hang", "crash", "Memory"))}
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # largest worker's peak RSS
    print(json.dumps({"inputs": args.inputs, "seed_clips": len(seeds), "seconds": round(elapsed, 1),
                      "outcomes": dict(outcomes), "bugs": sum(bugs.values()),
                      "worker_peak_rss_mib": round(peak_kib / 1024, 1)}, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
