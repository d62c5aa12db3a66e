"""The crawl loop for one platform: discover, sample, scan, remember — a failure costs one video.

Pages are handled one at a time; a page's cursor is persisted only after all its candidates were
handled, so a crash re-reads it. A candidate is marked seen when its outcome is final (scanned,
gone, unreadable); after transient failures (timeouts, 429/5xx beyond retries) it is left unseen so
the next run tries again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crawler.base import Platform
from crawler.errors import CrawlError, HttpStatusError, MediaError
from crawler.models import Candidate, Page, Sample

log = logging.getLogger(__name__)

Scanner = Callable[[Sample], Awaitable[Any]]


@dataclass
class Outcome:
    candidate: Candidate
    sample: Sample | None = None
    result: Any = None  # what the scanner returned
    error: str | None = None
    status: str = "scanned"  # scanned | gone | failed | retry | error


@dataclass(frozen=True)
class Sources:
    new_uploads: bool = True
    accounts: Sequence[str] = ()
    terms: Sequence[str] = ()


class Crawler:
    def __init__(self, platform: Platform, scan: Scanner, dest_dir: Path, concurrency: int = 4):
        self.platform = platform
        self.scan = scan
        self.dest_dir = dest_dir
        self._slots = asyncio.Semaphore(concurrency)

    async def run_once(self, sources: Sources) -> AsyncIterator[Outcome]:
        """One pass over every source; yields each candidate's outcome as it completes."""
        handled: set[str] = set()
        for label, open_pages in self._sources(sources):
            try:
                async for page in open_pages():
                    fresh = [c for c in page.candidates if c.video_id not in handled]
                    handled.update(c.video_id for c in fresh)
                    async for outcome in self._handle_page(page, fresh):
                        yield outcome
            except CrawlError as exc:
                if not exc.expected:
                    raise
                log.warning("%s: listing %s failed: %s", self.platform.name, label, exc)

    def _sources(self, sources: Sources):
        """(label, a callable opening the page iterator): opening may fail, e.g. unsupported."""
        platform = self.platform
        if sources.new_uploads:
            yield "new uploads", platform.new_uploads
        for account in sources.accounts:
            yield f"account {account}", lambda account=account: platform.account_uploads(account)
        for term in sources.terms:
            yield f"search {term!r}", lambda term=term: platform.search(term)

    async def _handle_page(self, page: Page, candidates: list[Candidate]):
        tasks = [asyncio.create_task(self._handle(c)) for c in candidates]
        try:
            for finished in asyncio.as_completed(tasks):
                yield await finished
        finally:
            for task in tasks:
                task.cancel()
        await self.platform.commit(page)

    async def _handle(self, candidate: Candidate) -> Outcome:
        async with self._slots:
            outcome = await self._sample_and_scan(candidate)
        if outcome.status in ("scanned", "gone", "failed"):
            await self.platform.mark_seen(candidate, outcome.status)
        return outcome

    async def _sample_and_scan(self, candidate: Candidate) -> Outcome:
        where = f"{self.platform.name}:{candidate.video_id}"
        try:
            sample = await self.platform.fetch_media(candidate, self.dest_dir)
        except HttpStatusError as exc:
            status = "gone" if exc.gone else "retry"
            log.warning("%s: %s (%s)", where, exc, status)
            return Outcome(candidate, error=str(exc), status=status)
        except CrawlError as exc:
            if not exc.expected:
                log.exception("%s: crawler bug while sampling", where)
                return Outcome(candidate, error=str(exc), status="error")
            permanent = isinstance(exc, MediaError) or type(exc) is not CrawlError
            log.warning("%s: %s", where, exc)
            return Outcome(candidate, error=str(exc), status="failed" if permanent else "retry")
        except Exception as exc:  # a bug must not stop the crawl; it is logged with its traceback
            log.exception("%s: unexpected error while sampling", where)
            return Outcome(candidate, error=f"{type(exc).__name__}: {exc}", status="error")
        try:
            result = await self.scan(sample)
        except Exception as exc:
            log.exception("%s: scanner failed on %s", where, sample.path)
            return Outcome(candidate, sample, error=f"{type(exc).__name__}: {exc}", status="error")
        return Outcome(candidate, sample, result)
