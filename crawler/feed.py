"""The ``feed`` plugin: RSS/Atom (feedparser) and JSON Feed listings of new uploads.

Options: ``urls`` (feed URLs). Feeds cannot be searched server-side, so :meth:`search` filters
entries whose title holds every word of the term. The cursor of "new uploads" is the newest
publication time already handled, per feed, so restarts skip what was processed.
"""

from __future__ import annotations

import asyncio
import calendar
import html
import json
from datetime import UTC, datetime
from typing import Any, ClassVar

import feedparser

from crawler.base import Platform, RawPage
from crawler.errors import MalformedResponse
from crawler.models import Candidate


class FeedPlatform(Platform):
    name: ClassVar[str] = "feed"

    @property
    def urls(self) -> list[str]:
        urls = self.option("urls", [])
        return [urls] if isinstance(urls, str) else list(urls)

    async def _entries(self) -> list[Candidate]:
        found = await asyncio.gather(*(self._read(url) for url in self.urls))
        return [c for entries in found for c in entries]

    async def _search_page(self, term: str, cursor: str | None) -> RawPage:
        words = term.lower().split()
        entries = await self._entries()
        return RawPage(
            [c for c in entries if all(w in c.title.lower() for w in words)], None, done=True
        )

    async def _new_page(self, cursor: str | None) -> RawPage:
        since = float(cursor) if cursor else 0.0
        entries = [c for c in await self._entries() if _stamp(c) >= since or not c.uploaded_at]
        entries.sort(key=_stamp)
        newest = max((_stamp(c) for c in entries), default=since)
        return RawPage(entries, str(newest), done=True)

    async def _read(self, url: str) -> list[Candidate]:
        text = await self.http.get_text(url)
        if text.lstrip().startswith("{"):
            return self._json_feed(url, text)
        parsed = await asyncio.to_thread(feedparser.parse, text)
        if parsed.bozo and not parsed.entries:
            raise MalformedResponse(f"{url}: unreadable feed ({parsed.get('bozo_exception')})")
        return [self._entry(url, entry) for entry in parsed.entries]

    def _entry(self, feed_url: str, entry: Any) -> Candidate:
        link = entry.get("link") or ""
        media = next(
            (
                item.get("href") or item.get("url")
                for item in [*entry.get("enclosures", []), *entry.get("media_content", [])]
                if str(item.get("type", "video/")).startswith("video/")
            ),
            None,
        )
        published = entry.get("published_parsed") or entry.get("updated_parsed")
        video_id = entry.get("id") or link or media
        if not video_id:
            raise MalformedResponse(f"{feed_url}: entry without id or link")
        return Candidate(
            platform=self.name,
            video_id=str(video_id),
            url=link or media or "",
            title=_text(entry.get("title", "")),
            uploader_name=_text(entry.get("author")),
            uploaded_at=(
                datetime.fromtimestamp(calendar.timegm(published), UTC) if published else None
            ),
            media_url=media,
        )

    def _json_feed(self, feed_url: str, text: str) -> list[Candidate]:
        try:
            body = json.loads(text)
            items = body["items"]
            candidates = []
            for item in items:
                media = next(
                    (
                        a["url"]
                        for a in item.get("attachments", [])
                        if str(a.get("mime_type", "")).startswith("video/")
                    ),
                    None,
                )
                published = item.get("date_published") or item.get("date_modified")
                authors = item.get("authors") or ([item["author"]] if "author" in item else [])
                candidates.append(
                    Candidate(
                        platform=self.name,
                        video_id=str(item["id"]),
                        url=item.get("url") or media or "",
                        title=item.get("title", ""),
                        uploader_name=authors[0].get("name") if authors else None,
                        uploaded_at=datetime.fromisoformat(published) if published else None,
                        media_url=media,
                    )
                )
            return candidates
        except (json.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
            raise MalformedResponse(f"{feed_url}: invalid JSON Feed ({exc!r})") from exc


def _stamp(candidate: Candidate) -> float:
    return candidate.uploaded_at.timestamp() if candidate.uploaded_at else 0.0


def _text(value: str | None) -> str | None:
    """feedparser hands plain-text fields back with entities it added (``&amp;``, and ``&lt;``
    where the text looks like markup): the uploader's text is the unescaped string. It is data
    from here on — every output escapes it for its own format."""
    return html.unescape(value) if value else value
