"""The ``ytdlp`` plugin: real platforms through yt-dlp's Python API (it is sync: run in threads).

yt-dlp does discovery and metadata — search via its search prefixes (``ytsearch``,
``bilisearch``, ...), listings of watched channel/playlist/feed URLs — and resolves a video page
to its formats. The media itself is then sampled by the base over our guarded HTTP client, so the
byte-saving Range sampling and the size cap apply to every site whose format is progressive HTTP.

Options: ``search_prefix`` (e.g. ``"ytsearch"``; without it search is unsupported),
``search_results`` (default 20), ``watch_urls`` (listings for "new uploads"),
``account_url`` (a template with ``{account}``, enabling watched accounts), ``ydl_options``
(extra yt-dlp options, e.g. cookies or proxy).

SSRF: the first URL passes the address guard, and every socket yt-dlp connects during extraction
(pages, APIs, redirects) is vetted at the address it connects to (:func:`guard_sockets`); trusted
hosts pass as the addresses they resolved to. The media is never fetched by yt-dlp: a progressive
format goes to the MP4 sampler, an HLS or DASH one (its playlist or manifest URL) to the stream
sampler (``crawler/streaming.py``), both over our guarded client, segment by segment.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any, ClassVar

from yt_dlp import YoutubeDL
from yt_dlp.utils import YoutubeDLError, unsmuggle_url

from crawler.base import Platform, RawPage
from crawler.errors import BlockedAddress, CrawlError, MediaError, UnsupportedOperation
from crawler.models import Candidate
from crawler.netguard import guard_sockets

log = logging.getLogger(__name__)


class _YdlLogger:
    """yt-dlp's chatter into our logging at INFO: real failures are raised as exceptions anyway."""

    def debug(self, message: str) -> None:
        log.debug("%s", message)

    def info(self, message: str) -> None:
        log.debug("%s", message)

    def warning(self, message: str) -> None:
        log.info("yt-dlp: %s", message)

    def error(self, message: str) -> None:
        log.info("yt-dlp: %s", message)


class YtDlpPlatform(Platform):
    name: ClassVar[str] = "ytdlp"

    @property
    def supports_accounts(self) -> bool:  # type: ignore[override]
        return bool(self.option("account_url"))

    async def describe(self, url: str) -> Candidate:
        """Metadata of one video page."""
        return self._candidate(await self._extract(url, flat=False), url)

    async def _search_page(self, term: str, cursor: str | None) -> RawPage:
        prefix = self.option("search_prefix")
        if not prefix:
            raise UnsupportedOperation("ytdlp: no search_prefix configured for this deployment")
        query = f"{prefix}{int(self.option('search_results', 20))}:{term}"
        return RawPage(await self._listing(query), None, done=True)

    async def _new_page(self, cursor: str | None) -> RawPage:
        since = float(cursor) if cursor else 0.0
        found: list[Candidate] = []
        for url in self.option("watch_urls", []):
            found += await self._listing(url)
        fresh = [c for c in found if c.uploaded_at is None or c.uploaded_at.timestamp() >= since]
        newest = max((c.uploaded_at.timestamp() for c in fresh if c.uploaded_at), default=since)
        return RawPage(fresh, str(newest), done=True)

    async def _account_page(self, account: str, cursor: str | None) -> RawPage:
        if not self.supports_accounts:
            raise UnsupportedOperation("ytdlp: no account_url template configured")
        url = str(self.option("account_url")).format(account=account)
        return RawPage(await self._listing(url), None, done=True)

    async def _media_source(self, candidate: Candidate) -> tuple[str, dict[str, str]]:
        info = await self._extract(candidate.url, flat=False)
        return pick_format(info, candidate.url)

    async def _listing(self, url: str) -> list[Candidate]:
        info = await self._extract(url, flat=True)
        entries = info.get("entries")
        if entries is None:
            return [self._candidate(info, url)]
        return [self._candidate(entry, url) for entry in entries if entry]

    async def _extract(self, url: str, *, flat: bool) -> dict[str, Any]:
        if "://" in url:
            await self.http.guard.check(url)
        options = {
            "quiet": True,
            "no_warnings": False,
            "skip_download": True,
            "noplaylist": not flat,
            "extract_flat": "in_playlist" if flat else False,
            "socket_timeout": self.config.http.timeout_s,
            "retries": self.config.http.retries,
            "http_headers": {"User-Agent": self.config.http.user_agent},
            "logger": _YdlLogger(),
            **self.option("ydl_options", {}),
        }
        await self.http.limiter.acquire()
        trusted = await self.http.guard.trusted_addresses()
        # yt-dlp's own requests (pages, APIs, redirects) do not pass our client: guard its sockets
        with guard_sockets(self.http.guard, trusted) as sockets:
            try:
                return await asyncio.to_thread(_extract_sync, url, options)
            except YoutubeDLError as exc:  # every site failure: refused, gone, unsupported
                if sockets.refused:
                    refused = ", ".join(sorted(set(sockets.refused)))
                    raise BlockedAddress(
                        f"yt-dlp reading {url} was refused internal address {refused}", url=url
                    ) from exc
                raise CrawlError(f"yt-dlp could not read {url}: {exc}", url=url) from exc

    def _candidate(self, info: dict[str, Any], fallback_url: str) -> Candidate:
        timestamp = info.get("timestamp") or info.get("release_timestamp")
        uploaded = datetime.fromtimestamp(timestamp, UTC) if timestamp else None
        if uploaded is None and info.get("upload_date"):
            uploaded = datetime.strptime(info["upload_date"], "%Y%m%d").replace(tzinfo=UTC)
        url, smuggled = unsmuggle_url(info.get("webpage_url") or info.get("url") or fallback_url)
        video_id = info.get("id") or smuggled.get("force_videoid") or url
        return Candidate(
            platform=self.name,
            video_id=f"{info.get('extractor_key') or info.get('ie_key') or 'web'}:{video_id}",
            url=url,
            title=info.get("title") or "",
            uploader_id=info.get("uploader_id") or info.get("channel_id"),
            uploader_name=info.get("uploader") or info.get("channel"),
            uploaded_at=uploaded,
            duration_s=info.get("duration"),
            view_count=info.get("view_count"),
        )


def _extract_sync(url: str, options: dict[str, Any]) -> dict[str, Any]:
    with YoutubeDL(options) as ydl:
        info = ydl.extract_info(url, download=False)
        return ydl.sanitize_info(info)


#: yt-dlp protocols we sample, cheapest first: progressive, then HLS, then DASH
PROTOCOLS = {
    "http": 0,
    "https": 0,
    "m3u8_native": 1,
    "m3u8": 1,
    "http_dash_segments": 2,
}


def pick_format(info: dict[str, Any], page_url: str) -> tuple[str, dict[str, str]]:
    """The cheapest format with video (and audio if any has it) we can sample, plus headers:
    progressive HTTP, else HLS (the variant's media playlist), else DASH (the manifest)."""
    if info.get("entries"):
        info = next((e for e in info["entries"] if e), info)
    formats = info.get("formats") or ([info] if info.get("url") else [])
    usable = [
        f
        for f in formats
        if f.get("url")
        and f.get("protocol", "https") in PROTOCOLS
        and f.get("vcodec") != "none"
    ]
    if not usable:
        raise MediaError(f"{page_url}: no HTTP, HLS or DASH format with video", url=page_url)

    def cost(f: dict[str, Any]) -> tuple:
        height = f.get("height") or 480
        return (
            f.get("acodec") == "none",  # muxed audio+video first
            PROTOCOLS[f.get("protocol", "https")],  # progressive, then HLS, then DASH
            f.get("ext") != "mp4",  # MP4 can be range-sampled
            abs(height - 480),  # enough detail for matching, not more
            f.get("filesize") or f.get("filesize_approx") or 0,
        )

    best = min(usable, key=cost)
    url = best["url"]
    if best.get("protocol") == "http_dash_segments":
        url = best.get("manifest_url") or url  # our sampler picks the representation itself
    return url, dict(best.get("http_headers") or {})
