"""The daemon's built-in case handling: open cases, dispatch notices exactly once, verify removal.

Stands in for the notices/ package's case machine behind the :class:`dramaguard.pipeline.Casework`
seam. Exactly-once delivery rests on the outbox (``daemon_notices``, one row per case and channel
with a unique key) and on what each channel can promise:

- ``platform`` (the platform's complaint API) sends the key as ``Idempotency-Key``; a notice left
  ``sending`` by a crash is simply sent again and the platform answers with the first complaint.
- ``email`` (SMTP) cannot be asked "did you get it?": the row is committed ``sending`` before the
  SMTP transaction and ``sent`` after it. A row found ``sending`` after a crash becomes
  ``uncertain`` for a person to check — it is never sent a second time.

Uploads by an account licensed for the work (``Work.licensed_accounts``) never open a case.
"""
from __future__ import annotations

import asyncio
import json
import logging
import smtplib
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid

from sqlalchemy import select
from sqlalchemy.orm import Session

from crawler.errors import CrawlError, HttpStatusError
from dramaguard.services import MatchReport, Services
from storage.base import utcnow
from storage.daemon import DaemonCase, DaemonNotice, QueuedCandidate
from storage.db import transaction
from storage.models import Work

log = logging.getLogger(__name__)


class DaemonCasework:
    def __init__(self, services: Services, platforms: dict):
        self.services = services
        self.settings = services.settings.daemon
        self.platforms = platforms  # name → crawler Platform (shared with the pipeline)
        self.channels = tuple(self.settings.notice_channels)
        self._in_progress: set[int] = set()  # notices this process is delivering right now

    # -- opening cases (inside the pipeline's transaction) -----------------------------------
    def open_cases(self, candidate: QueuedCandidate, matches: list[MatchReport], *, session: Session) -> list[int]:
        by_work: dict[int, list[MatchReport]] = {}
        for m in matches:
            by_work.setdefault(m.work_id, []).append(m)
        opened = []
        for work_id, found in by_work.items():
            work = session.get(Work, work_id)
            if work is None:
                continue
            if candidate.uploader_id and candidate.uploader_id in (work.licensed_accounts or []):
                log.info("candidate %d: uploader %s is licensed for '%s'; no case", candidate.id,
                         candidate.uploader_id, work.title)
                candidate.outcome = "licensed"
                continue
            case = session.scalar(select(DaemonCase).where(
                DaemonCase.candidate_id == candidate.id, DaemonCase.work_id == work_id))
            if case is None:
                case = DaemonCase(
                    candidate_id=candidate.id, work_id=work_id, work_title=work.title,
                    episodes=sorted({m.episode for m in found}), score=max(m.score for m in found),
                    url=candidate.url, state="open", deadline_at=candidate.deadline_at, checks=0,
                )
                session.add(case)
                session.flush()
                for channel in self.channels:
                    session.add(DaemonNotice(case_id=case.id, channel=channel, state="pending",
                                             key=f"dg-case{case.id}-{channel}-takedown", attempts=0))
                log.info("case %d opened: %s copies '%s' episodes %s", case.id, case.url, work.title, case.episodes)
            opened.append(case.id)
        return opened

    # -- dispatch ----------------------------------------------------------------------------
    async def dispatch(self) -> dict:
        """Send every pending notice, most urgent case first."""
        rows = await asyncio.to_thread(self._db, self._claimable)
        sent = failed = 0
        for notice_id in rows:
            ok = await self._send(notice_id)
            sent += ok is True
            failed += ok is False
        return {"sent": sent, "failed": failed}

    def _claimable(self, session: Session) -> list[int]:
        # An email left "sending" by a crash may or may not have gone out: never resend it.
        for notice in session.scalars(select(DaemonNotice).where(
                DaemonNotice.state == "sending", DaemonNotice.channel == "email")):
            if notice.id not in self._in_progress:
                notice.state, notice.error = "uncertain", "interrupted during SMTP delivery"
                log.warning("notice %s: interrupted during delivery; marked uncertain", notice.key)
        query = (select(DaemonNotice.id).join(DaemonCase)
                 .where(DaemonNotice.state.in_(("pending", "sending")))
                 .order_by(DaemonCase.deadline_at, DaemonNotice.id))
        return [i for i in session.scalars(query) if i not in self._in_progress]

    async def _send(self, notice_id: int) -> bool | None:
        self._in_progress.add(notice_id)
        try:
            claimed = await asyncio.to_thread(self._db, lambda s: self._claim(notice_id, s))
            if claimed is None:
                return None
            channel, key, case = claimed
            try:
                receipt = await (self._complain(key, case) if channel == "platform" else self._mail(key, case))
            except (CrawlError, OSError, smtplib.SMTPException) as exc:
                await asyncio.to_thread(self._db, lambda s: self._failed(notice_id, str(exc), s))
                log.warning("notice %s: delivery failed: %s", key, exc)
                return False
            await asyncio.to_thread(self._db, lambda s: self._sent(notice_id, receipt, s))
            log.info("notice %s sent (%s)", key, receipt)
            return True
        finally:
            self._in_progress.discard(notice_id)

    def _claim(self, notice_id: int, session: Session):
        notice = session.get(DaemonNotice, notice_id)
        if notice is None or notice.state not in ("pending", "sending"):
            return None
        notice.state, notice.attempts = "sending", notice.attempts + 1
        case = session.get(DaemonCase, notice.case_id)
        return notice.channel, notice.key, {
            "id": case.id, "url": case.url, "work": case.work_title, "episodes": case.episodes,
            "score": case.score, "platform": session.get(QueuedCandidate, case.candidate_id).platform,
        }

    def _sent(self, notice_id: int, receipt: str, session: Session) -> None:
        notice = session.get(DaemonNotice, notice_id)
        notice.state, notice.receipt, notice.sent_at, notice.error = "sent", receipt, utcnow(), None
        case = session.get(DaemonCase, notice.case_id)
        if case.notified_at is None:
            case.notified_at = notice.sent_at
        if case.state == "open":
            case.state = "notified"

    def _failed(self, notice_id: int, error: str, session: Session) -> None:
        notice = session.get(DaemonNotice, notice_id)
        notice.error = error
        # A refused complaint may be retried (same key); a failed SMTP transaction sent nothing.
        notice.state = "failed" if notice.attempts >= self.settings.max_attempts else "pending"

    def _body(self, case: dict) -> str:
        episodes = ", ".join(str(e) for e in case["episodes"])
        return (f"Takedown notice (DramaGuard case {case['id']}).\n\nThe video at {case['url']} copies "
                f"'{case['work']}' (episodes {episodes}; match score {case['score']:.2f}). We are the "
                "rights holder's agent and ask you to remove it.\n")

    async def _complain(self, key: str, case: dict) -> str:
        platform = self.platforms[case["platform"]]
        url = platform.option("complaint_url") or f"{platform.option('base_url', '').rstrip('/')}/api/complaints"
        payload = {"urls": [case["url"]], "claimant": self.settings.claimant, "notice_id": key,
                   "body": self._body(case)}

        async def read(response) -> str:
            return (await response.json()).get("complaint_id", "")

        return await platform.http.request(
            url, read, method="POST", headers={"Idempotency-Key": key, "Content-Type": "application/json"},
            data=json.dumps(payload),
        )

    async def _mail(self, key: str, case: dict) -> str:
        message = EmailMessage()
        message["From"], message["To"] = self.settings.mail_from, self.settings.mail_to
        message["Subject"] = f"Takedown notice: {case['work']} — {case['url']}"
        message["Message-ID"] = make_msgid(idstring=key, domain="dramaguard.local")
        message["X-DramaGuard-Notice"] = key
        message.set_content(self._body(case))

        def send() -> str:
            with smtplib.SMTP(self.settings.smtp_host, self.settings.smtp_port, timeout=30) as smtp:
                smtp.send_message(message)
            return message["Message-ID"]

        return await asyncio.to_thread(send)

    # -- re-checks ---------------------------------------------------------------------------
    async def recheck(self) -> dict:
        """Is each notified copy gone yet? Gone → removed; still up past the window → escalated."""
        cases = await asyncio.to_thread(self._db, lambda s: [
            (c.id, c.url, s.get(QueuedCandidate, c.candidate_id).platform)
            for c in s.scalars(select(DaemonCase).where(DaemonCase.state == "notified"))])
        removed = still_up = 0
        for case_id, url, platform_name in cases:
            platform = self.platforms.get(platform_name)
            if platform is None:
                continue
            try:
                await platform.http.get_text(url)
                gone = False
            except HttpStatusError as exc:
                if not exc.gone:
                    continue
                gone = True
            except CrawlError as exc:
                log.warning("case %d: re-check failed: %s", case_id, exc)
                continue
            await asyncio.to_thread(self._db, lambda s: self._checked(case_id, gone, s))
            removed += gone
            still_up += not gone
        return {"removed": removed, "still_up": still_up}

    def _checked(self, case_id: int, gone: bool, session: Session) -> None:
        case = session.get(DaemonCase, case_id)
        case.checks, case.last_checked_at = case.checks + 1, utcnow()
        if gone:
            case.state, case.removed_at = "removed", case.last_checked_at
            log.info("case %d: removal verified (%s)", case.id, case.url)
        elif case.last_checked_at - case.notified_at > timedelta(seconds=self.settings.escalate_after_s):
            case.state = "escalated"
            log.warning("case %d: still online %s after the notice; escalated", case.id, case.url)

    # -- deadlines ---------------------------------------------------------------------------
    async def watchdog(self) -> dict:
        near = await asyncio.to_thread(self.near_deadline)
        for case in near:
            log.warning("case %d: no notice sent yet, %d s to the deadline", case["case"], case["seconds_left"])
        return {"cases_near_deadline": len(near)}

    def near_deadline(self) -> list[dict]:
        """Open cases (no notice delivered) within the warning window of their deadline."""
        now = utcnow()
        horizon = now + timedelta(seconds=self.settings.deadline_warning_s)
        with transaction(self.services.sessions) as session:
            return [
                {"case": c.id, "url": c.url, "deadline": c.deadline_at.isoformat(),
                 "seconds_left": round((c.deadline_at - now).total_seconds())}
                for c in session.scalars(select(DaemonCase).where(
                    DaemonCase.state == "open", DaemonCase.deadline_at <= horizon)
                    .order_by(DaemonCase.deadline_at))
            ]

    def _db(self, fn):
        with transaction(self.services.sessions) as session:
            return fn(session)
