"""Range sampling, full downloads, the size cap and truncated media — really decoded."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import av
import pytest
import pytest_asyncio
from aiohttp import web

from crawler.errors import HttpStatusError, MediaError
from crawler.simulated.media import make_video
from crawler.simulated.platform import SimulatedPlatform
from tests.crawler.conftest import SAMPLING

pytestmark = pytest.mark.asyncio


def decoded_times(path) -> list[float]:
    with av.open(str(path)) as container:
        return [float(frame.time) for frame in container.decode(video=0)]


async def candidate_for(platform, sim, video):
    async for page in platform.search(video.title):
        for candidate in page.candidates:
            if candidate.video_id == video.id:
                return candidate
    raise AssertionError(f"{video.id} not found")


@pytest.mark.parametrize("layout", ["faststart", "moov_last"])
async def test_ranged_sample_holds_the_first_seconds_and_spaced_windows(
    layout, media, sim, http_session, state, config, tmp_path
) -> None:
    video = sim.add_video(media[layout].read_bytes(), title=f"剧 {layout}")
    platform = SimulatedPlatform(http_session, config(base_url=sim.base_url), state)
    before = datetime.now(UTC)
    sample = await platform.fetch_media(await candidate_for(platform, sim, video), tmp_path)

    assert sample.mode == "ranged"
    assert sample.total_size == len(video.data)
    assert sample.bytes_downloaded < 0.6 * len(video.data)
    assert sample.bytes_downloaded == sum(b - a for a, b in sample.ranges)
    assert all(r[2] for r in sim.requests if r[1].startswith("/media/")), (
        "a media GET without Range"
    )
    assert sample.sha256 == hashlib.sha256(sample.path.read_bytes()).hexdigest()
    fetched = b"".join(video.data[a:b] for a, b in sample.ranges)
    assert sample.fetched_sha256 == hashlib.sha256(fetched).hexdigest()
    assert before <= sample.captured_at <= datetime.now(UTC)

    times = decoded_times(sample.path)
    assert times[0] == pytest.approx(0.0)
    assert any(t >= SAMPLING.sample_seconds - 0.1 for t in times if t < 4)  # first 3 s complete
    later = [t for t in times if t > SAMPLING.sample_seconds + 0.5]
    assert later, "no spaced windows sampled"
    # windows at ~5.25 s and ~9.75 s (keyframes every 1 s): timestamps keep their original place
    assert any(4 <= t <= 6.5 for t in later) and any(8.5 <= t <= 10.5 for t in later)
    assert not any(6.9 < t < 8.4 for t in later), "bytes between windows were decoded"


async def test_short_video_is_downloaded_whole(media, sim, http_session, state, config, tmp_path):
    video = sim.add_video(media["short"].read_bytes(), title="短片")
    platform = SimulatedPlatform(http_session, config(base_url=sim.base_url), state)
    sample = await platform.fetch_media(await candidate_for(platform, sim, video), tmp_path)
    assert sample.mode == "full"
    assert sample.path.read_bytes() == video.data
    assert sample.sha256 == hashlib.sha256(video.data).hexdigest()
    assert len(decoded_times(sample.path)) == 50


@pytest_asyncio.fixture
async def plain_server(media):
    """A server that ignores Range and serves the whole file with 200."""
    body = media["faststart"].read_bytes()
    app = web.Application()

    async def whole(request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="video/mp4")

    app.router.add_get("/v.mp4", whole)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}/v.mp4", body
    await runner.cleanup()


async def test_server_without_range_support_gives_a_full_download(
    plain_server, http_session, state, config, tmp_path
) -> None:
    url, body = plain_server
    platform = SimulatedPlatform(http_session, config(), state)
    candidate = _candidate(url)
    sample = await platform.fetch_media(candidate, tmp_path)
    assert sample.mode == "full" and sample.bytes_downloaded == len(body)
    assert sample.path.read_bytes() == body


async def test_size_cap_refuses_a_full_download(
    plain_server, http_session, state, config, tmp_path
):
    url, body = plain_server
    cfg = config(sampling=replace(SAMPLING, size_cap=len(body) // 2))
    platform = SimulatedPlatform(http_session, cfg, state)
    with pytest.raises(MediaError, match="cap") as raised:
        await platform.fetch_media(_candidate(url), tmp_path / "samples")
    assert raised.value.expected
    assert list((tmp_path / "samples").iterdir()) == [], "a partial file was left behind"


async def test_size_cap_bounds_a_ranged_sample(media, sim, http_session, state, config, tmp_path):
    video = sim.add_video(media["faststart"].read_bytes(), title="上限")
    cfg = config(base_url=sim.base_url, sampling=replace(SAMPLING, size_cap=20_000))
    platform = SimulatedPlatform(http_session, cfg, state)
    with pytest.raises(MediaError, match="cap"):
        await platform.fetch_media(await candidate_for(platform, sim, video), tmp_path)
    served = sim.bytes_served
    assert served < len(video.data) // 2


async def test_truncated_media_is_a_clear_error_and_a_retry_recovers(
    media, sim, http_session, state, config, tmp_path
) -> None:
    video = sim.add_video(media["faststart"].read_bytes(), title="截断")
    platform = SimulatedPlatform(http_session, config(base_url=sim.base_url), state)
    candidate = await candidate_for(platform, sim, video)
    for _ in range(3):  # every attempt (1 + 2 retries) is cut short
        sim.inject(f"/media/{video.id}", truncate=True)
    with pytest.raises(MediaError, match="truncated"):
        await platform.fetch_media(candidate, tmp_path)
    sim.inject(f"/media/{video.id}", truncate=True)  # one cut: the retry recovers
    sample = await platform.fetch_media(candidate, tmp_path)
    assert sample.mode == "ranged" and decoded_times(sample.path)


async def test_non_mp4_media_is_downloaded_whole(sim, http_session, state, config, tmp_path):
    data = b"\x1aE\xdf\xa3" + bytes(range(256)) * 100  # looks like Matroska, not MP4
    video = sim.add_video(data, title="webm 片")
    platform = SimulatedPlatform(http_session, config(base_url=sim.base_url), state)
    sample = await platform.fetch_media(await candidate_for(platform, sim, video), tmp_path)
    assert sample.mode == "full" and sample.path.read_bytes() == data


async def test_taken_down_media_answers_gone(media, sim, http_session, state, config, tmp_path):
    video = sim.add_video(media["short"].read_bytes(), title="下架")
    platform = SimulatedPlatform(http_session, config(base_url=sim.base_url), state)
    candidate = await candidate_for(platform, sim, video)
    sim.take_down(video.id)
    with pytest.raises(HttpStatusError) as raised:
        await platform.fetch_media(candidate, tmp_path)
    assert raised.value.status == 410 and raised.value.gone


def _candidate(url: str):
    from crawler.models import Candidate

    return Candidate(
        platform="simulated",
        video_id="plain",
        url=url,
        title="plain",
        media_url=url,
        uploaded_at=datetime.now(UTC) - timedelta(minutes=1),
    )


async def test_fragmented_mp4_falls_back_to_a_full_download(
    sim, http_session, state, config, tmp_path
):
    path = make_video(tmp_path / "frag.mp4", 6, seed=4, fragmented=True)
    video = sim.add_video(path.read_bytes(), title="分片")
    platform = SimulatedPlatform(http_session, config(base_url=sim.base_url), state)
    sample = await platform.fetch_media(await candidate_for(platform, sim, video), tmp_path / "s")
    assert sample.mode == "full" and sample.path.read_bytes() == video.data
    assert len(decoded_times(sample.path)) == 150
