"""The crawl loop: cursors resume after a restart, dedupe, and bad input costs one video only."""

from __future__ import annotations

from contextlib import aclosing
from datetime import UTC, datetime, timedelta

import av
import pytest

from crawler.runner import Crawler, Sources
from crawler.simulated.platform import SimulatedPlatform
from storage.crawl import SqlCrawlState
from storage.db import make_engine, session_factory

pytestmark = pytest.mark.asyncio


async def frame_count(sample) -> int:
    """A real scanner stand-in: decodes the sample."""
    with av.open(str(sample.path)) as container:
        return sum(1 for _ in container.decode(video=0))


def upload(sim, media, title, minutes, kind="short"):
    return sim.add_video(
        media[kind].read_bytes(),
        title=title,
        uploader_id="p",
        uploaded_at=datetime(2026, 11, 20, tzinfo=UTC) + timedelta(minutes=minutes),
    )


async def run(platform, tmp_path, sources=Sources()):
    crawler = Crawler(platform, frame_count, tmp_path / "samples", concurrency=3)
    return [o async for o in crawler.run_once(sources)]


async def test_restart_resumes_from_the_persisted_cursor(
    sim, media, http_session, db_url, config, tmp_path
):
    for n in range(5):
        upload(sim, media, f"剧 {n}", n)
    cfg = config(base_url=sim.base_url, max_pages=10)
    first = SimulatedPlatform(
        http_session, cfg, SqlCrawlState(session_factory(make_engine(db_url)))
    )
    outcomes = await run(first, tmp_path)
    assert sorted(o.candidate.title for o in outcomes) == [f"剧 {n}" for n in range(5)]
    assert all(o.result == 50 for o in outcomes)

    upload(sim, media, "剧 5", 10)
    sim.requests.clear()
    # a new process: new engine, new state object, same database file
    restarted = SimulatedPlatform(
        http_session, cfg, SqlCrawlState(session_factory(make_engine(db_url)))
    )
    outcomes = await run(restarted, tmp_path)
    assert [o.candidate.title for o in outcomes] == ["剧 5"]
    listing = [path for method, path, _ in sim.requests if path == "/api/videos"]
    assert len(listing) == 1
    assert SqlCrawlState(session_factory(make_engine(db_url))).get_cursor("simulated", "new") == "6"


async def test_cursor_is_not_advanced_past_unhandled_candidates(
    sim, media, http_session, state, config, tmp_path
):
    for n in range(3):
        upload(sim, media, f"剧 {n}", n)
    platform = SimulatedPlatform(http_session, config(base_url=sim.base_url), state)

    crawler = Crawler(platform, frame_count, tmp_path, concurrency=1)
    async with aclosing(crawler.run_once(Sources())) as outcomes:
        async for outcome in outcomes:
            first = outcome.candidate.video_id
            break  # the process dies after the first candidate: its other sampling tasks with it
    assert state.get_cursor("simulated", "new") is None
    listed = {o.candidate.video_id for o in await run(platform, tmp_path)}
    everything = {"v00001", "v00002", "v00003"}
    assert first not in listed and listed  # the handled one is deduplicated, the others listed again
    # none is lost: each was scanned in one of the runs (one may have finished in the first run
    # while the first outcome was being recorded: its mark reached the database, as it should)
    assert state.unseen("simulated", everything) == set()


async def test_search_results_seen_before_are_not_sampled_again(
    sim, media, http_session, state, config, tmp_path
):
    upload(sim, media, "总裁 全集", 1)
    upload(sim, media, "总裁 合集", 2)
    platform = SimulatedPlatform(http_session, config(base_url=sim.base_url), state)
    sources = Sources(new_uploads=False, terms=("总裁", "总裁 全集"))
    first = await run(platform, tmp_path, sources)
    assert sorted(o.candidate.title for o in first) == ["总裁 全集", "总裁 合集"]
    media_before = sum(1 for _, path, _ in sim.requests if path.startswith("/media/"))
    assert await run(platform, tmp_path, sources) == []
    assert sum(1 for _, path, _ in sim.requests if path.startswith("/media/")) == media_before


async def test_malformed_listing_is_skipped_and_the_crawl_goes_on(
    sim, media, http_session, state, config, tmp_path, caplog
):
    upload(sim, media, "总裁 全集", 1)
    sim.inject("/api/videos", status=200, body=b'{"items": [{"id": ')
    platform = SimulatedPlatform(http_session, config(base_url=sim.base_url), state)
    outcomes = await run(platform, tmp_path, Sources(terms=("总裁",)))
    assert [o.candidate.title for o in outcomes] == ["总裁 全集"]
    assert "invalid JSON" in caplog.text
    assert state.get_cursor("simulated", "new") is None


async def test_truncated_and_deleted_media_cost_one_video_each(
    sim, media, http_session, state, config, tmp_path
):
    broken = upload(sim, media, "坏 1", 1, kind="faststart")
    gone = upload(sim, media, "坏 2", 2)
    fine = upload(sim, media, "好 3", 3)
    platform = SimulatedPlatform(http_session, config(base_url=sim.base_url), state)
    for _ in range(3):
        sim.inject(f"/media/{broken.id}", truncate=True)
    sim.inject(f"/media/{gone.id}", status=404)  # deleted between listing and fetch
    outcomes = {o.candidate.video_id: o for o in await run(platform, tmp_path)}
    assert outcomes[broken.id].status == "failed" and "truncated" in outcomes[broken.id].error
    assert outcomes[gone.id].status == "gone"
    assert outcomes[fine.id].status == "scanned" and outcomes[fine.id].result == 50
    assert state.unseen("simulated", [broken.id, gone.id, fine.id]) == set()


async def test_transient_failures_are_left_for_the_next_run(
    sim, media, http_session, state, config, tmp_path
):
    video = upload(sim, media, "忙", 1)
    platform = SimulatedPlatform(http_session, config(base_url=sim.base_url), state)
    for _ in range(3):
        sim.inject(f"/media/{video.id}", status=503)
    [outcome] = await run(platform, tmp_path, Sources(new_uploads=False, terms=("忙",)))
    assert outcome.status == "retry"
    assert state.unseen("simulated", [video.id]) == {video.id}
    [outcome] = await run(platform, tmp_path, Sources(new_uploads=False, terms=("忙",)))
    assert outcome.status == "scanned"


@pytest.mark.expect_error_log
async def test_a_scanner_crash_is_logged_and_the_crawl_goes_on(
    sim, media, http_session, state, config, tmp_path
):
    upload(sim, media, "一", 1)
    upload(sim, media, "二", 2)

    async def picky(sample):
        if sample.candidate.title == "一":
            raise RuntimeError("decoder exploded")
        return await frame_count(sample)

    platform = SimulatedPlatform(http_session, config(base_url=sim.base_url), state)
    crawler = Crawler(platform, picky, tmp_path)
    outcomes = {o.candidate.title: o async for o in crawler.run_once(Sources())}
    assert outcomes["一"].status == "error" and "decoder exploded" in outcomes["一"].error
    assert outcomes["二"].result == 50


async def test_an_unsupported_source_is_reported_and_the_rest_runs(
    sim, media, http_session, state, config, tmp_path, caplog
):
    from crawler.feed import FeedPlatform

    upload(sim, media, "总裁", 1)
    platform = FeedPlatform(http_session, config(urls=[f"{sim.base_url}/feed.json"]), state)
    outcomes = await run(
        platform, tmp_path, Sources(new_uploads=False, accounts=("x",), terms=("总裁",))
    )
    assert [o.candidate.title for o in outcomes] == ["总裁"]
    assert "cannot list an account" in caplog.text
