"""``dramaguard crawl`` end to end: registered episode, simulated platform, real Services scan."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crawler.simulated.media import make_video
from crawler.simulated.server import PlatformSim
from dramaguard.cli import app


@pytest.fixture
def platform_thread(tmp_path):
    """The simulated platform on its own loop in a thread: the CLI runs its own event loop."""
    loop = asyncio.new_event_loop()
    sim = PlatformSim()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(sim.start(), loop).result(30)
    yield sim
    asyncio.run_coroutine_threadsafe(sim.close(), loop).result(30)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()


def test_crawl_prints_the_pirated_upload(tmp_path: Path, platform_thread, monkeypatch) -> None:
    episode = make_video(tmp_path / "ep1.mp4", 16, seed=31, size=(180, 320))
    innocent = make_video(tmp_path / "other.mp4", 16, seed=32, size=(180, 320))
    sim = platform_thread
    pirated = sim.add_video(episode.read_bytes(), title="契约新娘 全集", uploader_id="pirate")
    sim.add_video(innocent.read_bytes(), title="契约新娘 reaction", uploader_id="fan")
    home, runner = tmp_path / "home", CliRunner()
    result = runner.invoke(
        app, ["--home", str(home), "register", "--work", "契约新娘", "--holder", "H", str(episode)]
    )
    assert result.exit_code == 0, result.output

    monkeypatch.setenv("DRAMAGUARD_CRAWLER__ALLOW_PRIVATE_ADDRESSES", "1")
    monkeypatch.setenv("DRAMAGUARD_CRAWLER__SAMPLE_SECONDS", "6")
    monkeypatch.setenv("DRAMAGUARD_CRAWLER__WINDOW_SECONDS", "2")
    crawl = ["--home", str(home), "crawl", "simulated", "--once", "-o", f"base_url={sim.base_url}"]
    result = runner.invoke(app, crawl, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "MATCH 契约新娘 ep 1" in result.output and sim.page_url(pirated) in result.output
    assert "2 candidates, 2 sampled" in result.output and "1 matched" in result.output
    media_gets = [r for r in sim.requests if r[1].startswith("/media/")]
    assert media_gets and all(r[2] for r in media_gets), "media fetched without Range"
    samples = list((home / "samples" / "simulated").glob("*.mp4"))
    assert [p.name for p in samples] == [f"simulated-{pirated.id}.mp4"]  # unmatched are dropped

    again = runner.invoke(app, crawl, catch_exceptions=False)
    assert "0 candidates" in again.output  # cursors and seen videos persisted

    monkeypatch.delenv("DRAMAGUARD_CRAWLER__ALLOW_PRIVATE_ADDRESSES")
    refused = runner.invoke(app, crawl, catch_exceptions=False)
    assert refused.exit_code == 0 and "0 candidates" in refused.output
    # the guard refused before sending anything: still only the two earlier listings
    assert len([r for r in sim.requests if r[1] == "/api/videos"]) == 2
