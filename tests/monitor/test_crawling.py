"""The crawl command's loop and display: real simulated platform, real SQLite, injected scanner.

``Services.scan_file`` is the lead's; here a small scanner with the same report shape compares
decoded frames with a reference video, so matches and non-matches are real decisions.
"""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass, field
from pathlib import Path

import av
import numpy as np
import pytest
import pytest_asyncio
from rich.console import Console

from crawler.runner import Sources
from crawler.simulated.media import make_video
from crawler.simulated.server import Faults, PlatformSim
from dramaguard.cli.crawl import _options, run_with_progress
from monitor.crawling import crawl, platform_config, work_terms
from dramaguard.settings import CrawlerSettings, Settings
from monitor.config import WorkSearchSettings
from storage.crawl import SqlCrawlState
from storage.db import make_engine, session_factory, upgrade


@dataclass
class Match:
    work: str
    episode: int
    score: float
    query_coverage: float


@dataclass
class Report:
    query: str
    matches: list[Match] = field(default_factory=list)
    error: str | None = None


def first_frame(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        frame = next(container.decode(video=0))
        return frame.to_ndarray(format="gray").astype(np.float32)


@pytest.fixture(scope="module")
def videos(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("videos")
    return {
        "episode": make_video(root / "episode.mp4", 8, seed=11),
        "innocent": make_video(root / "innocent.mp4", 8, seed=12),
    }


@pytest.fixture
def scanner(videos):
    reference = first_frame(videos["episode"])

    async def scan(sample) -> Report:
        frame = await asyncio.to_thread(first_frame, sample.path)
        distance = float(np.abs(frame - reference).mean())
        matches = [Match("霸道总裁爱上我", 1, 1 - distance / 255, 1.0)] if distance < 10 else []
        return Report(str(sample.path), matches)

    return scan


@pytest_asyncio.fixture
async def platform_sim(videos):
    sim = PlatformSim(faults=Faults(latency_s=(0.01, 0.03)))
    await sim.start()
    sim.add_video(videos["episode"].read_bytes(), title="霸道总裁爱上我 全集", uploader_id="pirate")
    sim.add_video(
        videos["innocent"].read_bytes(), title="霸道总裁爱上我 reaction", uploader_id="fan"
    )
    sim.add_video(videos["innocent"].read_bytes(), title="猫", uploader_id="cat")
    yield sim
    await sim.close()


@pytest.fixture
def crawl_state(tmp_path) -> SqlCrawlState:
    engine = make_engine(f"sqlite:///{tmp_path / 'dg.db'}")
    upgrade(engine)
    return SqlCrawlState(session_factory(engine))


def settings_for(sim, **changes) -> CrawlerSettings:
    return CrawlerSettings(
        allow_private_addresses=True,
        backoff_s=0.01,
        sample_seconds=2,
        sample_windows=1,
        window_seconds=1,
        platforms={"simulated": {"base_url": sim.base_url}},
        **changes,
    )


@pytest.mark.asyncio
async def test_crawl_finds_the_pirated_upload_and_only_it(
    platform_sim, scanner, crawl_state, tmp_path
):
    settings = settings_for(platform_sim)
    terms = work_terms(settings, "霸道总裁爱上我", [])
    matched: list[str] = []

    def on_outcome(outcome) -> bool:
        hit = bool(outcome.result and outcome.result.matches)
        if hit:
            matched.append(outcome.candidate.title)
        return hit

    tally = await crawl(
        "simulated",
        settings,
        crawl_state,
        scanner,
        sources=Sources(new_uploads=False, terms=terms),
        dest_dir=tmp_path / "s",
        on_outcome=on_outcome,
    )
    assert matched == ["霸道总裁爱上我 全集"]
    assert (tally.discovered, tally.sampled, tally.matched, tally.failed) == (2, 2, 1, 0)
    again = await crawl(
        "simulated",
        settings,
        crawl_state,
        scanner,
        sources=Sources(new_uploads=True, terms=terms),
        dest_dir=tmp_path / "s",
    )
    assert again.discovered == 1  # only the cat video is new; the rest were deduplicated


@pytest.mark.asyncio
async def test_progress_display_prints_matches(platform_sim, scanner, crawl_state, tmp_path):
    settings = Settings(home=tmp_path, crawler=settings_for(platform_sim))
    out = io.StringIO()
    console = Console(file=out, width=200, force_terminal=False)
    # the CLI runs its own event loop; the simulated platform keeps serving on this one
    tally = await asyncio.to_thread(
        run_with_progress,
        console,
        "simulated",
        settings,
        crawl_state,
        scanner,
        Sources(),
        once=True,
        options={},
    )
    text = out.getvalue()
    assert tally.matched == 1 and tally.discovered == 3
    assert "MATCH 霸道总裁爱上我 ep 1" in text and "/v/v00001" in text and "pirate" in text
    assert "v00002" not in text
    assert list((tmp_path / "samples" / "simulated").glob("*.mp4"))


def test_settings_reach_the_platform_config_and_terms() -> None:
    settings = CrawlerSettings(
        rate_per_s=2,
        retries=5,
        size_cap_bytes=10_000,
        trusted_hosts=["cdn.example"],
        platforms={"feed": {"urls": ["https://example.org/rss"]}},
        works={"甜宠": WorkSearchSettings(words=["全集"], episodes=[2], extra_terms=["甜 宠"])},
    )
    config = platform_config(settings, "feed", {"urls": ["https://other.example/rss"], "x": 1})
    assert config.http.rate_per_s == 2 and config.http.retries == 5
    assert config.sampling.size_cap == 10_000 and not config.allow_private_addresses
    assert config.trusted_hosts == ("cdn.example",)
    assert config.options == {"urls": ["https://other.example/rss"], "x": 1}
    assert work_terms(settings, "甜宠", ["甜甜"]) == [
        "甜宠",
        "甜甜",
        "甜宠 全集",
        "甜甜 全集",
        "甜宠 第2集",
        "甜甜 第2集",
        "甜 宠",
    ]


def test_cli_options_parse_json_values() -> None:
    assert _options(["base_url=http://x", 'urls=["a", "b"]', "n=3"]) == {
        "base_url": "http://x",
        "urls": ["a", "b"],
        "n": 3,
    }


def test_commands_are_registered() -> None:
    import typer
    from typer.testing import CliRunner

    from dramaguard.cli.crawl import register

    app = typer.Typer()
    register(app)
    runner = CliRunner()
    for command, expected in (("crawl", "--once"), ("platform-sim", "--seed-dir")):
        result = runner.invoke(app, [command, "--help"])
        assert result.exit_code == 0 and expected in result.output
