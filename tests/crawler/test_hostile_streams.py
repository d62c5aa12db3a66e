"""Hostile HLS/DASH: each bad playlist gives a clear CrawlError within a bounded time, nothing
internal is reached, and a batch with a bad stream goes on with the rest."""

from __future__ import annotations

import asyncio
import io
import time
from dataclasses import replace
from pathlib import Path

import aiohttp
import av
import numpy as np
import pytest
import pytest_asyncio
from aiohttp import web

from crawler.base import PlatformConfig
from crawler.errors import BlockedAddress, CrawlError, MediaError
from crawler.models import Candidate
from crawler.netguard import AddressGuard, guarded_session
from crawler.runner import Crawler, Sources
from crawler.simulated.platform import SimulatedPlatform
from crawler.simulated.streams import package
from tests.crawler.conftest import FAST_HTTP, SAMPLING

pytestmark = pytest.mark.asyncio
BOUND_S = 5.0  # every refusal below must come well within this


class Hostile:
    """A local server answering each path from ``files`` (bytes or a handler), counting hits."""

    def __init__(self):
        self.files: dict[str, object] = {}
        self.hits: dict[str, int] = {}
        self.base = ""

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.hits[request.path] = self.hits.get(request.path, 0) + 1
        entry = self.files.get(request.path)
        if entry is None:
            raise web.HTTPNotFound()
        if callable(entry):
            return await entry(request)
        kind = "application/dash+xml" if request.path.endswith(".mpd") else "video/mp2t"
        if request.path.endswith(".m3u8"):
            kind = "application/vnd.apple.mpegurl"
        return web.Response(body=entry, content_type=kind)


@pytest_asyncio.fixture
async def hostile():
    server = Hostile()
    app = web.Application()
    app.router.add_route("GET", "/{tail:.*}", server.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server.base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    yield server
    await runner.cleanup()


@pytest.fixture(scope="module")
def ts_package(media) -> dict[str, bytes]:
    return package(media["faststart"].read_bytes(), "hls")


POLICY = replace(SAMPLING, stream_timeout_s=2.0)


def _platform(session, state, *, guarded: bool = False) -> SimulatedPlatform:
    config = PlatformConfig(
        http=replace(FAST_HTTP, retries=0),
        sampling=POLICY,
        allow_private_addresses=not guarded,
        trusted_hosts=("127.0.0.1",) if guarded else (),
    )
    return SimulatedPlatform(session, config, state)


async def _sample(hostile, tmp_path, path: str, *, guarded: bool = False):
    state = None  # sampling reads no crawl state
    guard = AddressGuard(trusted_hosts=("127.0.0.1",))  # the server itself, nothing else internal
    async with guarded_session(guard) if guarded else aiohttp.ClientSession() as http:
        platform = _platform(http, state, guarded=guarded)
        candidate = Candidate("simulated", "bad", hostile.base + path, "t",
                              media_url=hostile.base + path)
        started = time.monotonic()
        try:
            return await platform.fetch_media(candidate, tmp_path)
        finally:
            assert time.monotonic() - started < BOUND_S


def _media_playlist(names: list[str], *, end: bool = True, duration: float = 1.0) -> bytes:
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-TARGETDURATION:1"]
    for name in names:
        lines += [f"#EXTINF:{duration},", name]
    return ("\n".join(lines + (["#EXT-X-ENDLIST"] if end else [])) + "\n").encode()


def _master(*urls: str) -> bytes:
    body = ["#EXTM3U"]
    for url in urls:
        body += ['#EXT-X-STREAM-INF:BANDWIDTH=1000,RESOLUTION=320x240,CODECS="avc1.4d401e"', url]
    return ("\n".join(body) + "\n").encode()


async def test_a_master_that_lists_itself_is_a_loop(hostile, tmp_path) -> None:
    hostile.files["/m.m3u8"] = _master("m.m3u8")
    with pytest.raises(MediaError, match="playlist loop: .*m.m3u8 was already read"):
        await _sample(hostile, tmp_path, "/m.m3u8")
    assert hostile.hits["/m.m3u8"] == 1


async def test_a_master_pointing_to_a_master_is_refused(hostile, tmp_path) -> None:
    hostile.files["/a.m3u8"] = _master("b.m3u8")
    hostile.files["/b.m3u8"] = _master("a.m3u8")
    with pytest.raises(MediaError, match="points to another master playlist"):
        await _sample(hostile, tmp_path, "/a.m3u8")


async def test_a_media_playlist_listing_itself_is_a_loop(hostile, tmp_path) -> None:
    hostile.files["/p.m3u8"] = _media_playlist(["seg0.ts", "p.m3u8"])
    with pytest.raises(MediaError, match="playlist loop: .*p.m3u8 is listed as a segment"):
        await _sample(hostile, tmp_path, "/p.m3u8")


@pytest.mark.parametrize(
    "segment",
    [
        "http://10.1.2.3/seg.ts",
        "http://169.254.169.254/latest/meta-data/seg.ts",
        "http://[::ffff:127.0.0.1]:{port}/secret.ts",
        "http://localhost:{port}/secret.ts",
        "/redirect.ts",  # a public-looking segment whose redirect goes to loopback
    ],
)
async def test_segments_at_internal_addresses_are_refused(
    segment, hostile, ts_package, tmp_path
) -> None:
    port = hostile.base.rsplit(":", 1)[1]
    hostile.files["/seg0.ts"] = ts_package["seg00000.ts"]
    hostile.files["/secret.ts"] = ts_package["seg00001.ts"]

    async def redirect(request):
        raise web.HTTPFound(f"http://localhost:{port}/secret.ts")

    hostile.files["/redirect.ts"] = redirect
    hostile.files["/p.m3u8"] = _media_playlist(["seg0.ts", segment.format(port=port)])
    with pytest.raises(BlockedAddress, match=r"segment 1 of .*internal address"):
        await _sample(hostile, tmp_path, "/p.m3u8", guarded=True)
    assert hostile.hits.get("/secret.ts", 0) == 0


async def test_a_live_playlist_is_refused(hostile, ts_package, tmp_path) -> None:
    hostile.files["/live.m3u8"] = _media_playlist(["seg0.ts"] * 3, end=False)
    with pytest.raises(MediaError, match="live stream"):
        await _sample(hostile, tmp_path, "/live.m3u8")


async def test_a_playlist_that_never_ends_is_cut_off_in_time(hostile, tmp_path) -> None:
    async def drip(request):
        response = web.StreamResponse(headers={"Content-Type": "application/vnd.apple.mpegurl"})
        await response.prepare(request)
        await response.write(b"#EXTM3U\n")
        for n in range(10_000):
            await response.write(f"#EXTINF:1,\nseg{n}.ts\n".encode())
            await asyncio.sleep(0.05)
        return response

    hostile.files["/drip.m3u8"] = drip
    with pytest.raises(MediaError, match="not sampled within 2 s"):
        await _sample(hostile, tmp_path, "/drip.m3u8")


async def test_a_huge_playlist_is_refused_before_parsing(hostile, tmp_path) -> None:
    hostile.files["/huge.m3u8"] = _media_playlist([f"s{n}.ts" for n in range(60_000)])
    with pytest.raises(MediaError, match="60000 segments, more than the cap 20000"):
        await _sample(hostile, tmp_path, "/huge.m3u8")
    hostile.files["/big.m3u8"] = b"#EXTM3U\n" + b"#" * (3 * 1024 * 1024)
    with pytest.raises(MediaError, match="playlist .*exceeds the cap"):
        await _sample(hostile, tmp_path, "/big.m3u8")


async def test_a_garbage_segment_is_a_clear_error(hostile, ts_package, tmp_path) -> None:
    names = [f"seg{n:05d}.ts" for n in range(12)]
    for name in names:
        hostile.files[f"/{name}"] = ts_package[name]
    hostile.files["/seg00001.ts"] = np.random.default_rng(1).bytes(100_000)
    hostile.files["/p.m3u8"] = _media_playlist(names)
    with pytest.raises(MediaError, match=r"segment 1 \(.*seg00001.ts\)"):
        await _sample(hostile, tmp_path, "/p.m3u8")


def _mpeg4_ts(seconds: float = 1.0) -> bytes:
    out = io.BytesIO()
    with av.open(out, "w", format="mpegts") as container:
        stream = container.add_stream("mpeg4", rate=25)
        stream.width, stream.height, stream.pix_fmt = 160, 120, "yuv420p"
        for i in range(int(25 * seconds)):
            frame = av.VideoFrame.from_ndarray(np.full((120, 160, 3), i, np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()


async def test_a_segment_of_another_codec_is_a_clear_error(
    hostile, ts_package, tmp_path
) -> None:
    names = [f"seg{n:05d}.ts" for n in range(12)]
    for name in names:
        hostile.files[f"/{name}"] = ts_package[name]
    hostile.files["/seg00002.ts"] = _mpeg4_ts()
    hostile.files["/p.m3u8"] = _media_playlist(names)
    with pytest.raises(MediaError, match="segment 2 .* video in mpeg4; the stream began with h264"):
        await _sample(hostile, tmp_path, "/p.m3u8")


MPD_HEAD = '<?xml version="1.0"?>\n'


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (MPD_HEAD + "<MPD><Period><AdaptationSet", "malformed DASH manifest"),
        (
            MPD_HEAD + '<!DOCTYPE MPD [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
            "<MPD>&b;</MPD>",
            "malformed DASH manifest",
        ),
        (MPD_HEAD + '<MPD type="static"></MPD>', "without a Period"),
        (
            MPD_HEAD + '<MPD mediaPresentationDuration="PT10S"><Period><AdaptationSet '
            'mimeType="audio/mp4"><Representation id="a" bandwidth="1"/></AdaptationSet>'
            "</Period></MPD>",
            "has no video",
        ),
        (
            MPD_HEAD + '<MPD><Period><AdaptationSet mimeType="video/mp4"><Representation id="v" '
            'bandwidth="1"><SegmentTemplate media="$Number$.m4s" timescale="1"><SegmentTimeline>'
            '<S t="0" d="1" r="1000000000"/></SegmentTimeline></SegmentTemplate></Representation>'
            "</AdaptationSet></Period></MPD>",
            "more than the cap of 20000 segments",
        ),
        (
            MPD_HEAD + '<MPD><Period><AdaptationSet mimeType="video/mp4"><Representation id="v" '
            'bandwidth="1"><BaseURL>v.mp4</BaseURL><SegmentBase indexRange="0-99"/>'
            "</Representation></AdaptationSet></Period></MPD>",
            "SegmentBase/sidx; not supported",
        ),
        (MPD_HEAD + '<MPD type="dynamic"><Period/></MPD>', "has no video"),
        (
            MPD_HEAD + '<MPD type="dynamic"><Period><AdaptationSet mimeType="video/mp4">'
            '<Representation id="v" bandwidth="1"><SegmentTemplate media="$Time$.m4s">'
            '<SegmentTimeline><S t="0" d="1" r="5"/></SegmentTimeline></SegmentTemplate>'
            "</Representation></AdaptationSet></Period></MPD>",
            "live stream",
        ),
    ],
    ids=["truncated", "entities", "no-period", "audio-only", "endless-repeat", "sidx", "dynamic-empty",
         "dynamic"],
)
async def test_a_malformed_mpd_is_a_clear_error(body, message, hostile, tmp_path) -> None:
    hostile.files["/m.mpd"] = body.encode()
    with pytest.raises(MediaError, match=message):
        await _sample(hostile, tmp_path, "/m.mpd")


async def test_a_batch_with_a_bad_stream_goes_on(media, sim, http_session, state, config,
                                                 tmp_path) -> None:
    good = [sim.add_video(media["faststart"].read_bytes(), title=f"剧 {kind}", stream=kind)
            for kind in ("hls", "dash", "mp4")]
    bad = sim.add_video(media["faststart"].read_bytes(), title="剧 loop", stream="hls")
    bad.package["index.m3u8"] = _master("../../hls/" + bad.id + "/master.m3u8")
    platform = SimulatedPlatform(http_session, config(base_url=sim.base_url), state)

    async def scan(sample):
        return sample.stream

    crawler = Crawler(platform, scan, tmp_path)
    outcomes = {o.candidate.video_id: o async for o in crawler.run_once(Sources(
        new_uploads=True))}
    assert outcomes[bad.id].status == "failed"
    assert "master playlist points to another master" in outcomes[bad.id].error
    assert [outcomes[v.id].result for v in good] == ["hls", "dash", None]
    assert all(outcomes[v.id].status == "scanned" for v in good)


async def test_errors_are_crawl_errors_with_the_url(hostile, tmp_path) -> None:
    hostile.files["/x.m3u8"] = b"#EXTM3U\n#EXTINF:abc,\ns.ts\n#EXT-X-ENDLIST\n"
    with pytest.raises(CrawlError) as raised:
        await _sample(hostile, tmp_path, "/x.m3u8")
    assert raised.value.expected and raised.value.url and "x.m3u8" in str(raised.value)
    assert not any(Path(tmp_path).glob("*.mp4"))


async def test_sample_live_samples_what_a_live_playlist_lists(hostile, ts_package, tmp_path):
    names = [f"seg{n:05d}.ts" for n in range(12)]
    for name in names:
        hostile.files[f"/{name}"] = ts_package[name]
    hostile.files["/live.m3u8"] = _media_playlist(names, end=False)
    async with aiohttp.ClientSession() as http:
        config = PlatformConfig(http=FAST_HTTP, sampling=replace(POLICY, sample_live=True),
                                allow_private_addresses=True)
        platform = SimulatedPlatform(http, config, None)
        url = hostile.base + "/live.m3u8"
        sample = await platform.fetch_media(Candidate("simulated", "l", url, "t", media_url=url),
                                            tmp_path)
    assert sample.stream == "hls" and sample.mode == "ranged" and len(sample.segments) == 7
    assert hostile.hits["/live.m3u8"] == 1  # read once, not followed


async def test_a_playlist_under_another_name_is_known_by_its_first_bytes(
    hostile, ts_package, tmp_path
) -> None:
    names = [f"seg{n:05d}.ts" for n in range(12)]
    for name in names:
        hostile.files[f"/{name}"] = ts_package[name]
    hostile.files["/play"] = _media_playlist(names)  # served as video/mp2t, no extension
    sample = await _sample(hostile, tmp_path, "/play")
    assert sample.stream == "hls" and len(sample.segments) == 7


async def test_a_discontinuity_re_anchors_time_at_its_playlist_position(
    hostile, ts_package, media, tmp_path
) -> None:
    """Segments 6–11 come from another encode whose timestamps restart: after the
    ``#EXT-X-DISCONTINUITY`` they still land at their playlist times, not back at 0 s."""
    other = package(media["other"].read_bytes(), "hls")
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-TARGETDURATION:1"]
    for n in range(12):
        source, name = (ts_package, f"seg{n:05d}.ts") if n < 6 else (other, f"seg{n - 6:05d}.ts")
        hostile.files[f"/{n}.ts"] = source[name]
        lines += (["#EXT-X-DISCONTINUITY"] if n == 6 else []) + ["#EXTINF:1.0,", f"{n}.ts"]
    hostile.files["/d.m3u8"] = ("\n".join([*lines, "#EXT-X-ENDLIST"]) + "\n").encode()
    sample = await _sample(hostile, tmp_path, "/d.m3u8")
    with av.open(str(sample.path)) as container:
        times = [float(f.time) for f in container.decode(video=0)]
    assert times == sorted(times)
    assert any(9.0 <= t < 11.0 for t in times) and not any(6.1 < t < 8.9 for t in times)
