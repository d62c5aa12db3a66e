"""Fetch just enough of a video for matching, and record it as evidence.

MP4/MOV served with Range support is sampled (see crawler/mp4.py): the first seconds plus spaced
windows. HLS and DASH playlists (known by extension, content type or first bytes) are sampled by
segment, over the same windows (see crawler/streaming.py). Anything else — another container, a server that ignores Range, a plan that would fetch
most of the file anyway — is downloaded whole, never past the size cap. Files are written under a
temporary name and renamed, so a failure leaves nothing half-written.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

from crawler import mp4
from crawler.errors import MediaError
from crawler.http import HttpClient
from crawler.models import Candidate, Sample
from crawler.policy import SamplingPolicy
from crawler.streaming import StreamSampler, stream_kind

CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")


@dataclass
class _Chunk:
    status: int
    start: int
    data: bytes
    total: int | None
    content_type: str = ""


class MediaSampler:
    def __init__(self, http: HttpClient, policy: SamplingPolicy):
        self.http = http
        self.policy = policy
        self.streams = StreamSampler(http, policy)

    async def sample(
        self,
        candidate: Candidate,
        media_url: str,
        dest_dir: Path,
        headers: Mapping[str, str] | None = None,
    ) -> Sample:
        dest_dir.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9._-]", "_", f"{candidate.platform}-{candidate.video_id}")[:150]
        final = dest_dir / f"{name}.mp4"
        work = Path(tempfile.mkdtemp(prefix=".sample-", dir=dest_dir))
        try:
            return await self._sample(candidate, media_url, dict(headers or {}), work, final)
        finally:
            for leftover in work.iterdir():
                leftover.unlink()
            work.rmdir()

    async def _sample(self, candidate, url, headers, work: Path, final: Path) -> Sample:
        cap = self.policy.size_cap
        if stream_kind(url) is not None:
            return await self.streams.sample(candidate, url, headers, work, final)
        sparse = work / "source.mp4"
        probe = await self._range(url, headers, 0, self.policy.probe_bytes, whole_to=sparse)
        head = probe.data[:1024]
        if probe.status == 200:
            with open(sparse, "rb") as handle:
                head = handle.read(1024)
        if stream_kind("", head, probe.content_type) is not None:  # a playlist under another name
            return await self.streams.sample(candidate, url, headers, work, final)
        if probe.status == 200:  # Range ignored: _range streamed the whole body into ``sparse``
            size = probe.total or 0
            return self._finish(candidate, url, sparse, final, "full", [(0, size)], size)
        total = probe.total
        if total is None:
            raise MediaError(f"{url}: 206 without a total size", url=url)
        fetched = [(0, len(probe.data))]
        _write(sparse, total, [(0, probe.data)])
        if len(probe.data) >= total:
            return self._finish(candidate, url, sparse, final, "full", fetched, total)
        if mp4.looks_like_mp4(probe.data):
            moov = await self._find_moov(url, headers, sparse, total, probe.data, fetched)
        else:
            moov = None
        planned = None
        if moov is not None and not mp4.is_fragmented(sparse, moov):
            planned = await self._plan(sparse)
        missing = _subtract(planned or [], fetched)
        if (
            planned is None
            or sum(b - a for a, b in fetched + missing) > self.policy.full_ratio * total
        ):
            if total > cap:
                raise MediaError(
                    f"{url}: {total} bytes exceeds the size cap {cap} and cannot be sampled",
                    url=url,
                )
            missing, mode = _subtract([(0, total)], fetched), "full"
        else:
            mode = "ranged"
        if sum(b - a for a, b in fetched + missing) > cap:
            raise MediaError(f"{url}: sample would exceed the size cap {cap}", url=url)
        chunks = await asyncio.gather(*(self._range(url, headers, a, b) for a, b in missing))
        _write(sparse, total, [(c.start, c.data) for c in chunks])
        fetched = mp4.merge(fetched + missing)
        if mode == "full":
            return self._finish(candidate, url, sparse, final, "full", fetched, total)
        remuxed = work / "sample.mp4"
        await asyncio.to_thread(mp4.remux_covered, sparse, fetched, remuxed)
        return self._finish(candidate, url, remuxed, final, "ranged", fetched, total, sparse)

    async def _plan(self, sparse: Path) -> list[tuple[int, int]] | None:
        """Byte ranges of the sample windows, or None when the index cannot say."""
        try:
            duration = await asyncio.to_thread(mp4.index_duration, sparse)
            windows = mp4.time_windows(
                duration,
                self.policy.sample_seconds,
                self.policy.windows,
                self.policy.window_seconds,
            )
            return await asyncio.to_thread(mp4.plan_ranges, sparse, windows, self.policy.merge_gap)
        except MediaError:
            return None

    async def _find_moov(self, url, headers, sparse, total, head, fetched) -> mp4.Box | None:
        """Walk top-level boxes (one small request per unknown header) and fetch ``moov``."""
        offset = 0
        while offset < total:
            if offset + mp4.HEADER_PROBE <= len(head) or len(head) >= total:
                header = head[offset : offset + mp4.HEADER_PROBE]
            else:
                chunk = await self._range(
                    url, headers, offset, min(total, offset + mp4.HEADER_PROBE)
                )
                header = chunk.data
                _write(sparse, total, [(offset, header)])
                fetched.append((offset, offset + len(header)))
            box = mp4.read_box(header, offset, total)
            if box is None:
                return None
            if box.type == "moov":
                if box.size > self.policy.size_cap:
                    raise MediaError(f"{url}: moov of {box.size} bytes exceeds the cap", url=url)
                need = _subtract([(box.offset, box.offset + box.size)], fetched)
                chunks = await asyncio.gather(*(self._range(url, headers, a, b) for a, b in need))
                _write(sparse, total, [(c.start, c.data) for c in chunks])
                fetched[:] = mp4.merge(fetched + need)
                return box
            offset = box.offset + box.size
        return None

    async def _range(self, url, headers, start: int, end: int, whole_to: Path | None = None):
        """GET bytes [start, end). A 200 answer is only accepted when ``whole_to`` is given."""
        cap = self.policy.size_cap

        async def read(response: aiohttp.ClientResponse) -> _Chunk:
            if response.status == 206:
                match = CONTENT_RANGE.fullmatch(response.headers.get("Content-Range", "").strip())
                if not match or int(match[1]) != start:
                    raise MediaError(f"{url}: unexpected Content-Range for {start}-{end}", url=url)
                data = await response.content.read()
                if len(data) != int(match[2]) - start + 1:
                    raise MediaError(f"{url}: range {start}-{end} truncated", url=url)
                total = None if match[3] == "*" else int(match[3])
                return _Chunk(206, start, data, total, response.headers.get("Content-Type", ""))
            if whole_to is None:
                raise MediaError(f"{url}: server ignored Range (HTTP {response.status})", url=url)
            size = await _stream_to(response, whole_to, cap)
            if response.content_length is not None and size != response.content_length:
                raise MediaError(f"{url}: download truncated ({size} bytes)", url=url)
            return _Chunk(200, 0, b"", size, response.headers.get("Content-Type", ""))

        return await self.http.request(
            url, read, headers={**headers, "Range": f"bytes={start}-{end - 1}"}
        )

    def _finish(self, candidate, url, path, final, mode, fetched, total, source=None) -> Sample:
        fetched = mp4.merge(fetched)
        digest = _digest_ranges(path, [(0, path.stat().st_size)])
        fetched_digest = digest if source is None else _digest_ranges(source, fetched)
        os.replace(path, final)
        return Sample(
            candidate=candidate,
            path=final,
            mode=mode,
            sha256=digest,
            fetched_sha256=fetched_digest,
            bytes_downloaded=sum(b - a for a, b in fetched),
            total_size=total,
            captured_at=datetime.now(UTC),
            media_url=url,
            ranges=fetched,
        )


def _write(path: Path, total: int, chunks: list[tuple[int, bytes]]) -> None:
    """Write chunks at their offsets into a (sparse) file of ``total`` bytes."""
    with open(path, "r+b" if path.exists() else "w+b") as handle:
        handle.truncate(total)
        for offset, data in chunks:
            handle.seek(offset)
            handle.write(data)


def _subtract(wanted: list[tuple[int, int]], have: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Parts of ``wanted`` not in ``have`` (half-open byte ranges)."""
    missing = []
    for start, end in mp4.merge(wanted):
        for a, b in mp4.merge(have):
            if b <= start or a >= end:
                continue
            if a > start:
                missing.append((start, a))
            start = max(start, b)
        if start < end:
            missing.append((start, end))
    return missing


async def _stream_to(response: aiohttp.ClientResponse, path: Path, cap: int) -> int:
    if response.content_length is not None and response.content_length > cap:
        raise MediaError(f"{response.url}: {response.content_length} bytes exceeds the cap {cap}")
    size = 0
    with open(path, "wb") as handle:
        async for chunk in response.content.iter_chunked(256 * 1024):
            size += len(chunk)
            if size > cap:
                raise MediaError(f"{response.url}: download exceeds the size cap {cap}")
            handle.write(chunk)
    return size


def _digest_ranges(path: Path, ranges: list[tuple[int, int]]) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for start, end in ranges:
            handle.seek(start)
            left = end - start
            while left:
                block = handle.read(min(left, 1024 * 1024))
                if not block:
                    raise MediaError(f"{path}: shorter than the fetched ranges")
                digest.update(block)
                left -= len(block)
    return digest.hexdigest()
