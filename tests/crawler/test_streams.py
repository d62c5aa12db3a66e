"""HLS (MPEG-TS and fMP4) and DASH uploads on the simulated platform: sampled by segment over the
MP4 windows, fingerprinted and matched at the right time, like the MP4 upload."""

from __future__ import annotations

import hashlib

import av
import pytest

from crawler.errors import MediaError
from crawler.playlists import Variant, choose_variant
from crawler.simulated.platform import SimulatedPlatform
from crawler.streaming import stream_kind
from fingerprint.extract import fingerprint_video
from matcher.index import FaissFrameIndex
from matcher.match import QueryMatcher
from tests.crawler.conftest import SAMPLING
from tests.crawler.test_sampling import candidate_for, decoded_times

pytestmark = pytest.mark.asyncio
KINDS = ["hls", "hls-fmp4", "hls-single", "dash"]


@pytest.mark.parametrize("kind", KINDS)
async def test_stream_upload_is_sampled_by_segment_at_real_times(
    kind, media, sim, http_session, state, config, tmp_path
) -> None:
    video = sim.add_video(media["faststart"].read_bytes(), title=f"剧 {kind}", stream=kind)
    platform = SimulatedPlatform(http_session, config(base_url=sim.base_url), state)
    candidate = await candidate_for(platform, sim, video)
    assert candidate.media_url.endswith((".m3u8", ".mpd"))
    sample = await platform.fetch_media(candidate, tmp_path)

    assert sample.stream == ("dash" if kind == "dash" else "hls")
    assert sample.mode == "ranged"
    # 12 s in 1-s segments: 3 s at the start and two 1-s windows, each over two segments
    assert sample.bytes_downloaded < 0.65 * video.stream_bytes
    assert sample.sha256 == hashlib.sha256(sample.path.read_bytes()).hexdigest()
    fetched = [
        r[1] for r in sim.requests
        if r[1].startswith(("/hls/", "/dash/")) and not r[1].endswith((".m3u8", ".mpd"))
    ]
    inits = {"hls": 0, "hls-fmp4": 1, "hls-single": 0, "dash": 2}[kind]  # DASH: video, audio
    assert len(fetched) == len(sample.segments) + inits

    times = decoded_times(sample.path)
    assert times[0] == pytest.approx(0.0, abs=0.05)
    assert any(t >= SAMPLING.sample_seconds - 0.1 for t in times if t < 4)
    later = [t for t in times if t > SAMPLING.sample_seconds + 0.5]
    assert any(4 <= t <= 6.5 for t in later) and any(8.5 <= t <= 11 for t in later)
    assert not any(6.1 < t < 8.9 for t in later), "segments between the windows were fetched"
    with av.open(str(sample.path)) as container:
        assert {s.type for s in container.streams} == {"video", "audio"}


@pytest.mark.parametrize("kind", ["mp4", *KINDS])
async def test_stream_sample_matches_the_reference_at_its_time(
    kind, media, sim, http_session, state, config, tmp_path
) -> None:
    """Through the crawler's sampling and the real fingerprint and matcher: the sampled windows
    align with the reference at the same times (query time == reference time)."""
    reference = fingerprint_video(media["faststart"], reference=True)
    index = FaissFrameIndex(None, reference.dim)
    index.add(1, reference.times_ms, reference.vectors)
    other = fingerprint_video(media["other"], reference=True)
    index.add(2, other.times_ms, other.vectors)

    video = sim.add_video(media["faststart"].read_bytes(), title=f"盗版 {kind}", stream=kind)
    platform = SimulatedPlatform(http_session, config(base_url=sim.base_url), state)
    sample = await platform.fetch_media(await candidate_for(platform, sim, video), tmp_path)
    query = fingerprint_video(sample.path)
    durations = {1: reference.duration_ms, 2: other.duration_ms}
    matches = QueryMatcher(index).match(query, durations, step_ms=250)
    assert matches and matches[0].episode_id == 1
    inliers = matches[0].alignment.inliers
    assert all(abs(tq - tr) <= 250 for tq, tr, _ in inliers)  # real time positions kept
    assert any(tq >= 4000 for tq, _, _ in inliers), "a later window did not match"


async def test_stream_kind_is_known_by_bytes_type_or_extension() -> None:
    assert stream_kind("http://x/a", b"#EXTM3U\n") == "hls"
    assert stream_kind("http://x/a", b'<?xml version="1.0"?>\n<MPD xmlns="x">') == "dash"
    assert stream_kind("http://x/a", b"", "application/dash+xml; charset=utf-8") == "dash"
    assert stream_kind("http://x/v.M3U8?token=1") == "hls"
    assert stream_kind("http://x/v.mp4", b"\x00\x00\x00\x18ftypmp42", "video/mp4") is None


async def test_variant_choice_is_the_cheapest_that_is_large_enough() -> None:
    variants = [
        Variant("audio", 64_000, None, "mp4a.40.2"),
        Variant("240p", 300_000, (426, 240), "avc1.4d401e,mp4a.40.2"),
        Variant("144p", 100_000, (256, 144), "avc1.4d400c,mp4a.40.2"),
        Variant("1080p", 5_000_000, (1920, 1080), "avc1.640028,mp4a.40.2"),
    ]
    assert choose_variant(variants, 256, "m").url == "144p"
    assert choose_variant(variants, 400, "m").url == "240p"
    assert choose_variant(variants, 4000, "m").url == "1080p"  # none large enough: the largest


async def test_ytdlp_formats_prefer_progressive_then_hls_then_dash() -> None:
    from crawler.ytdlp import pick_format

    hls = {"url": "https://cdn/v/480.m3u8", "protocol": "m3u8_native", "vcodec": "avc1",
           "acodec": "mp4a", "height": 480, "ext": "mp4"}
    dash = {"url": "https://cdn/v.mpd", "manifest_url": "https://cdn/v.mpd", "vcodec": "avc1",
            "protocol": "http_dash_segments", "acodec": "mp4a", "height": 480, "ext": "mp4"}
    mp4 = {"url": "https://cdn/v.mp4", "protocol": "https", "vcodec": "avc1", "acodec": "mp4a",
           "height": 480, "ext": "mp4"}
    audio = {"url": "https://cdn/a.m3u8", "protocol": "m3u8_native", "vcodec": "none"}
    assert pick_format({"formats": [dash, hls, mp4, audio]}, "p")[0] == mp4["url"]
    assert pick_format({"formats": [dash, hls, audio]}, "p")[0] == hls["url"]
    assert pick_format({"formats": [dash, audio]}, "p")[0] == dash["manifest_url"]
    with pytest.raises(MediaError, match="no HTTP, HLS or DASH format with video"):
        pick_format({"formats": [audio, {**mp4, "protocol": "rtmp"}]}, "p")


async def test_mpd_periods_templates_lists_and_base_urls() -> None:
    from crawler.mpd import parse_mpd

    text = """<?xml version="1.0"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" mediaPresentationDuration="PT12S">
  <BaseURL>https://cdn.example/show/</BaseURL>
  <Period id="a" start="PT0S">
    <AdaptationSet mimeType="video/mp4">
      <SegmentTemplate timescale="10" duration="20" startNumber="0"
                       initialization="$RepresentationID$/init.mp4"
                       media="$RepresentationID$/$Number%03d$.m4s"/>
      <Representation id="hi" bandwidth="900000" width="1280" height="720"/>
      <Representation id="lo" bandwidth="200000" width="426" height="240"/>
    </AdaptationSet>
  </Period>
  <Period id="b" start="PT6S">
    <BaseURL>ad/</BaseURL>
    <AdaptationSet mimeType="video/mp4">
      <Representation id="v" bandwidth="1" width="320" height="240">
        <SegmentList timescale="1" duration="3">
          <Initialization sourceURL="v.mp4" range="0-99"/>
          <SegmentURL media="v.mp4" mediaRange="100-199"/>
          <SegmentURL media="v.mp4" mediaRange="200-299"/>
        </SegmentList>
      </Representation>
    </AdaptationSet>
  </Period>
</MPD>"""
    tracks, ended = parse_mpd(text, "https://site/m.mpd", max_segments=100, min_side=256)
    assert ended and [t.kind for t in tracks] == ["video"]
    segments = tracks[0].segments
    assert [s.resource.url for s in segments[:2]] == [
        "https://cdn.example/show/lo/000.m4s", "https://cdn.example/show/lo/001.m4s"]
    assert segments[0].init.url == "https://cdn.example/show/lo/init.mp4"
    assert [(s.start_s, s.duration_s, s.epoch) for s in segments] == [
        (0.0, 2.0, 0), (2.0, 2.0, 0), (4.0, 2.0, 0), (6.0, 3.0, 1), (9.0, 3.0, 1)]
    assert segments[3].resource.url == "https://cdn.example/show/ad/v.mp4"
    assert segments[3].resource.byterange == (100, 200)
    assert segments[3].init.byterange == (0, 100)
