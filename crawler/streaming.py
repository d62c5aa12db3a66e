"""Sample HLS and DASH streams the way MP4 is sampled: the first seconds plus spaced windows.

The playlist is read (capped in bytes and segments), a master playlist is resolved to the
cheapest video variant that still gives the fingerprinter its frame size (one level: a master
pointing to a master is refused, and so is any playlist read twice — a loop), then only the
segments overlapping the sampling windows (``crawler.mp4.time_windows``, the MP4 windows) are
fetched, with their initialization segments, every one through :class:`~crawler.http.HttpClient`
(address guard on each URL and redirect hop, retries, the platform's rate limit). The bytes of
the whole sample are capped by ``SamplingPolicy.size_cap`` as they arrive, and the whole stream
by ``stream_timeout_s``. ``crawler/segments.py`` copies the segments into one MP4 whose
timestamps are the stream's own, so matching sees each window at its real time.
Live playlists (no ``#EXT-X-ENDLIST``, DASH ``type="dynamic"``) are refused unless
``sample_live``, which samples the segments listed at that moment.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import aiohttp
import av

from crawler import mp4
from crawler.errors import BlockedAddress, CrawlError, MediaError
from crawler.http import HttpClient
from crawler.models import Candidate, Sample
from crawler.mpd import looks_like_mpd, parse_mpd
from crawler.policy import SamplingPolicy
from crawler.playlists import (
    Resource,
    Track,
    choose_variant,
    looks_like_hls,
    parse_hls,
    select_segments,
)
from crawler.segments import Fetched, remux_segments

StreamKind = Literal["hls", "dash"]
HLS_TYPES = ("application/vnd.apple.mpegurl", "application/x-mpegurl", "audio/mpegurl")
DASH_TYPES = ("application/dash+xml",)


def stream_kind(url: str, head: bytes = b"", content_type: str = "") -> StreamKind | None:
    """Whether a URL/response is an HLS or DASH playlist (by first bytes, type, extension)."""
    if looks_like_hls(head):
        return "hls"
    if looks_like_mpd(head):
        return "dash"
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind in HLS_TYPES:
        return "hls"
    if kind in DASH_TYPES:
        return "dash"
    path = url.split("?", 1)[0].split("#", 1)[0].lower()
    if path.endswith(".m3u8"):
        return "hls"
    if path.endswith(".mpd"):
        return "dash"
    return None


@dataclass
class _Run:
    """One stream's fetching state: bytes against the cap, what was read, in order."""

    url: str
    cap: int
    received: int = 0
    playlists: list[str] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)

    def take(self, size: int) -> None:
        self.received += size
        if self.received > self.cap:
            raise MediaError(f"{self.url}: stream sample exceeds the size cap {self.cap}", url=self.url)


class StreamSampler:
    def __init__(self, http: HttpClient, policy: SamplingPolicy):
        self.http = http
        self.policy = policy

    async def sample(
        self, candidate: Candidate, url: str, headers: dict[str, str], work: Path, final: Path
    ) -> Sample:
        limit = self.policy.stream_timeout_s
        run = _Run(url, self.policy.size_cap)
        try:
            async with asyncio.timeout(limit):
                tracks, kind = await self._tracks(url, headers, run)
                fetched, full = await self._fetch(tracks, headers, run, work)
        except TimeoutError:
            raise MediaError(f"{url}: stream not sampled within {limit:.0f} s", url=url) from None
        remuxed = work / "sample.mp4"
        try:
            await asyncio.to_thread(remux_segments, fetched, remuxed)
        except av.FFmpegError as exc:  # segments that each read but do not join (timestamps...)
            raise MediaError(f"{url}: segments cannot be joined ({exc})", url=url) from exc
        digest = hashlib.sha256()
        for body in run.bodies:
            digest.update(body)
        for _kind, items in fetched:
            for item in items:
                digest.update(item.path.read_bytes())
        sha = hashlib.sha256(remuxed.read_bytes()).hexdigest()
        os.replace(remuxed, final)
        return Sample(
            candidate=candidate,
            path=final,
            mode="full" if full else "ranged",
            sha256=sha,
            fetched_sha256=digest.hexdigest(),
            bytes_downloaded=run.received,
            total_size=None,
            captured_at=datetime.now(UTC),
            media_url=url,
            stream=kind,
            segments=[i.segment.resource.url for _k, items in fetched for i in items],
        )

    # ---- playlists ----

    async def _tracks(self, url, headers, run: _Run) -> tuple[list[Track], StreamKind]:
        body, kind = await self._playlist(url, headers, run)
        min_side, cap = self.policy.min_video_side, self.policy.max_segments
        if kind == "dash":
            tracks, _ended = parse_mpd(body, url, max_segments=cap, min_side=min_side)
        else:
            parsed = parse_hls(body, url, max_segments=cap)
            if isinstance(parsed, Track):
                tracks = [parsed]
            else:
                variant = choose_variant(parsed, min_side, url)
                alone = "video" if variant.audio_url else "muxed"
                tracks = [await self._hls_media(variant.url, headers, run, alone)]
                if variant.audio_url:
                    tracks.append(await self._hls_media(variant.audio_url, headers, run, "audio"))
        for track in tracks:
            if not track.ended and not self.policy.sample_live:
                raise MediaError(
                    f"{url}: live stream (the playlist has no end); refusing to follow it",
                    url=url,
                )
            for segment in track.segments:
                for resource in (segment.resource, segment.init):
                    if resource is not None and resource.url in run.playlists:
                        raise MediaError(
                            f"{url}: playlist loop: {resource.url} is listed as a segment",
                            url=url,
                        )
        return tracks, kind

    async def _hls_media(self, url, headers, run: _Run, kind) -> Track:
        body, found = await self._playlist(url, headers, run)
        if found != "hls":
            raise MediaError(f"{url}: HLS variant is not an HLS playlist", url=url)
        parsed = parse_hls(body, url, max_segments=self.policy.max_segments)
        if not isinstance(parsed, Track):
            raise MediaError(
                f"{run.url}: master playlist points to another master playlist ({url}); "
                "nesting is refused",
                url=url,
            )
        return replace(parsed, kind=kind)

    async def _playlist(self, url, headers, run: _Run) -> tuple[str, StreamKind]:
        if url in run.playlists:
            raise MediaError(f"{run.url}: playlist loop: {url} was already read", url=url)
        if len(run.playlists) >= 4:  # master + media + audio rendition, with room for one more
            raise MediaError(f"{run.url}: too many nested playlists", url=url)
        run.playlists.append(url)
        cap = self.policy.playlist_bytes

        async def read(response: aiohttp.ClientResponse) -> tuple[bytes, str]:
            if response.content_length is not None and response.content_length > cap:
                raise MediaError(f"{url}: playlist of {response.content_length} bytes exceeds "
                                 f"the cap {cap}", url=url)
            chunks, size = [], 0
            async for chunk in response.content.iter_chunked(65536):
                size += len(chunk)
                if size > cap:
                    raise MediaError(f"{url}: playlist exceeds the cap of {cap} bytes", url=url)
                chunks.append(chunk)
            return b"".join(chunks), response.headers.get("Content-Type", "")

        body, content_type = await self.http.request(url, read, headers=headers)
        run.take(len(body))
        run.bodies.append(body)
        kind = stream_kind(url, body[:1024], content_type)
        if kind is None:
            raise MediaError(f"{url}: neither an HLS playlist nor a DASH manifest", url=url)
        return body.decode("utf-8", "replace"), kind

    # ---- segments ----

    async def _fetch(self, tracks: list[Track], headers, run: _Run, work: Path):
        p = self.policy
        windows = mp4.time_windows(tracks[0].duration_s, p.sample_seconds, p.windows,
                                   p.window_seconds)
        plans = [(t, *select_segments(t, windows, p.full_ratio)) for t in tracks]
        inits: dict[Resource, Path] = {}
        jobs: list[tuple[Resource, Path, str]] = []
        result: list[tuple[str, list[Fetched]]] = []
        for number, (track, chosen, _full) in enumerate(plans):
            items = []
            for segment in chosen:
                index = track.segments.index(segment)
                where = f"segment {index} of {run.url}"
                init = None
                if segment.init is not None:
                    if segment.init not in inits:
                        inits[segment.init] = work / f"init-{len(inits)}.bin"
                        jobs.append((segment.init, inits[segment.init], f"init of {where}"))
                    init = inits[segment.init]
                path = work / f"seg-{number}-{index}.bin"
                jobs.append((segment.resource, path, where))
                items.append(Fetched(segment, index, path, init))
            result.append((track.kind, items))
        try:
            async with asyncio.TaskGroup() as group:  # the first failure cancels the rest
                for resource, path, where in jobs:
                    group.create_task(self._get(resource, path, headers, run, where))
        except BaseExceptionGroup as failed:
            raise _first(failed) from None
        return result, all(full for _t, _c, full in plans)

    async def _get(self, resource: Resource, path: Path, headers, run: _Run, where: str) -> None:
        wanted = resource.byterange

        async def read(response: aiohttp.ClientResponse) -> None:
            if wanted is not None and response.status != 206:
                raise MediaError(f"{where}: server ignored the byte range", url=resource.url)
            size = 0
            try:
                with open(path, "wb") as handle:
                    async for chunk in response.content.iter_chunked(256 * 1024):
                        size += len(chunk)
                        run.take(len(chunk))
                        handle.write(chunk)
            except BaseException:
                run.received -= size  # a retried attempt counts once
                raise
            if wanted is not None and size != wanted[1] - wanted[0]:
                raise MediaError(f"{where}: byte range truncated", url=resource.url)
            if size == 0:
                raise MediaError(f"{where}: empty segment", url=resource.url)

        try:
            await self.http.request(resource.url, read, headers={**headers,
                                                                 **resource.range_header()})
        except BlockedAddress as exc:
            raise BlockedAddress(f"{where}: {exc}", url=exc.url) from exc
        except MediaError:
            raise
        except CrawlError as exc:
            exc.args = (f"{where}: {exc}",)
            raise


def _first(group: BaseExceptionGroup) -> BaseException:
    """The error to report from a group: the first crawl error, else the first at all."""
    flat: list[BaseException] = []
    pending: list[BaseException] = [group]
    while pending:
        error = pending.pop(0)
        if isinstance(error, BaseExceptionGroup):
            pending[:0] = list(error.exceptions)
        else:
            flat.append(error)
    return next((e for e in flat if isinstance(e, CrawlError)), flat[0])
