"""Crawler throughput and bytes per candidate against the simulated platform.

Starts the simulated platform in-process with per-request latency and a share of 429 answers,
uploads N videos (a few distinct synthetic episodes, re-uploaded under pirate titles), then crawls
it once with the default sampling policy (new uploads + one search term) and once forcing full
downloads. Prints candidates discovered and sampled per minute, requests, 429s seen, and bytes
downloaded per candidate versus the full files.

    .venv/bin/python benchmarks/crawl.py [--videos 60] [--latency-ms 50-200] [--rate-429 0.05]
        [--bandwidth-mbps 20] [--concurrency 4] [--rate 10]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import aiohttp
import av

from crawler.base import PlatformConfig
from crawler.http import HttpPolicy
from crawler.runner import Crawler, Sources
from crawler.sampling import SamplingPolicy
from crawler.simulated.media import make_video
from crawler.simulated.platform import SimulatedPlatform
from crawler.simulated.server import Faults, PlatformSim
from storage.crawl import SqlCrawlState
from storage.db import make_engine, session_factory, upgrade


async def packets(sample) -> int:
    """A cheap validity check standing in for fingerprinting (not what is measured here)."""

    def count() -> int:
        with av.open(str(sample.path)) as container:
            return sum(1 for p in container.demux(video=0) if p.size)

    return await asyncio.to_thread(count)


async def crawl_once(sim, workdir: Path, label: str, sampling: SamplingPolicy, http: HttpPolicy):
    engine = make_engine(f"sqlite:///{workdir / f'{label}.db'}")
    upgrade(engine)
    state = SqlCrawlState(session_factory(engine))
    served_before, requests_before, throttled_before = (
        sim.bytes_served,
        len(sim.requests),
        sim.throttled,
    )
    config = PlatformConfig(
        http=http,
        sampling=sampling,
        allow_private_addresses=True,
        max_pages=100,
        options={"base_url": sim.base_url},
    )
    async with aiohttp.ClientSession() as session:
        platform = SimulatedPlatform(session, config, state)
        crawler = Crawler(platform, packets, workdir / label, concurrency=http.concurrency)
        started = time.perf_counter()
        outcomes = [o async for o in crawler.run_once(Sources(terms=("全集",)))]
        elapsed = time.perf_counter() - started
    sampled = [o for o in outcomes if o.sample is not None]
    modes = {m: sum(1 for o in sampled if o.sample.mode == m) for m in ("ranged", "full")}
    full_bytes = sum(o.sample.total_size or 0 for o in sampled)
    downloaded = sum(o.sample.bytes_downloaded for o in sampled)
    return {
        "label": label,
        "elapsed_s": elapsed,
        "discovered": len(outcomes),
        "sampled": len(sampled),
        "failed": sum(1 for o in outcomes if o.error),
        "modes": modes,
        "requests": len(sim.requests) - requests_before,
        "throttled": sim.throttled - throttled_before,
        "bytes_per_candidate": downloaded / max(1, len(sampled)),
        "full_bytes_per_candidate": full_bytes / max(1, len(sampled)),
        "served_bytes": sim.bytes_served - served_before,
    }


async def main(args) -> None:
    low, _, high = args.latency_ms.partition("-")
    faults = Faults(
        latency_s=(float(low) / 1000, float(high or low) / 1000),
        rate_429=args.rate_429,
        bandwidth_bps=args.bandwidth_mbps * 1e6 / 8,
    )
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        print(f"making {args.distinct} synthetic episodes of {args.seconds:.0f} s ...", flush=True)
        episodes = [
            make_video(workdir / f"ep{i}.mp4", args.seconds, seed=i, size=(320, 240)).read_bytes()
            for i in range(args.distinct)
        ]
        sim = PlatformSim(faults=faults, seed=1)
        await sim.start()
        for n in range(args.videos):
            sim.add_video(
                episodes[n % len(episodes)],
                title=f"霸道总裁 第{n + 1}集 全集",
                uploader_id=f"pirate{n % 7}",
            )
        http = HttpPolicy(
            concurrency=args.concurrency, rate_per_s=args.rate, retries=4, backoff_s=0.25
        )
        sampling = SamplingPolicy()
        full = replace(sampling, full_ratio=0.0)  # every plan "covers too much": fetch whole files
        print(
            f"{args.videos} uploads of {len(episodes[0]) / 1e6:.2f} MB; "
            f"latency {args.latency_ms} ms;"
            f" 429 share {args.rate_429}; {args.bandwidth_mbps} Mbit/s per response; "
            f"client: {args.concurrency} in flight, {args.rate}/s"
        )
        for label, policy in (("sampled", sampling), ("full", full)):
            r = await crawl_once(sim, workdir, label, policy, http)
            per_min = 60 / r["elapsed_s"]
            print(
                f"{label:8s} {r['discovered']} candidates in {r['elapsed_s']:.1f} s: "
                f"{r['discovered'] * per_min:.0f} discovered/min, {r['sampled'] * per_min:.0f} "
                f"sampled/min; {r['failed']} failed; modes {r['modes']}; {r['requests']} requests "
                f"({r['throttled']} answered 429); "
                f"{r['bytes_per_candidate'] / 1e3:.0f} kB/candidate of "
                f"{r['full_bytes_per_candidate'] / 1e3:.0f} kB "
                f"({r['bytes_per_candidate'] / max(1, r['full_bytes_per_candidate']):.0%})"
            )
        await sim.close()


if __name__ == "__main__":
    logging.basicConfig(level=logging.ERROR)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=60)
    parser.add_argument("--distinct", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=90.0)
    parser.add_argument("--latency-ms", default="50-200")
    parser.add_argument("--rate-429", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--rate", type=float, default=10.0, help="client requests/s")
    parser.add_argument(
        "--bandwidth-mbps",
        type=float,
        default=20.0,
        help="media bandwidth per response (0: unlimited)",
    )
    asyncio.run(main(parser.parse_args()))
