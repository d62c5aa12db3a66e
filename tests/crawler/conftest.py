"""Crawler fixtures: generated MP4s, a simulated platform on port 0, real SQLite crawl state."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio

from crawler.base import PlatformConfig
from crawler.http import HttpPolicy
from crawler.sampling import SamplingPolicy
from crawler.simulated.media import make_video
from crawler.simulated.server import PlatformSim
from storage.crawl import SqlCrawlState
from storage.db import make_engine, session_factory, upgrade

# Small windows so short test videos are sampled, not downloaded whole.
SAMPLING = SamplingPolicy(
    sample_seconds=3.0,
    windows=2,
    window_seconds=1.0,
    probe_bytes=4096,
    full_ratio=0.9,
    merge_gap=0,
)
FAST_HTTP = HttpPolicy(concurrency=4, rate_per_s=0, retries=2, backoff_s=0.01, timeout_s=5)


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Videos made once per session: 12 s with moov first/last, 2 s short, another seed."""
    root = tmp_path_factory.mktemp("media")
    return {
        "faststart": make_video(root / "faststart.mp4", 12, seed=1, faststart=True),
        "moov_last": make_video(root / "moov_last.mp4", 12, seed=1, faststart=False),
        "short": make_video(root / "short.mp4", 2, seed=2),
        "other": make_video(root / "other.mp4", 12, seed=3),
    }


@pytest_asyncio.fixture
async def sim():
    platform = PlatformSim(seed=7)
    await platform.start()
    yield platform
    await platform.close()


@pytest_asyncio.fixture
async def http_session():
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'crawl.db'}"
    upgrade(make_engine(url))
    return url


@pytest.fixture
def state(db_url: str) -> SqlCrawlState:
    return SqlCrawlState(session_factory(make_engine(db_url)))


@pytest.fixture
def config():
    """A fast, private-address-allowing config; keyword arguments override fields or options."""

    def make(**options) -> PlatformConfig:
        base = PlatformConfig(http=FAST_HTTP, sampling=SAMPLING, allow_private_addresses=True)
        fields = {k: options.pop(k) for k in list(options) if hasattr(base, k)}
        return replace(base, options=options, **fields)

    return make
