"""The simulated platform's feeds: ``GET /feed.rss``, ``/feed.atom``, ``/feed.json``, the
newest live uploads (the feed platform plugin reads them)."""
from __future__ import annotations

import html
from datetime import UTC, datetime
from email.utils import format_datetime

from aiohttp import web

from crawler.simulated.videos import SimVideo


class Feeds:
    """Mixin of ``PlatformSim``: reads its live videos, ``base_url`` and URL builders."""

    def _newest(self, limit: int = 50) -> list[SimVideo]:
        return sorted(self._live(), key=lambda v: v.seq, reverse=True)[:limit]

    async def _feed_rss(self, request: web.Request) -> web.Response:
        items = "".join(
            f"<item><title>{html.escape(v.title)}</title><link>{self.page_url(v)}</link>"
            f'<guid isPermaLink="false">{v.id}</guid>'
            f"<pubDate>{format_datetime(v.uploaded_at)}</pubDate>"
            f"<author>{html.escape(v.uploader_name)}</author>"
            f'<enclosure url="{self.media_url(v)}" length="{len(v.data)}" type="video/mp4"/>'
            "</item>"
            for v in self._newest()
        )
        body = (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Simulated uploads</title><link>{self.base_url}/</link>"
            f"<description>new uploads</description>{items}</channel></rss>"
        )
        return web.Response(text=body, content_type="application/rss+xml")

    async def _feed_atom(self, request: web.Request) -> web.Response:
        entries = "".join(
            f"<entry><id>{v.id}</id><title>{html.escape(v.title)}</title>"
            f'<link rel="alternate" href="{self.page_url(v)}"/>'
            f'<link rel="enclosure" type="video/mp4" href="{self.media_url(v)}"/>'
            f"<published>{v.uploaded_at.isoformat()}</published>"
            f"<updated>{v.uploaded_at.isoformat()}</updated>"
            f"<author><name>{html.escape(v.uploader_name)}</name></author></entry>"
            for v in self._newest()
        )
        body = (
            '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>Simulated uploads</title><id>{self.base_url}/</id>"
            f"<updated>{datetime.now(UTC).isoformat()}</updated>{entries}</feed>"
        )
        return web.Response(text=body, content_type="application/atom+xml")

    async def _feed_json(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "version": "https://jsonfeed.org/version/1.1",
                "title": "Simulated uploads",
                "items": [
                    {
                        "id": v.id,
                        "url": self.page_url(v),
                        "title": v.title,
                        "date_published": v.uploaded_at.isoformat(),
                        "authors": [{"name": v.uploader_name}],
                        "attachments": [
                            {
                                "url": self.media_url(v),
                                "mime_type": "video/mp4",
                                "size_in_bytes": len(v.data),
                            }
                        ],
                    }
                    for v in self._newest()
                ],
            }
        )
