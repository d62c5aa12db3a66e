"""The daemon's :class:`monitor.pipeline.Casework`, on top of monitor.casework.

The pipeline hands over a queued crawler candidate and its matches inside the transaction that
marks the candidate done; this adapter turns them into notices' ``CandidateInfo``, extracts
side-by-side keyframes for the evidence, and calls :func:`ingest_matches` in that same
transaction — so a crash leaves either both the finished candidate and its case, or neither.
Dispatch, re-checks and the watchdog are the casework functions with the daemon's channels,
platforms and clock.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import asdict
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from crawler.base import Platform
from crawler.errors import HttpStatusError
from monitor.casework import dispatch_notices, ingest_matches
from monitor.followup import recheck_removals, run_watchdog
from monitor.notice_claims import build_channels
from indexing.catalogue import Services
from indexing.reports import LeakReport, MatchReport
from fingerprint import DecodeError
from fingerprint.media import DecodeLimits, SampledFrame, frames_at, sample_frames
from notices.casework import report_spans
from notices.clock import SystemClock
from notices.evidence import KeyframePair
from notices.lifecycle import NOTICE_DUE, CaseState
from notices.model import CandidateInfo
from storage import cases as repo
from storage import references
from storage.base import utcnow
from storage.cases import Case
from storage.daemon import QueuedCandidate
from storage.db import transaction

log = logging.getLogger(__name__)

QUERY_FRAME_STEP_MS = 250
QUERY_FRAME_SIDE = 480
MAX_PAIRS_PER_EPISODE = 4


def candidate_info(row: QueuedCandidate) -> CandidateInfo:
    """The crawler's candidate and its sample, as notices describe a suspected copy."""
    return CandidateInfo(
        platform=row.platform, video_id=row.video_id, url=row.url, title=row.title,
        uploader_id=row.uploader_id, uploader_name=row.uploader_name,
        uploaded_at=row.uploaded_at, view_count=row.view_count,
        captured_at=row.captured_at or utcnow(), media_sha256=row.sample_sha256,
    )


def keyframe_pairs(home: Path, sample: Path | None, matches: list[MatchReport],
                   limits: DecodeLimits, decode: str = "fast") -> dict[int, list[KeyframePair]]:
    """Episode id → the copy's frame at each segment's midpoint next to the nearest stored
    reference keyframe. Undecodable samples or missing references give fewer pictures."""
    if sample is None or not matches:
        return {}
    wanted: list[tuple[int, int, int]] = []  # (episode, query ms, reference ms)
    for match in matches:
        wanted += [(match.episode_id, round((q[0] + q[1]) * 500), round((r[0] + r[1]) * 500))
                   for q, r, _ in report_spans(match)[:MAX_PAIRS_PER_EPISODE]]
    try:
        frames = _query_frames(sample, [q for _, q, _ in wanted], limits, decode)
    except DecodeError as exc:
        log.warning("no evidence keyframes from %s: %s", sample, exc)
        return {}
    pairs: dict[int, list[KeyframePair]] = {}
    stopped: set[int] = set()
    for episode, query_ms, ref_ms in wanted:
        if episode in stopped:
            continue
        reference = references.nearest_keyframe(home, episode, ref_ms)
        frame = frames.get(query_ms)
        if reference is None:
            stopped.add(episode)
            continue
        if frame is None:
            continue
        pairs.setdefault(episode, []).append(
            KeyframePair(frame.time_ms, reference[0], frame.rgb if frame.rgb is not None else frame.grey,
                         reference[1]))
    return pairs


def _query_frames(sample: Path, times_ms: list[int], limits: DecodeLimits, decode: str) -> dict[int, SampledFrame]:
    """Query time → the copy's frame there. Fast: seek to each time (a GOP or two decoded per
    picture); full, or a file PyAV cannot seek: the whole sample on the 250 ms grid, as before."""
    if decode == "fast":
        try:
            return frames_at(sample, times_ms, max_side=QUERY_FRAME_SIDE, limits=limits)
        except DecodeError as exc:
            log.info("seeking %s for keyframes failed (%s); decoding it whole", sample, exc.reason)
    frames = sample_frames(sample, interval_ms=QUERY_FRAME_STEP_MS, max_side=QUERY_FRAME_SIDE,
                           limits=limits, colour=True, decode="fast" if decode == "fast" else "full")
    return {t: _nearest(frames, t) for t in times_ms} if frames else {}


def _nearest(frames: list[SampledFrame], time_ms: int) -> SampledFrame:
    return min(frames, key=lambda f: abs(f.time_ms - time_ms))


class NoticesCasework:
    """Cases, notices and re-checks in storage.cases' tables, for the daemon."""

    def __init__(self, services: Services, platforms: dict[str, Platform]):
        self.services = services
        self.settings = services.settings
        self.platforms = platforms  # name → crawler Platform (shared with the pipeline)
        self.clock = SystemClock()
        self.channels = build_channels(self.settings.notices)

    def open_cases(self, candidate: QueuedCandidate, matches: list[MatchReport], *,
                   session: Session, watermark: LeakReport | None = None) -> list[int]:
        sample = Path(candidate.sample_path) if candidate.sample_path else None
        pairs = keyframe_pairs(self.settings.home, sample, matches, self.services.limits,
                               self.settings.fingerprint.decode)
        outcomes = ingest_matches(
            session, candidate=candidate_info(candidate), reports=matches, clock=self.clock,
            settings=self.settings, keyframes=pairs,
            watermark=asdict(watermark) if watermark else None, actor="daemon",
        )
        if outcomes and all(o.status == "allowlisted" for o in outcomes):
            candidate.outcome = "licensed"
            log.info("candidate %d: %s is licensed (%s); no case", candidate.id, candidate.url,
                     outcomes[0].reason)
        return [o.case_id for o in outcomes if o.case_id is not None]

    async def dispatch(self) -> dict:
        results = await dispatch_notices(self.services.sessions, channels=self.channels,
                                         clock=self.clock, settings=self.settings.notices,
                                         home=self.settings.home)
        return {"sent": sum(r.status == "sent" for r in results),
                "failed": sum(r.status == "failed" for r in results)}

    async def recheck(self) -> dict:
        outcome = await recheck_removals(self.services.sessions, url_is_down=self.url_is_down,
                                         clock=self.clock, settings=self.settings.notices)
        states = list(outcome.values())
        return {"removed": states.count(CaseState.REMOVED.value),
                "still_up": states.count("still_up"), "checked": len(states)}

    async def url_is_down(self, url: str) -> bool:
        """Ask the platform that lists the URL: 404/410 means taken down."""
        name = await asyncio.to_thread(self._platform_of, url)
        platform = self.platforms.get(name)
        if platform is None:
            raise LookupError(f"platform {name!r} of {url} is not watched")
        try:
            await platform.http.get_text(url)
        except HttpStatusError as exc:
            if exc.gone:
                return True
            raise
        return False

    def _platform_of(self, url: str) -> str | None:
        with transaction(self.services.sessions) as session:
            return session.scalar(select(Case.platform).where(Case.url == url).limit(1))

    async def watchdog(self) -> dict:
        raised = await asyncio.to_thread(self._watchdog)
        return {"deadline_alerts": len(raised)}

    def _watchdog(self) -> list[str]:
        with transaction(self.services.sessions) as session:
            return run_watchdog(session, clock=self.clock, settings=self.settings.notices)


def cases_near_deadline(session: Session, *, now: datetime, within: timedelta) -> list[dict]:
    """Cases still waiting for their notice (or a review) within ``within`` of its deadline."""
    return [
        {"case": c.id, "url": c.url, "state": c.state, "deadline": c.notice_deadline.isoformat(),
         "seconds_left": round((c.notice_deadline - now).total_seconds())}
        for c in sorted(repo.cases_in(session, NOTICE_DUE | {CaseState.PENDING_REVIEW}),
                        key=lambda c: c.notice_deadline)
        if c.notice_deadline <= now + within
    ]
