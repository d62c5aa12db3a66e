"""Candidates per minute one machine sustains end to end: sample → fingerprint → match.

Realistic candidates (``benchmarks/pipeline_media.py``: vertical 720×1280 H.264, 1–3 minutes,
pirated copies of three registered episodes and innocent uploads) are uploaded to the simulated
platform, which runs in its own process (its CPU is the platform's, not ours) with per-request
latency. The daemon's real :class:`monitor.pipeline.Pipeline` discovers them over HTTP, samples
them with ranged requests, fingerprints them in its process pool and matches them against an
index holding the registered episodes plus ``--fill`` synthetic descriptors shaped like real ones
(``benchmarks/index_scale.py``'s generator), and records the outcome in the database.

Printed: wall-clock throughput on this machine, the CPU seconds the pipeline's processes used
per candidate (this process and its fingerprint workers — or, with ``DRAMAGUARD_RAY__ADDRESS=local``,
the local Ray cluster's processes; not the platform's), the quiet-machine
throughput derived from it (``cores × 60 / CPU s per candidate``), each stage's CPU time measured
alone on the same candidates, and correctness (pirated copies matched to the right episode,
innocent uploads not matched).

    nice -n 10 .venv/bin/python -m benchmarks.pipeline [--media /tmp/dg-pipeline-media]
        [--repeat 2] [--fill 1000000] [--latency-ms 20-80] [--backend faiss-ivf] [--decode full fast]
"""
from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import queue
import resource
import statistics
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from sqlalchemy import select

from benchmarks import procstat
from benchmarks.index_scale_data import FRAMES_PER_EPISODE, VIEWS, chunk, dev_statistics
from benchmarks.pipeline_media import Media, make_media
from crawler.simulated.server import Faults, PlatformSim
from monitor.casework_adapter import NoticesCasework
from monitor.demo import demo_settings
from monitor.pipeline import Pipeline
from indexing.catalogue import Services
from indexing.fingerprinting import _fingerprint_job
from dramaguard.settings import Settings
from storage.daemon import QueuedCandidate
from storage.db import transaction

REPO = Path(__file__).resolve().parent.parent


# -- the platform, in a process of its own --------------------------------------------------------
def _serve(directory: str, latency_s: tuple[float, float], ready: multiprocessing.Queue) -> None:
    async def main() -> None:
        sim = PlatformSim(faults=Faults(latency_s=latency_s), seed=1)
        sim.seed_dir(Path(directory))
        ready.put(await sim.start())
        await asyncio.Event().wait()

    asyncio.run(main())


def start_platform(uploads: Path, latency_s: tuple[float, float]) -> tuple[multiprocessing.Process, str]:
    context = multiprocessing.get_context("spawn")
    ready = context.Queue()
    process = context.Process(target=_serve, args=(str(uploads), latency_s, ready), daemon=True)
    process.start()
    while process.is_alive():
        try:
            return process, ready.get(timeout=1)
        except queue.Empty:
            continue
    raise RuntimeError(f"the simulated platform exited ({process.exitcode})")


# -- CPU accounting ----------------------------------------------------------------------------
class CpuMeter:
    """CPU seconds used by this process and its descendants (except the ``exclude`` subtree).

    Descendants are polled from /proc every ``every_s`` in a thread, so processes that start and
    exit during the run (Ray's workers) are counted up to their last poll.
    """

    def __init__(self, exclude: int, every_s: float = 0.5):
        self.exclude, self.every_s = exclude, every_s
        self._base: dict[int, float] = {}
        self._last: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _own(self) -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    def _poll(self, first: bool = False) -> None:
        stats = procstat.all_processes()
        children: dict[int, list[int]] = {}
        for pid, stat in stats.items():
            children.setdefault(stat.ppid, []).append(pid)
        stack = list(children.get(os.getpid(), []))
        while stack:
            pid = stack.pop()
            if pid == self.exclude:
                continue
            cpu = stats[pid].cpu_s
            self._base.setdefault(pid, cpu if first else 0.0)
            self._last[pid] = cpu
            stack.extend(children.get(pid, []))

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            self._poll()

    def __enter__(self) -> CpuMeter:
        self._own0 = self._own()
        self._poll(first=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()
        self._poll()
        self.own_s = self._own() - self._own0  # matching, sampling, database, casework (threads too)
        self.cpu_s = self.own_s + sum(self._last[p] - self._base[p] for p in self._last)


# -- the library ---------------------------------------------------------------------------------
def fill_index(services: Services, bench: Path, descriptors: int) -> dict:
    """Train the IVF index and add ``descriptors`` synthetic frames shaped like the benchmark's."""
    started = time.process_time()
    stats = dev_statistics(bench)
    per_episode = FRAMES_PER_EPISODE * VIEWS
    ids, filler = chunk(stats, 1, -(-descriptors // per_episode))  # episode ids past any registered one
    ids, filler = ids[:descriptors], filler[:descriptors]
    index = services.index
    if hasattr(index, "train") and not index.trained:
        rows = np.random.default_rng(0).choice(len(filler), min(len(filler), index.train_size), replace=False)
        index.train(filler[np.sort(rows)])
    index.add_many(ids, filler)
    return {"index_descriptors": index.size, "fill_cpu_s": round(time.process_time() - started, 1)}


def register(services: Services, media: Media) -> dict:
    started, wall = time.process_time(), time.monotonic()
    results = services.register_files(media.references, work="bench drama", holder="bench")
    assert all(r.error is None for r in results), [r.error for r in results]
    return {"registered_episodes": len(results),
            "register_wall_s": round(time.monotonic() - wall, 1),
            "register_main_cpu_s": round(time.process_time() - started, 1)}


# -- the run ---------------------------------------------------------------------------------------
def stage_uploads(media: Media, repeat: int, root: Path) -> dict[str, tuple[str, str | None]]:
    """Links the platform serves (one upload per link); name stem → (kind, expected episode file)."""
    root.mkdir(parents=True, exist_ok=True)
    truth = {}
    sources = [(p, "pirated", ref) for p, ref in media.pirated.values()] + [(p, "innocent", None) for p in media.innocent]
    for r in range(repeat):
        for path, kind, ref in sources:
            link = root / f"{path.stem}-{r}.mp4"
            if not link.exists():
                link.symlink_to(path)
            truth[link.stem] = (kind, f"{ref}.mp4" if ref else None)
    return truth


async def run_pipeline(settings: Settings, services: Services, count: int, sim_pid: int) -> dict:
    pipeline = Pipeline(services, NoticesCasework)
    await pipeline.start()
    await asyncio.sleep(5)  # the fingerprint workers are spawned and imported before the clock starts
    with CpuMeter(sim_pid) as meter:
        wall0 = time.monotonic()
        queued = 0
        while queued < count:
            queued += (await pipeline.discover("simulated"))["queued"]
        while pipeline.processed < count:
            await pipeline.feed()
            await asyncio.sleep(0.2)
        wall = time.monotonic() - wall0
    cpu = meter.cpu_s
    stages = await measure_stages(pipeline, settings, services)
    await pipeline.stop(grace_s=5)
    return {"wall_s": wall, "cpu_s": cpu, "main_cpu_s": meter.own_s, "workers": pipeline.stages.workers,
            "stages": type(pipeline.stages).__name__, **stages}


async def measure_stages(pipeline: Pipeline, settings: Settings, services: Services) -> dict:
    """Each stage alone, in this process, on every distinct candidate once (CPU time)."""
    from monitor.pipeline import _as_candidate

    with transaction(services.sessions) as session:
        rows = [r for r in session.scalars(select(QueuedCandidate)) if r.title.endswith("-0")]  # first repeat
    platform = pipeline.platforms["simulated"]
    costs: dict[str, list[float]] = {"sample": [], "fingerprint": [], "match": []}
    downloaded = []
    for row in rows:
        t = time.process_time()
        sample = await platform.fetch_media(_as_candidate(row), settings.home / "stage-samples")
        costs["sample"].append(time.process_time() - t)
        downloaded.append(sample.bytes_downloaded)
        t = time.process_time()
        prints = _fingerprint_job(str(sample.path), services.fp_params, services.limits)
        costs["fingerprint"].append(time.process_time() - t)
        t = time.process_time()
        services.report(sample.path, prints.video, min_score=settings.matcher.min_score)
        costs["match"].append(time.process_time() - t)
    return {"stage_cpu_s": {k: statistics.mean(v) for k, v in costs.items()},
            "stage_candidates": len(rows), "mb_downloaded": statistics.mean(downloaded) / 1e6}


def correctness(services: Services, truth: dict[str, tuple[str, str | None]]) -> dict:
    with transaction(services.sessions) as session:
        rows = list(session.scalars(select(QueuedCandidate)))
    found = missed = false = 0
    for row in rows:
        kind, reference = truth[row.title]
        top = row.matches[0]["reference"] if row.matches else None
        if kind == "pirated":
            ok = row.outcome == "matched" and top == reference
            found += ok
            missed += not ok
            if not ok:
                print(f"  missed: {row.title} outcome={row.outcome} top={top}")
        elif row.outcome == "matched":
            false += 1
            print(f"  false match: {row.title} top={top} score={row.matches[0]['score']}")
    return {"pirated_found": found, "pirated_missed": missed, "innocent_matched": false}


def run_once(args: argparse.Namespace, media: Media, decode: str) -> dict:
    """One full run (fresh home, platform, database and index) with ``decode`` as the
    fingerprint decode mode."""
    home = (args.home / decode) if args.home else Path(tempfile.mkdtemp(prefix=f"dg-pipeline-{decode}-"))
    truth = stage_uploads(media, args.repeat, home / "uploads")
    low, high = (float(x) / 1000 for x in args.latency_ms.split("-"))
    platform, url = start_platform(home / "uploads", (low, high))
    try:
        settings = demo_settings(Settings(home=home, index={"backend": args.backend, "train_size": 200_000},
                                          fingerprint={"decode": decode}),
                                 platform_url=url)
        settings = settings.model_copy(update={"daemon": settings.daemon.model_copy(update={"queue_size": 64})})
        figures: dict = {"decode": decode, "cores": os.cpu_count(), "candidates": len(truth),
                         "load_before": os.getloadavg()[0]}
        with Services.open(settings) as services:
            figures |= register(services, media)
            if args.fill:
                figures |= fill_index(services, args.bench, args.fill)
            figures |= asyncio.run(run_pipeline(settings, services, len(truth), platform.pid))
            figures |= correctness(services, truth)
        figures["load_after"] = os.getloadavg()[0]
    finally:
        platform.terminate()
        platform.join()
    return figures


def report(figures: dict, media: Media, args: argparse.Namespace) -> None:
    n = figures["candidates"]
    per = figures["cpu_s"] / n
    print(f"== decode={figures['decode']}")
    print(f"candidates: {n} ({len(media.pirated) * args.repeat} pirated, {len(media.innocent) * args.repeat} innocent), "
          f"index {figures.get('index_descriptors', 'registered only')} descriptors ({args.backend})")
    print(f"wall: {figures['wall_s']:.1f} s → {n / figures['wall_s'] * 60:.1f} candidates/min on this machine "
          f"(load {figures['load_before']:.1f} → {figures['load_after']:.1f}, {figures['stages']}, "
          f"{figures['workers']} workers)")
    print(f"CPU: {figures['cpu_s']:.1f} s → {per:.2f} CPU s per candidate → "
          f"{figures['cores'] * 60 / per:.1f} candidates/min on a quiet {figures['cores']}-core machine; "
          f"of it {figures['main_cpu_s'] / n:.2f} CPU s per candidate in this process (sampling, matching, "
          f"database, casework), the rest in its workers")
    stage = figures["stage_cpu_s"]
    print("per stage, alone (CPU s per candidate, mean of %d): sample %.2f, fingerprint %.2f, match %.2f; "
          "%.1f MB downloaded per candidate" % (figures["stage_candidates"], stage["sample"], stage["fingerprint"],
                                               stage["match"], figures["mb_downloaded"]))
    print(f"correct: {figures['pirated_found']} pirated found, {figures['pirated_missed']} missed, "
          f"{figures['innocent_matched']} innocent matched")
    print(f"registration of {figures['registered_episodes']} episodes: {figures['register_wall_s']} s wall; "
          f"filling the index: {figures.get('fill_cpu_s')} CPU s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--media", type=Path, default=Path(tempfile.gettempdir()) / "dg-pipeline-media")
    parser.add_argument("--bench", type=Path, default=Path(os.environ.get("DRAMAGUARD_BENCH_DIR", REPO.parent / "shared" / "bench")))
    parser.add_argument("--repeat", type=int, default=2, help="uploads of each candidate file")
    parser.add_argument("--fill", type=int, default=1_000_000, help="synthetic descriptors in the index")
    parser.add_argument("--backend", default="faiss-ivf", choices=["faiss-ivf", "faiss-flat"])
    parser.add_argument("--latency-ms", default="20-80", help="platform latency per request")
    parser.add_argument("--decode", nargs="+", default=["fast"], choices=["fast", "full"],
                        help="fingerprint decode modes, one run each in this order (full: before issue 24)")
    parser.add_argument("--only", nargs="+", help="these candidates only (names in pipeline_media.py)")
    parser.add_argument("--home", type=Path)
    args = parser.parse_args()
    media = make_media(args.bench, args.media, set(args.only) if args.only else None)
    runs = []
    for decode in args.decode:
        runs.append(run_once(args, media, decode))
        report(runs[-1], media, args)
    if len(runs) > 1:
        per = {r["decode"]: r["cpu_s"] / r["candidates"] for r in runs}
        rate = {r["decode"]: r["candidates"] / r["wall_s"] * 60 for r in runs}
        base = args.decode[0]
        print("ratios against decode=%s: " % base + ", ".join(
            f"{d}: CPU s per candidate ×{per[d] / per[base]:.2f}, candidates/min (CPU-derived) ×{per[base] / per[d]:.2f}, "
            f"wall candidates/min ×{rate[d] / rate[base]:.2f}" for d in args.decode[1:]))


if __name__ == "__main__":
    main()
