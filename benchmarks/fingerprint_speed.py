"""Fingerprinting speed on a 720×1280 H.264 episode, next to the decoder alone, and series
registration on every core vs one.

The episodes are generated with ``monitor.samples`` (2 minutes, 24 frames/s, x264 veryfast
CRF 23) and cached in ``--workdir``. CPU times are ``time.process_time`` of this process (all of
its threads, FFmpeg's included), so the ratio holds on a machine shared with other work.

    .venv/bin/python -m benchmarks.fingerprint_speed [--seconds 120] [--profile]
        [--episodes 4] [--series-seconds 120]
"""
from __future__ import annotations

import argparse
import cProfile
import io
import json
import multiprocessing
import os
import pstats
import resource
import tempfile
import time
from pathlib import Path

import av

from benchmarks.accuracy import decode_seconds
from monitor import samples
from indexing.catalogue import Services
from dramaguard.settings import Settings
from fingerprint import FingerprintParams, fingerprint_video
from fingerprint.media import DECODE_MODES, FAST_SKIP, FAST_THREADS

SIZE = (720, 1280)  # width × height of a vertical micro-drama episode


def make_series(workdir: Path, episodes: int, seconds: float) -> list[Path]:
    paths = []
    for number in range(1, episodes + 1):
        path = workdir / f"ep{number:02d}_{SIZE[0]}x{SIZE[1]}_{int(seconds)}s.mp4"
        if not path.exists():
            start = time.perf_counter()
            samples.write_video(path.with_suffix(".part.mp4"), samples.episode_frames(number, seconds, size=SIZE))
            path.with_suffix(".part.mp4").rename(path)
            print(f"generated {path.name} in {time.perf_counter() - start:.0f} s", flush=True)
        paths.append(path)
    return paths


def reference_decode_seconds(path: Path) -> float:
    """CPU time of decoding only what any exact picture needs (the frames others reference, one
    thread, nothing converted): the floor of the fast decode, whatever is done after it."""
    start = time.process_time()
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.codec_context.thread_count = FAST_THREADS
        stream.codec_context.skip_frame = FAST_SKIP
        for _ in container.decode(stream):
            pass
    return time.process_time() - start


def decode_vs_fingerprint(path: Path, repeats: int) -> dict:
    """Best of ``repeats`` CPU times for the decoder alone (every frame, frame threads), for
    decoding the reference frames only (the fast decode's floor) and for fingerprinting with each
    decode mode (fast: issue 24; full: before it), interleaved."""
    decode, floor, wall = [], [], []
    cpu_s: dict[str, list[float]] = {mode: [] for mode in DECODE_MODES}
    for _ in range(repeats):
        decode.append(decode_seconds(path))
        floor.append(reference_decode_seconds(path))
        for mode in DECODE_MODES:
            start, cpu = time.perf_counter(), time.process_time()
            fp = fingerprint_video(path, FingerprintParams(decode=mode))
            cpu_s[mode].append(time.process_time() - cpu)
            if mode == "fast":
                wall.append(time.perf_counter() - start)
    best = {mode: min(v) for mode, v in cpu_s.items()}
    return {
        "file": path.name,
        "video_s": fp.duration_ms / 1000,
        "frames_described": len(fp),
        "decode_cpu_s": round(min(decode), 2),
        "reference_frames_decode_cpu_s": round(min(floor), 2),
        "reference_frames_decode_over_decode": round(min(floor) / min(decode), 3),
        "fingerprint_cpu_s": round(best["fast"], 2),
        "fingerprint_over_decode": round(best["fast"] / min(decode), 3),
        "full_decode_fingerprint_cpu_s": round(best["full"], 2),
        "full_decode_fingerprint_over_decode": round(best["full"] / min(decode), 3),
        "fast_over_full": round(best["fast"] / best["full"], 3),
        "fingerprint_wall_s": round(min(wall), 2),
        "video_s_per_fingerprint_cpu_s": round(fp.duration_ms / 1000 / best["fast"], 1),
    }


def profile(path: Path, top: int = 14) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    fingerprint_video(path)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    return out.getvalue()


def _sequential(paths: list[str], cpus: list[int] | None) -> float:
    """Child process: fingerprint the files one after another, optionally pinned to ``cpus``."""
    if cpus is not None:
        os.sched_setaffinity(0, cpus)
    start = time.perf_counter()
    for path in paths:
        fingerprint_video(Path(path))
    return time.perf_counter() - start


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def registration(paths: list[Path]) -> dict:
    """Wall time to register the series: the service's process pool vs one pinned core.

    CPU seconds are split between this process (work done serially: database, index, and
    whatever else is not in the pool) and the pool's workers (reaped, so RUSAGE_CHILDREN has them).
    """
    context = multiprocessing.get_context("spawn")
    first_cpu = sorted(os.sched_getaffinity(0))[:1]
    with context.Pool(1) as pool:
        one_core = pool.apply(_sequential, ([str(p) for p in paths], first_cpu))
    with tempfile.TemporaryDirectory() as home:
        with Services.open(Settings(home=Path(home))) as services:
            main0, workers0 = _cpu(resource.RUSAGE_SELF), _cpu(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            results = services.register_files(paths, work="speed")
            pooled = time.perf_counter() - start
            main, workers = _cpu(resource.RUSAGE_SELF) - main0, _cpu(resource.RUSAGE_CHILDREN) - workers0
    errors = [r.error for r in results if r.error]
    return {
        "register_main_cpu_s": round(main, 1),
        "register_workers_cpu_s": round(workers, 1),
        "episodes": len(paths),
        "cores": len(os.sched_getaffinity(0)),
        "one_core_fingerprint_wall_s": round(one_core, 1),
        "register_files_pool_wall_s": round(pooled, 1),
        "speedup": round(one_core / pooled, 2),
        "errors": errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "dramaguard-speed")
    parser.add_argument("--episodes", type=int, default=4, help="series length for registration")
    parser.add_argument("--seconds", type=float, default=120.0, help="the reference episode's length")
    parser.add_argument("--series-seconds", type=float, default=120.0, help="series episodes' length")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--profile", action="store_true", help="cProfile one fingerprinting run")
    parser.add_argument("--skip-registration", action="store_true")
    parser.add_argument("--series-files", type=Path, nargs="*", help="register these files instead")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    if args.series_files:
        print(json.dumps(registration(args.series_files)), flush=True)
        return
    episode = make_series(args.workdir, 1, args.seconds)[0]
    print(json.dumps(decode_vs_fingerprint(episode, args.repeats)), flush=True)
    if args.profile:
        print(profile(episode), flush=True)
    if not args.skip_registration:
        series = make_series(args.workdir, args.episodes, args.series_seconds)
        print(json.dumps(registration(series)), flush=True)


if __name__ == "__main__":
    main()
