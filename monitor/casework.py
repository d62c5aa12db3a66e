"""Casework wiring: matches → cases, due cases → notices → deliveries, re-checks → escalation.

Exactly-once delivery (outbox pattern):

1. *Claim* (one transaction): a ``notices`` row, one ``notice_items`` row per case — unique on
   (case, stage), so a case can never be listed in two notices of the same stage, even by two
   dispatchers racing — and a ``deliveries`` row in status ``sending`` with its idempotency key,
   unique too. Nothing has left the building yet.
2. *Send* outside any transaction, passing the key to the channel.
3. *Record* (one transaction): the delivery becomes ``sent`` and the cases move to ``notified``.

A crash between 2 and 3 leaves the delivery in ``sending``; the next dispatcher run re-sends it
with the same key. The complaint API dedupes on ``Idempotency-Key`` and answers with the first
complaint id, so the platform holds exactly one complaint; email re-sends carry the same
Message-ID (SMTP cannot dedupe; see notices.channels.email). A crash before 1 commits leaves
nothing, and the case is simply claimed again.
"""
from __future__ import annotations

import asyncio
import logging
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from monitor import notice_blocks, notice_content
from monitor.config import MonitorConfig, NoticeSettings
from indexing.reports import MatchReport
from monitor.notice_claims import claim_due_notices
from notices.allowlist import allowed_by
from notices.casework import (
    INITIAL_STATE,
    STAGE_ESCALATION,
    Outcome,
    allows,
    deadline_policy,
    evidence_id,
    evidence_keyframes,
    group_by_work,
    improves,
    match_to_json,
    needs_review,
    strongest,
    to_episode_match,
)
from notices.channels import Attachment, Channel, OutgoingNotice
from notices.clock import Clock
from notices.errors import DeliveryError, IncompleteNotice
from notices.evidence import KeyframePair, build_evidence_package
from notices.lifecycle import CaseEvent, CaseState
from notices.model import CandidateInfo, EpisodeMatch
from notices.policy import Action, decide, default_rules
from storage import cases as repo
from storage import alerts
from storage import receipts
from storage import work_rules
from storage.cases import Case, Delivery
from storage.db import transaction
from storage.evidence_store import package_dir
from storage.models import Episode, Work

log = logging.getLogger(__name__)


# ---- matches → cases ------------------------------------------------------------------------

def ingest_matches(
    session: Session,
    *,
    candidate: CandidateInfo,
    reports: Sequence[MatchReport],
    clock: Clock,
    settings: MonitorConfig,
    keyframes: Mapping[int, list[KeyframePair]] | None = None,
    watermark: Mapping | None = None,
    actor: str = "matcher",
) -> list[Outcome]:
    """Apply allowlists, the rejected-match memory, excluded intervals and the work's policy to
    a candidate's matches, then open or update one case per work.

    ``keyframes`` maps episode id → side-by-side pairs for the evidence package (extracted by
    the caller with the fingerprint decoder); ``watermark`` (recipient, episode, confidence)
    goes into the evidence of a newly opened case.
    """
    by_work = group_by_work(reports)
    return [
        _ingest_work(session, work_id, candidate, work_reports, clock, settings,
                     keyframes or {}, watermark, actor)
        for work_id, work_reports in sorted(by_work.items())
    ]


def _ingest_work(session: Session, work_id: int, candidate: CandidateInfo,
                 reports: list[MatchReport], clock: Clock, settings: MonitorConfig,
                 keyframes: Mapping[int, list[KeyframePair]], watermark: Mapping | None,
                 actor: str) -> Outcome:
    work = session.get(Work, work_id)
    if work is None:
        raise LookupError(f"match names work {work_id}, which does not exist")
    now = clock.now()
    existing = repo.find_case(session, work_id=work_id, platform=candidate.platform,
                              video_id=candidate.video_id)
    licence = allowed_by(candidate, work_rules.allow_entries(session, work=work))
    if licence is not None:
        reason = f"{licence.kind} {licence.value}"
        if existing is not None and allows(existing.state, CaseEvent.ALLOWLIST):
            repo.transition(session, existing, CaseEvent.ALLOWLIST, actor=actor, at=now,
                            detail={"allowlist": reason})
        log.info("candidate %s for work %s is licensed (%s)", candidate.url, work_id, reason)
        return Outcome(work_id, "allowlisted", existing.id if existing else None, reason=reason)
    if repo.is_rejected(session, work_id=work_id, platform=candidate.platform,
                        video_id=candidate.video_id, media_sha256=candidate.media_sha256):
        return Outcome(work_id, "rejected_before", existing.id if existing else None)

    matches = [to_episode_match(r) for r in reports]
    excluded = work_rules.excluded_intervals(session, episode_ids=[m.episode_id for m in matches])
    matches = [m.without(excluded[m.episode_id]) for m in matches]
    matches = [m for m in matches if m.segments]
    if not matches:
        return Outcome(work_id, "excluded_only", existing.id if existing else None)

    thresholds = settings.matcher
    rules = work_rules.policy_rules(session, work_id=work_id) or list(
        default_rules(thresholds.notify_score, thresholds.review_score))
    decided = [(decide(rules, m, candidate.platform, notify_score=thresholds.notify_score), m)
               for m in matches]
    decision, best = strongest(decided)

    if existing is None:
        case = _open_case(session, work, candidate, decision.action, decision.reason, best,
                          matches, now, settings)
        _attach_evidence(session, case, candidate, matches, keyframes, watermark, now, settings)
        return Outcome(work_id, "opened", case.id, decision.action.value, decision.reason)

    if improves(best, existing):
        _set_match_facts(existing, best, matches)
    if needs_review(existing.state, decision.action):
        repo.transition(session, existing, CaseEvent.REQUEST_REVIEW, actor=actor, at=now,
                        detail={"policy": decision.reason})
    return Outcome(work_id, "updated", existing.id, decision.action.value, decision.reason)


def _set_match_facts(case: Case, best: EpisodeMatch, matches: list[EpisodeMatch]) -> None:
    case.episode_id = best.episode_id
    case.score = best.score
    case.matched_ms = best.matched_ms
    case.query_share = best.query_share
    case.ref_share = best.ref_share
    case.matches = [match_to_json(m) for m in matches]


def _open_case(session: Session, work: Work, candidate: CandidateInfo, action: Action,
               reason: str, best: EpisodeMatch, matches: list[EpisodeMatch], now,
               settings: MonitorConfig) -> Case:
    policy = deadline_policy(settings.notices)
    case = Case(
        holder_id=work.holder_id, work_id=work.id, platform=candidate.platform,
        video_id=candidate.video_id, url=candidate.url, title=candidate.title,
        uploader_id=candidate.uploader_id, uploader_name=candidate.uploader_name,
        channel_id=candidate.channel_id, uploaded_at=candidate.uploaded_at,
        view_count=candidate.view_count, captured_at=candidate.captured_at,
        media_sha256=candidate.media_sha256, state=INITIAL_STATE[action].value, action=action.value,
        policy_reason=reason, detected_at=now, notice_deadline=policy.notice_deadline(now),
    )
    _set_match_facts(case, best, matches)
    repo.open_case(session, case, actor="matcher", detail={"policy": reason})
    log.info("case %s opened (%s) for %s", case.id, case.state, candidate.url)
    return case


def _receipt_citations(session: Session, episode_ids: list[int], now) -> list[dict]:
    citations = []
    for episode_id in sorted(set(episode_ids)):
        receipt = receipts.receipt_for(session, episode_id=episode_id)
        if receipt is None:
            episode = session.get(Episode, episode_id)
            if episode is None or episode.fingerprint is None:
                continue
            receipt = receipts.issue_receipt(session, episode=episode, issued_at=now)
        citations.append({"episode_id": episode_id, **receipt.citation()})
    return citations


def _attach_evidence(session: Session, case: Case, candidate: CandidateInfo,
                     matches: list[EpisodeMatch], keyframes: Mapping[int, list[KeyframePair]],
                     watermark: Mapping | None, now, settings: MonitorConfig) -> None:
    package_id = evidence_id(case.id)
    directory = package_dir(settings.home, package_id)
    if directory.exists():
        # the case row is new in this transaction, so a folder under its id was left by a
        # transaction that never committed (a crash; SQLite hands the id out again)
        log.warning("evidence %s: removing a package left by an uncommitted case", package_id)
        shutil.rmtree(directory)
    pairs = evidence_keyframes(matches, keyframes)
    package = build_evidence_package(
        evidence_id=package_id, directory=directory, candidate=candidate, matches=matches,
        keyframes=pairs, receipts=_receipt_citations(session, [m.episode_id for m in matches], now),
        created_at=now, watermark=dict(watermark) if watermark else None,
    )
    case.evidence_id = package.evidence_id
    case.evidence_sha256 = package.sha256
    case.evidence_dir = str(package.directory)


# ---- review, counter-notices ----------------------------------------------------------------

def review_case(session: Session, case_id: int, *, approve: bool, reviewer: str, clock: Clock,
                note: str = "") -> CaseState:
    return repo.record_review(session, repo.get_case(session, case_id), approve=approve,
                              reviewer=reviewer, at=clock.now(), note=note)


def receive_counter_notice(session: Session, case_id: int, *, actor: str, clock: Clock,
                           note: str = "") -> CaseState:
    """The uploader disputes: no further notice is ever sent for this item."""
    return repo.transition(session, repo.get_case(session, case_id), CaseEvent.COUNTER_NOTICE,
                           actor=actor, at=clock.now(), detail={"note": note})


def forward_counter_notice(session: Session, case_id: int, *, actor: str, clock: Clock,
                           settings: NoticeSettings) -> CaseState:
    """Forwarded to the rights holder; the 15-day wait for their action starts now."""
    case = repo.get_case(session, case_id)
    now = clock.now()
    state = repo.transition(session, case, CaseEvent.FORWARD, actor=actor, at=now)
    case.counter_notice_until = deadline_policy(settings).counter_notice_until(now)
    return state


# ---- notices: deliver (the claim side is monitor.notice_claims) ----------------------------

@dataclass(frozen=True)
class DispatchResult:
    delivery_id: int
    notice_id: str
    case_ids: tuple[int, ...]
    stage: str
    status: str  # sent | failed
    external_id: str | None = None
    error: str | None = None


async def dispatch_notices(sessions: sessionmaker[Session], *, channels: Mapping[str, Channel],
                           clock: Clock, settings: NoticeSettings,
                           home: Path | None = None) -> list[DispatchResult]:
    """Re-send deliveries left in ``sending`` (crash, earlier failure), then claim and send the
    newly due notices. Safe to run concurrently and repeatedly.

    Database work runs in threads: this also runs on the web server's event loop (after an
    approval), where a transaction waiting for SQLite's write lock would stall every request."""
    pending = await asyncio.to_thread(_unsent_and_due, sessions, clock, settings, home)
    results = [await deliver(sessions, delivery_id, channels=channels, clock=clock,
                             settings=settings, home=home) for delivery_id in pending]
    return [r for r in results if r is not None]


async def deliver(sessions: sessionmaker[Session], delivery_id: int, *,
                  channels: Mapping[str, Channel], clock: Clock,
                  settings: NoticeSettings, home: Path | None = None) -> DispatchResult | None:
    """Steps 2 and 3 of the outbox for one claimed delivery; None when another dispatcher is
    sending it right now.

    The send lease makes one dispatcher at a time send a delivery: without it the daemon would
    re-send a delivery the API (after an approval) had claimed and was still sending — harmless
    for the complaint API, which dedupes on the key, but a second e-mail. A dispatcher that dies
    while sending leaves its lease to expire (``send_lease_s``); then the delivery is re-sent.
    """
    if not await asyncio.to_thread(_take_lease, sessions, delivery_id, clock, settings):
        log.info("delivery %s is being sent by another dispatcher (or was sent)", delivery_id)
        return None
    case_ids, stage, key, channel_name, outgoing = await asyncio.to_thread(_outgoing, sessions, delivery_id,
                                                                           home)
    channel = channels[channel_name]
    try:
        if isinstance(outgoing, IncompleteNotice):
            raise DeliveryError(str(outgoing), expected=False, retryable=False, attempts=0) from outgoing
        receipt = await channel.deliver(outgoing, key=key)
    except DeliveryError as exc:
        await asyncio.to_thread(_record_failure, sessions, delivery_id, exc, case_ids[0],
                                outgoing.notice_id, clock)
        return DispatchResult(delivery_id, outgoing.notice_id, case_ids, stage, "failed",
                              error=str(exc))
    await asyncio.to_thread(_record_sent, sessions, delivery_id, receipt.external_id, receipt.attempts,
                            clock, settings)
    return DispatchResult(delivery_id, outgoing.notice_id, case_ids, stage, "sent",
                          external_id=receipt.external_id)


def _unsent_and_due(sessions: sessionmaker[Session], clock: Clock, settings: NoticeSettings,
                    home: Path | None) -> list[int]:
    """Deliveries left in ``sending`` (crash, earlier failure), then the newly claimed ones."""
    with transaction(sessions) as session:
        pending = [d.id for d in repo.unsent_deliveries(session)]
    try:
        with transaction(sessions) as session:
            claimed = claim_due_notices(session, clock=clock, settings=settings, home=home)
        pending += claimed  # only once committed
    except IntegrityError:
        # another dispatcher (the API right after an approval, or the daemon) claimed some of
        # these cases between our read and our insert; the unique keys kept it to one notice.
        # Nothing of ours was recorded: whatever is still due is claimed on the next run.
        log.info("due notices were claimed by another dispatcher meanwhile; next run claims the rest")
    return pending


def _take_lease(sessions: sessionmaker[Session], delivery_id: int, clock: Clock,
                settings: NoticeSettings) -> bool:
    now = clock.now()
    with transaction(sessions) as session:
        until = now + timedelta(seconds=settings.send_lease_s)
        return repo.take_send_lease(session, delivery_id, now=now, until=until)


def _outgoing(sessions: sessionmaker[Session], delivery_id: int, home: Path | None
              ) -> tuple[tuple[int, ...], str, str, str, OutgoingNotice | IncompleteNotice]:
    """(case ids, stage, idempotency key, channel name, the notice as the channel sends it —
    or why it cannot be sent: an attachment's file is gone or changed)."""
    with transaction(sessions) as session:
        delivery = session.get(Delivery, delivery_id)
        notice = delivery.notice
        profile = repo.claimant(session, holder_id=notice.holder_id)
        ids = (tuple(item.case_id for item in notice.items), notice.stage, delivery.key, delivery.channel)
        try:
            files = (notice_content.files_of(session, notice, home=home) if home is not None and notice.attachments
                     else [notice_content.FileAttachment(f"{notice.public_id}.pdf", "application/pdf", notice.pdf)])
        except (IncompleteNotice, OSError) as exc:
            return (*ids, exc if isinstance(exc, IncompleteNotice) else IncompleteNotice(str(exc), expected=False))
        outgoing = OutgoingNotice(
            notice_id=notice.public_id, recipient=notice.recipient, subject=notice.subject,
            text=notice.text, html=notice.html,
            urls=tuple(item.case.url for item in notice.items),
            claimant=profile.legal_name if profile else "",
            pdf=notice.pdf, pdf_filename=f"{notice.public_id}.pdf",
            attachments=tuple(Attachment(f.filename, f.content_type, f.data) for f in files),
            reply_to=profile.email if profile else "",
            resend=delivery.attempts > 0 or delivery.possibly_delivered_at is not None,
        )
        return (*ids, outgoing)


def _record_failure(sessions: sessionmaker[Session], delivery_id: int, exc: DeliveryError,
                    case_id: int, notice_id: str, clock: Clock) -> None:
    # a refusal for good (4xx, 5xx SMTP) is not re-sent every run: it waits for a person
    next_try = "next run" if exc.retryable else "never without a person"
    with transaction(sessions) as session:
        delivery = session.get(Delivery, delivery_id)
        delivery.attempts += exc.attempts
        delivery.last_error = str(exc)[:2000]
        delivery.lease_until = None  # the next run may try again at once
        if not exc.retryable:
            delivery.status = "failed"
        if alerts.raise_alert(session, kind="delivery_failed", at=clock.now(),
                            case_id=case_id, dedupe_key=f"delivery_failed:{delivery_id}",
                            message=f"notice {notice_id} not delivered (retry: {next_try}): {exc}"):
            log.warning("notice %s not delivered (retry: %s): %s", notice_id, next_try, exc)


def _record_sent(sessions: sessionmaker[Session], delivery_id: int, external_id: str,
                 attempts: int, clock: Clock, settings: NoticeSettings) -> None:
    now = clock.now()
    policy = deadline_policy(settings)
    with transaction(sessions) as session:
        delivery = session.get(Delivery, delivery_id)
        delivery.status, delivery.external_id, delivery.sent_at = "sent", external_id, now
        delivery.attempts += attempts
        escalation = delivery.notice.stage == STAGE_ESCALATION
        event = CaseEvent.ESCALATION_SENT if escalation else CaseEvent.NOTICE_SENT
        for item in delivery.notice.items:
            case = item.case
            if not allows(case.state, event):
                log.warning("case %s moved to %s while notice %s was sent", case.id, case.state,
                            delivery.notice.public_id)
                continue
            notice_blocks.resolve(session, case.id, delivery_id)
            repo.transition(session, case, event, actor=f"channel:{delivery.channel}", at=now,
                            detail={"notice": delivery.notice.public_id, "key": delivery.key,
                                    "external_id": external_id})
            if escalation:
                case.escalated_at, case.legal_action = now, True
            else:
                case.notified_at = now
            case.next_check_at = policy.next_check(now, now)
