"""The daemon's candidate pipeline: discovery → durable queue → sample → fingerprint → match → case.

Discovery writes candidates to ``candidate_queue`` before a platform cursor moves on. Workers take
the most urgent candidates from a small in-memory :class:`DeadlineQueue`, fetch a media sample,
fingerprint it, match it (:mod:`monitor.stages`: on this machine, or as Ray tasks), and — in
one transaction — record the outcome and hand the matches to :class:`Casework`, which opens the
cases. A candidate interrupted anywhere
before that commit is still pending and is processed again after a restart; cases are keyed so
that reprocessing never opens a second one.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import asdict
from datetime import timedelta
from collections.abc import Callable
from typing import Protocol

import aiohttp
from sqlalchemy.orm import Session

from crawler.base import Platform
from crawler.errors import CrawlError, HttpStatusError
from crawler.models import Candidate, Page
from crawler.registry import platform_class
from monitor.crawling import crawler_session, platform_config, work_terms
from indexing.catalogue import Services
from indexing.reports import LeakReport, MatchReport
from monitor.stages import make_stages
from monitor.workqueue import DeadlineQueue
from fingerprint import DecodeError
from notices.policy import opens_case
from storage import daemon as store
from storage.base import utcnow
from storage.crawl import SqlCrawlState
from storage.db import transaction

log = logging.getLogger(__name__)


class Casework(Protocol):
    """What the daemon needs from case handling (monitor.casework_adapter.NoticesCasework)."""

    def open_cases(
        self, candidate: store.QueuedCandidate, matches: list[MatchReport], *, session: Session,
        watermark: LeakReport | None = None,
    ) -> list[int]:
        """Open (or find) the cases for a matched candidate, inside the caller's transaction."""
        ...

    async def dispatch(self) -> dict: ...

    async def recheck(self) -> dict: ...

    async def watchdog(self) -> dict: ...


CaseworkFactory = Callable[[Services, dict[str, Platform]], Casework]


class Pipeline:
    """Owns the platforms, the queue, the stages (:mod:`monitor.stages`) and the consumer tasks."""

    def __init__(self, services: Services, casework_factory: CaseworkFactory):
        self.services = services
        self.settings = services.settings
        cfg = self.settings.daemon
        self.queue = DeadlineQueue(cfg.queue_size)
        self.stages = make_stages(services)  # sample, fingerprint, match: here or on Ray
        self.samples_dir = self.settings.home / "samples"
        self.platforms: dict[str, Platform] = {}  # filled by start(); shared with casework
        self.casework = casework_factory(services, self.platforms)
        self._http: aiohttp.ClientSession | None = None
        self._consumers: list[asyncio.Task] = []
        self.processed = 0

    # -- lifecycle ------------------------------------------------------------------------------
    async def start(self) -> None:
        self._http = crawler_session(self.settings.crawler)
        state = SqlCrawlState(self.services.sessions)
        for name in self.settings.daemon.platforms:
            config = platform_config(self.settings.crawler, name)
            self.platforms[name] = platform_class(name)(self._http, config, state)
        self.stages.start()
        self._consumers = [
            asyncio.create_task(self._consume(), name=f"consumer-{i}")
            for i in range(self.stages.workers * 2)
        ]

    async def stop(self, grace_s: float) -> None:
        """Stop taking work; let in-flight candidates finish within ``grace_s``, then abandon them.

        An abandoned candidate was never marked finished, so it stays pending for the next start.
        """
        left = await self.queue.close()
        if left:
            log.info("shutdown: %d queued candidates stay pending in the database", len(left))
        if self._consumers:
            done, running = await asyncio.wait(self._consumers, timeout=grace_s or None)
            for task in running:
                task.cancel()
            if running:
                log.warning("shutdown: abandoned %d in-flight candidates (still pending)", len(running))
                await asyncio.gather(*running, return_exceptions=True)
        self.stages.shutdown()
        if self._http is not None:
            await self._http.close()

    def live(self) -> dict:
        return {"queued": len(self.queue), "in_flight": self.queue.in_flight,
                "queue_capacity": self.queue.maxsize, "processed": self.processed}

    # -- discovery ------------------------------------------------------------------------------
    async def discover(self, platform_name: str, *, work_id: int | None = None) -> dict:
        """One pass over a platform's new uploads, or its search results for one work."""
        backlog = await asyncio.to_thread(self._db, lambda s: store.backlog(session=s))
        if backlog >= self.settings.daemon.max_backlog:
            log.warning("%s: %d candidates pending; discovery paused (backpressure)", platform_name, backlog)
            return {"paused": True, "backlog": backlog}
        platform = self.platforms[platform_name]
        if work_id is None:
            sources = [("new uploads", platform.new_uploads())]
        else:
            terms = await asyncio.to_thread(self._db, lambda s: _work_terms(self.settings, work_id, s))
            sources = [(f"search {t!r}", platform.search(t)) for t in terms]
        found = queued = 0
        for label, pages in sources:
            try:
                async for page in pages:
                    found += len(page.candidates)
                    queued += await self._enqueue(platform, page, label)
            except CrawlError as exc:
                if not exc.expected:
                    raise
                log.warning("%s: listing %s failed: %s", platform_name, label, exc)
        return {"found": found, "queued": queued}

    async def _enqueue(self, platform: Platform, page: Page, label: str) -> int:
        now = utcnow()
        window = timedelta(seconds=self.settings.daemon.notice_window_s)
        rows = [
            store.NewCandidate(c, source=label, deadline_at=min(c.uploaded_at or now, now) + window)
            for c in page.candidates
        ]
        added = await asyncio.to_thread(self._db, lambda s: store.enqueue(rows, session=s))
        for candidate in page.candidates:
            await platform.mark_seen(candidate, "queued")
        await platform.commit(page)  # only now: a crash before this re-reads the page
        for row_id, deadline in added:
            await self.queue.offer(row_id, deadline)
        if added:
            log.info("%s: %d new candidates from %s", platform.name, len(added), label)
        return len(added)

    # -- feeding and consuming ------------------------------------------------------------------
    async def feed(self) -> dict:
        """Top the in-memory queue up with the most urgent pending candidates from the database."""
        free = self.queue.free
        if free == 0:
            return {"offered": 0, "queued": len(self.queue)}
        known = self.queue.known
        rows = await asyncio.to_thread(
            self._db, lambda s: [(r.id, r.deadline_at) for r in store.next_pending(free, exclude=list(known), session=s)]
        )
        offered = 0
        for row_id, deadline in rows:
            offered += await self.queue.offer(row_id, deadline)
        return {"offered": offered, "queued": len(self.queue)}

    async def _consume(self) -> None:
        while (item := await self.queue.take()) is not None:
            try:
                await self.process(item.candidate_id)
            except Exception:  # a bug costs one candidate (it stays pending), never the daemon
                log.exception("candidate %d: processing failed", item.candidate_id)
            finally:
                self.queue.done(item.candidate_id)

    async def process(self, candidate_id: int) -> str:
        """Sample, fingerprint, match and record one candidate; returns its outcome."""
        row = await asyncio.to_thread(self._db, lambda s: store.get(candidate_id, session=s))
        if row is None or row.state != store.PENDING:
            return "skipped"
        where = f"{row.platform}:{row.video_id} (candidate {row.id})"
        platform = self.platforms.get(row.platform)
        if platform is None:
            return await self._retry(candidate_id, f"platform {row.platform!r} is not watched")
        try:
            sample = await self.stages.sample(platform, _as_candidate(row), self.samples_dir / row.platform)
        except HttpStatusError as exc:
            if exc.gone:
                log.info("%s: gone before sampling (%s)", where, exc.status)
                return await self._finish(candidate_id, "gone", error=str(exc))
            return await self._retry(candidate_id, str(exc))
        except CrawlError as exc:
            if not exc.expected:
                raise
            return await self._retry(candidate_id, str(exc))
        prints = await self.stages.fingerprint(sample.path)
        if isinstance(prints, DecodeError):
            log.warning("%s: %s", where, prints)
            return await self._finish(candidate_id, "failed", error=str(prints), sample=sample)
        report = await self.stages.match(sample.path, prints.video, min_score=self.settings.matcher.min_score)
        matches = report.matches
        outcome = "matched" if any(self._opens_case(m) for m in matches) else "no_match"
        log.info("%s: %s %s", where, outcome, ", ".join(f"ep{m.episode_id}={m.score:.2f}" for m in matches))
        # whose distributed copy leaked, read by Services.report when the copy is worth a notice
        return await self._finish(candidate_id, outcome, sample=sample, matches=matches, leak=report.watermark)

    async def _retry(self, candidate_id: int, error: str) -> str:
        def record(session: Session) -> str:
            row = store.get(candidate_id, session=session)
            row.attempts += 1
            row.last_error = error
            if row.attempts >= self.settings.daemon.max_attempts:
                row.state, row.outcome, row.processed_at = store.FAILED, "failed", utcnow()
                return "failed"
            return "retry"

        outcome = await asyncio.to_thread(self._db, record)
        log.warning("candidate %d: %s (%s)", candidate_id, error, outcome)
        return outcome

    async def _finish(self, candidate_id: int, outcome: str, *, error: str | None = None,
                      sample=None, matches: list[MatchReport] = (),
                      leak: LeakReport | None = None) -> str:
        def record(session: Session) -> str:
            row = store.get(candidate_id, session=session)
            if row is None or row.state != store.PENDING:
                return "skipped"  # another worker (or process) finished it first
            row.state = store.DONE if outcome != "failed" else store.FAILED
            row.outcome, row.last_error, row.processed_at = outcome, error, utcnow()
            row.matches = [asdict(m) for m in matches]
            if sample is not None:
                row.sample_path, row.sample_sha256 = str(sample.path), sample.sha256
                row.captured_at = sample.captured_at
            if outcome == "matched":
                cased = [m for m in matches if self._opens_case(m)]
                self.casework.open_cases(row, cased, session=session, watermark=leak)
            return outcome

        result = await asyncio.to_thread(self._db, record)
        self.processed += 1
        return result

    def _db(self, fn):
        with transaction(self.services.sessions) as session:
            return fn(session)

    def _opens_case(self, match: MatchReport) -> bool:
        return opens_case(match.score, held=match.review, review_score=self.settings.matcher.review_score)


def _as_candidate(row: store.QueuedCandidate) -> Candidate:
    return Candidate(
        platform=row.platform, video_id=row.video_id, url=row.url, title=row.title,
        uploader_id=row.uploader_id, uploader_name=row.uploader_name, uploaded_at=row.uploaded_at,
        duration_s=row.duration_s, view_count=row.view_count, media_url=row.media_url,
    )


def _work_terms(settings, work_id: int, session: Session) -> list[str]:
    from storage.models import Work

    work = session.get(Work, work_id)
    return work_terms(settings.crawler, work.title, work.aliases or []) if work else []

