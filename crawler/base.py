"""The ``Platform`` plugin base: discovery, cursors, dedupe and media sampling live here.

A plugin (yt-dlp's template method) only says how to read one page of a listing and, if needed,
where a candidate's media is. The base owns the HTTP client (guard, limits, retries), persists
cursors and seen videos through :class:`crawler.state.CrawlState`, and samples media.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import aiohttp

from crawler.errors import UnsupportedOperation
from crawler.http import HttpClient, HttpPolicy
from crawler.models import Candidate, Page, Sample
from crawler.netguard import AddressGuard
from crawler.sampling import MediaSampler, SamplingPolicy
from crawler.state import CrawlState

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PlatformConfig:
    """Everything a platform instance needs; ``options`` are the plugin's own (base URL...)."""

    http: HttpPolicy = HttpPolicy()
    sampling: SamplingPolicy = SamplingPolicy()
    allow_private_addresses: bool = False
    trusted_hosts: tuple[str, ...] = ()
    allowed_networks: tuple[str, ...] = ()
    max_pages: int = 5
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RawPage:
    """What a plugin returns for one listing request; ``done`` when nothing follows it."""

    candidates: list[Candidate]
    next_cursor: str | None
    done: bool = False


class Platform:
    name: ClassVar[str]
    supports_accounts: ClassVar[bool] = False

    def __init__(self, session: aiohttp.ClientSession, config: PlatformConfig, state: CrawlState):
        self.config = config
        self.state = state
        guard = AddressGuard(
            allow_private=config.allow_private_addresses,
            trusted_hosts=config.trusted_hosts,
            allowed_networks=config.allowed_networks,
        )
        self.http = HttpClient(session, config.http, guard)
        self.sampler = MediaSampler(self.http, config.sampling)

    def option(self, key: str, default: Any = None) -> Any:
        return self.config.options.get(key, default)

    # ---- discovery: the base pages through a plugin's listing and filters seen videos ----

    def search(self, term: str) -> AsyncIterator[Page]:
        """Stateless: relevance-ordered results have no stable cursor; dedupe does the rest."""
        return self._pages(lambda cursor: self._search_page(term, cursor), None)

    def new_uploads(self) -> AsyncIterator[Page]:
        """Uploads since the persisted cursor, oldest first."""
        return self._pages(self._new_page, "new")

    def account_uploads(self, account: str) -> AsyncIterator[Page]:
        if not self.supports_accounts:
            raise UnsupportedOperation(f"{self.name} cannot list an account's uploads")
        return self._pages(lambda cursor: self._account_page(account, cursor), f"account:{account}")

    async def commit(self, page: Page) -> None:
        """Persist the page's cursor; call after its candidates were handled."""
        if page.cursor_key is not None and page.next_cursor is not None:
            await asyncio.to_thread(
                self.state.set_cursor, self.name, page.cursor_key, page.next_cursor
            )

    async def mark_seen(self, candidate: Candidate, status: str) -> None:
        await asyncio.to_thread(
            self.state.mark_seen, self.name, candidate.video_id, url=candidate.url, status=status
        )

    async def _pages(self, fetch, cursor_key: str | None) -> AsyncIterator[Page]:
        cursor = None
        if cursor_key is not None:
            cursor = await asyncio.to_thread(self.state.get_cursor, self.name, cursor_key)
        seen_in_run: set[str] = set()
        for _ in range(self.config.max_pages):
            raw: RawPage = await fetch(cursor)
            ids = [c.video_id for c in raw.candidates if c.video_id not in seen_in_run]
            unseen = await asyncio.to_thread(self.state.unseen, self.name, ids)
            fresh = []
            for candidate in raw.candidates:
                if candidate.video_id in unseen and candidate.video_id not in seen_in_run:
                    seen_in_run.add(candidate.video_id)
                    fresh.append(candidate)
            next_cursor = raw.next_cursor if raw.next_cursor is not None else cursor
            yield Page(fresh, cursor_key, next_cursor if cursor_key else None)
            if raw.done or raw.next_cursor is None or raw.next_cursor == cursor:
                return
            cursor = raw.next_cursor

    # ---- media ----

    async def fetch_media(self, candidate: Candidate, dest_dir: Path) -> Sample:
        url, headers = await self._media_source(candidate)
        return await self.sampler.sample(candidate, url, dest_dir, headers)

    # ---- what plugins implement ----

    async def _search_page(self, term: str, cursor: str | None) -> RawPage:
        raise NotImplementedError

    async def _new_page(self, cursor: str | None) -> RawPage:
        raise NotImplementedError

    async def _account_page(self, account: str, cursor: str | None) -> RawPage:
        raise UnsupportedOperation(f"{self.name} cannot list an account's uploads")

    async def _media_source(self, candidate: Candidate) -> tuple[str, dict[str, str]]:
        """The media URL and any headers it needs; default: what the listing gave."""
        if not candidate.media_url:
            raise UnsupportedOperation(f"{self.name}: no media URL for {candidate.url}")
        return candidate.media_url, {}
