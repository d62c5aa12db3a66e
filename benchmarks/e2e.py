"""End-to-end latency and throughput of the daemon: upload → notice delivered.

Registers a short drama, starts the simulated platform (with per-request latency) in-process,
runs the real daemon (cases and notices in storage.cases, sent to the platform's complaint API), and lets N pirated copies appear among M innocent uploads
at random times (Poisson arrivals). "Delivered" is when the platform received the complaint.
Prints the median and p99 of upload → notice, upload → discovered and upload → matched, and the
throughput in candidates processed per minute.

    .venv/bin/python -m benchmarks.e2e [--pirated 6] [--innocent 18] [--arrival-s 1.0]
        [--latency-ms 20-80] [--scale 1.0] [--home DIR]
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import random
import statistics
import tempfile
import time
from pathlib import Path

from rich.console import Console
from sqlalchemy import select

from crawler.simulated.server import Faults, PlatformSim
from monitor import samples
from monitor.casework_adapter import NoticesCasework
from monitor.daemon import Daemon
from monitor.demo import demo_settings, prepare_work
from indexing.catalogue import Services
from dramaguard.settings import Settings
from storage.daemon import QueuedCandidate
from storage.db import transaction
from storage.models import Work


def make_media(root: Path, variants: int) -> tuple[list[Path], list[Path], list[Path]]:
    eps = [samples.make_episode(root / f"ep{n}.mp4", seed=n, seconds=8) for n in (1, 2)]
    edits = [
        dict(transforms=(samples.hflip, samples.crop(0.10))),
        dict(transforms=(samples.pad_16x9,), speed=1.25),
        dict(transforms=(samples.crop(0.15),), speed=0.9),
    ]
    pirated = [samples.pirate_copy(eps[i % 2], root / f"pirate{i}.mp4", **edits[i % len(edits)])
               for i in range(variants)]
    innocent = [samples.make_episode(root / f"innocent{i}.mp4", seed=500 + i, seconds=6)
                for i in range(variants)]
    return eps, pirated, innocent


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def run(args) -> dict:
    home = Path(args.home or tempfile.mkdtemp(prefix="dg-e2e-"))
    settings = Settings(home=home)
    eps, pirated, innocent = await asyncio.to_thread(make_media, home / "media", args.variants)
    with Services.open(settings) as services:
        services.register_files(eps, work="契约新娘", holder="bench")
        with transaction(services.sessions) as session:
            work = session.scalar(select(Work).where(Work.title == "契约新娘"))
            prepare_work(session, work, notify_score=settings.matcher.notify_score, home=settings.home)
    low, high = (float(x) / 1000 for x in args.latency_ms.split("-"))
    sim = PlatformSim(faults=Faults(latency_s=(low, high)), takedown_delay_s=0.5, seed=1)
    url = await sim.start()
    daemon = Daemon(demo_settings(settings, platform_url=url, scale=args.scale), NoticesCasework)
    stop = asyncio.Event()
    task = asyncio.create_task(daemon.run(stop))
    rng = random.Random(7)
    kinds = ["pirated"] * args.pirated + ["innocent"] * args.innocent
    rng.shuffle(kinds)
    uploads: dict[str, tuple[str, float]] = {}
    for i, kind in enumerate(kinds):
        await asyncio.sleep(rng.expovariate(1 / args.arrival_s))
        source = (pirated if kind == "pirated" else innocent)[i % args.variants]
        video = sim.add_video(source.read_bytes(), title=f"upload {i}", uploader_id=f"u{i}")
        uploads[video.id] = (kind, video.uploaded_at.timestamp())
    end = time.monotonic() + args.timeout_s
    with Services.open(settings) as services:
        while time.monotonic() < end:
            delivered = {v for c in sim.complaints.values() for v in c.video_ids}
            with transaction(services.sessions) as session:
                rows = list(session.scalars(select(QueuedCandidate)))
            if len(delivered) >= args.pirated and all(r.state != "pending" for r in rows) and len(rows) == len(uploads):
                break
            await asyncio.sleep(0.5)
    stop.set()
    await task
    await sim.close()
    complaint_at = {}
    for c in sim.complaints.values():
        for v in c.video_ids:
            complaint_at[v] = min(complaint_at.get(v, float("inf")), c.received_at.timestamp())
    by_video = {r.video_id: r for r in rows}
    notice = [complaint_at[v] - at for v, (k, at) in uploads.items() if k == "pirated" and v in complaint_at]
    discovered = [by_video[v].discovered_at.timestamp() - at for v, (k, at) in uploads.items() if v in by_video]
    matched = [by_video[v].processed_at.timestamp() - at for v, (k, at) in uploads.items()
               if v in by_video and by_video[v].processed_at]
    processed = [r.processed_at.timestamp() for r in rows if r.processed_at]
    first = min(r.discovered_at.timestamp() for r in rows)
    false_notices = [v for v in complaint_at if uploads[v][0] != "pirated"]
    return {
        "uploads": len(uploads), "pirated": args.pirated, "notices_delivered": len(notice),
        "false_notices": len(false_notices),
        "notice_median_s": statistics.median(notice) if notice else None,
        "notice_p99_s": percentile(notice, 0.99) if notice else None,
        "discovered_median_s": statistics.median(discovered),
        "processed_median_s": statistics.median(matched) if matched else None,
        "processed_p99_s": percentile(matched, 0.99) if matched else None,
        "candidates_per_min": len(processed) / max(1e-9, (max(processed) - first)) * 60 if processed else 0,
        "home": str(home),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pirated", type=int, default=6)
    parser.add_argument("--innocent", type=int, default=18)
    parser.add_argument("--variants", type=int, default=3, help="distinct files per kind")
    parser.add_argument("--arrival-s", type=float, default=1.0, help="mean gap between uploads")
    parser.add_argument("--latency-ms", default="20-80", help="platform latency per request")
    parser.add_argument("--scale", type=float, default=1.0, help="daemon interval scale")
    parser.add_argument("--timeout-s", type=float, default=300.0)
    parser.add_argument("--home")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    started = time.monotonic()
    result = asyncio.run(run(args))
    console = Console()
    for key, value in result.items():
        console.print(f"{key:>22}: {value:.2f}" if isinstance(value, float) else f"{key:>22}: {value}")
    console.print(f"{'wall_s':>22}: {time.monotonic() - started:.1f}")


if __name__ == "__main__":
    main()
