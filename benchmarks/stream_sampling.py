"""Bytes and time to sample one upload served as MP4, HLS (TS, fMP4, byte ranges) and DASH.

Serves one generated clip from the simulated platform in each form and samples it with the default
``SamplingPolicy`` (first 20 s plus three 4 s windows) over the real HTTP path, printing what was
fetched against what the whole upload weighs as served.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

import aiohttp

from crawler.base import PlatformConfig
from crawler.http import HttpPolicy
from crawler.models import Candidate
from crawler.simulated.media import make_video
from crawler.simulated.platform import SimulatedPlatform
from crawler.simulated.server import PlatformSim

KINDS = ("mp4", "hls", "hls-fmp4", "hls-single", "dash")


async def measure(seconds: float, size: tuple[int, int], gop: int) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-streams-") as tmp:
        root = Path(tmp)
        source = make_video(root / "clip.mp4", seconds, seed=5, size=size, gop=gop)
        sim = PlatformSim()
        await sim.start()
        config = PlatformConfig(http=HttpPolicy(rate_per_s=0), allow_private_addresses=True,
                                options={"base_url": sim.base_url})
        try:
            async with aiohttp.ClientSession() as session:
                platform = SimulatedPlatform(session, config, None)
                print(f"{seconds:.0f} s clip, {size[0]}x{size[1]}, keyframe every {gop} frames")
                for kind in KINDS:
                    video = sim.add_video(source.read_bytes(), title=kind, stream=kind)
                    candidate = Candidate("simulated", video.id, sim.page_url(video), kind,
                                          media_url=sim.media_url(video))
                    started = time.perf_counter()
                    sample = await platform.fetch_media(candidate, root / "out")
                    took = time.perf_counter() - started
                    share = sample.bytes_downloaded / video.stream_bytes
                    print(f"{kind:10} {sample.mode:6} {sample.bytes_downloaded / 1e6:5.2f} MB of "
                          f"{video.stream_bytes / 1e6:5.2f} MB ({share:.0%}), "
                          f"{len(sample.segments):3d} segments, {took:.2f} s")
        finally:
            await sim.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=90.0)
    parser.add_argument("--gop", type=int, default=50, help="frames between keyframes (25 fps)")
    args = parser.parse_args()
    asyncio.run(measure(args.seconds, (360, 640), args.gop))
