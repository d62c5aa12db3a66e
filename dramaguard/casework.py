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
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from dramaguard import notice_blocks, notice_content
from dramaguard.settings import NoticeSettings, Settings
from notices.allowlist import allowed_by
from notices.channels import Attachment, Channel, EmailChannel, HttpComplaintChannel, OutgoingNotice
from notices.clock import Clock
from notices.deadlines import DeadlinePolicy, Urgency
from notices.document import NoticeDocument, render_notice
from notices.errors import DeliveryError, IncompleteNotice
from notices.evidence import KeyframePair, build_evidence_package
from notices.lifecycle import NOTICE_DUE, RECHECKED, TRANSITIONS, CaseEvent, CaseState
from notices.metrics import CaseTimes, false_positive_rate, takedown_metrics
from notices.model import CandidateInfo, EpisodeMatch, Segment
from notices.policy import Action, decide, default_rules
from notices.render import RenderedDocument
from storage import cases as repo
from storage.cases import Case, Delivery, Notice, NoticeItemRow
from storage.db import transaction
from storage.evidence_store import package_dir
from storage.models import Episode, Work

if TYPE_CHECKING:
    from dramaguard.services import MatchReport

log = logging.getLogger(__name__)

STAGE_NOTICE = "notice"
STAGE_ESCALATION = "escalation"
_RANK = {Action.TRACK: 0, Action.REVIEW: 1, Action.NOTIFY: 2}
_INITIAL = {Action.NOTIFY: CaseState.DETECTED, Action.REVIEW: CaseState.PENDING_REVIEW,
            Action.TRACK: CaseState.TRACKED}


def deadline_policy(settings: NoticeSettings) -> DeadlinePolicy:
    return DeadlinePolicy(
        notice_within=timedelta(hours=settings.deadline_hours),
        warn_before=timedelta(minutes=settings.warn_before_minutes),
        removal_window=timedelta(hours=settings.removal_window_hours),
        recheck_interval=timedelta(minutes=settings.recheck_interval_minutes),
        counter_notice_wait=timedelta(days=settings.counter_notice_days),
    )


# ---- matches → cases ------------------------------------------------------------------------

@dataclass(frozen=True)
class Outcome:
    """What happened to one candidate for one work."""

    work_id: int
    status: str  # opened | updated | allowlisted | rejected_before | excluded_only
    case_id: int | None = None
    action: str | None = None
    reason: str = ""


def _ms(seconds: float) -> int:
    return round(seconds * 1000)


def to_episode_match(report: MatchReport) -> EpisodeMatch:
    """The report's aligned segments (seconds) as evidence segments (ms); one span if absent."""
    spans = [(s["query"], s["ref"], s["similarity"]) for s in report.segments] or [
        ((report.query_start, report.query_end), (report.ref_start, report.ref_end), report.score)
    ]
    segments = tuple(Segment(_ms(q[0]), _ms(q[1]), _ms(r[0]), _ms(r[1]), float(score))
                     for q, r, score in spans)
    return EpisodeMatch(report.work_id, report.episode_id, report.episode, report.score,
                        report.query_coverage, report.ref_coverage, segments)


def _match_to_json(match: EpisodeMatch) -> dict:
    return asdict(match)


def ingest_matches(
    session: Session,
    *,
    candidate: CandidateInfo,
    reports: Sequence[MatchReport],
    clock: Clock,
    settings: Settings,
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
    by_work: dict[int, list[MatchReport]] = defaultdict(list)
    for report in reports:
        by_work[report.work_id].append(report)
    return [
        _ingest_work(session, work_id, candidate, work_reports, clock, settings,
                     keyframes or {}, watermark, actor)
        for work_id, work_reports in sorted(by_work.items())
    ]


def _ingest_work(session: Session, work_id: int, candidate: CandidateInfo,
                 reports: list[MatchReport], clock: Clock, settings: Settings,
                 keyframes: Mapping[int, list[KeyframePair]], watermark: Mapping | None,
                 actor: str) -> Outcome:
    work = session.get(Work, work_id)
    if work is None:
        raise LookupError(f"match names work {work_id}, which does not exist")
    now = clock.now()
    existing = repo.find_case(session, work_id=work_id, platform=candidate.platform,
                              video_id=candidate.video_id)
    licence = allowed_by(candidate, repo.allow_entries(session, work=work))
    if licence is not None:
        reason = f"{licence.kind} {licence.value}"
        if existing is not None and _allows(existing, CaseEvent.ALLOWLIST):
            repo.transition(session, existing, CaseEvent.ALLOWLIST, actor=actor, at=now,
                            detail={"allowlist": reason})
        log.info("candidate %s for work %s is licensed (%s)", candidate.url, work_id, reason)
        return Outcome(work_id, "allowlisted", existing.id if existing else None, reason=reason)
    if repo.is_rejected(session, work_id=work_id, platform=candidate.platform,
                        video_id=candidate.video_id, media_sha256=candidate.media_sha256):
        return Outcome(work_id, "rejected_before", existing.id if existing else None)

    matches = [to_episode_match(r) for r in reports]
    excluded = repo.excluded_intervals(session, episode_ids=[m.episode_id for m in matches])
    matches = [m.without(excluded[m.episode_id]) for m in matches]
    matches = [m for m in matches if m.segments]
    if not matches:
        return Outcome(work_id, "excluded_only", existing.id if existing else None)

    rules = repo.policy_rules(session, work_id=work_id) or list(
        default_rules(settings.matcher.notify_score))
    decided = [(decide(rules, m, candidate.platform), m) for m in matches]
    decision, best = max(decided, key=lambda d: (_RANK[d[0].action], d[1].matched_ms, d[1].score))

    if existing is None:
        case = _open_case(session, work, candidate, decision.action, decision.reason, best,
                          matches, now, settings)
        _attach_evidence(session, case, candidate, matches, keyframes, watermark, now, settings)
        return Outcome(work_id, "opened", case.id, decision.action.value, decision.reason)

    if best.matched_ms > existing.matched_ms or best.score > existing.score:
        _set_match_facts(existing, best, matches)
    if (CaseState(existing.state) is CaseState.TRACKED
            and _RANK[decision.action] > _RANK[Action.TRACK]):
        # a stronger copy of a tracked upload: a person decides, never an automatic notice
        repo.transition(session, existing, CaseEvent.REQUEST_REVIEW, actor=actor, at=now,
                        detail={"policy": decision.reason})
    return Outcome(work_id, "updated", existing.id, decision.action.value, decision.reason)


def _set_match_facts(case: Case, best: EpisodeMatch, matches: list[EpisodeMatch]) -> None:
    case.episode_id = best.episode_id
    case.score = best.score
    case.matched_ms = best.matched_ms
    case.query_share = best.query_share
    case.ref_share = best.ref_share
    case.matches = [_match_to_json(m) for m in matches]


def _open_case(session: Session, work: Work, candidate: CandidateInfo, action: Action,
               reason: str, best: EpisodeMatch, matches: list[EpisodeMatch], now,
               settings: Settings) -> Case:
    policy = deadline_policy(settings.notices)
    case = Case(
        holder_id=work.holder_id, work_id=work.id, platform=candidate.platform,
        video_id=candidate.video_id, url=candidate.url, title=candidate.title,
        uploader_id=candidate.uploader_id, uploader_name=candidate.uploader_name,
        channel_id=candidate.channel_id, uploaded_at=candidate.uploaded_at,
        view_count=candidate.view_count, captured_at=candidate.captured_at,
        media_sha256=candidate.media_sha256, state=_INITIAL[action].value, action=action.value,
        policy_reason=reason, detected_at=now, notice_deadline=policy.notice_deadline(now),
    )
    _set_match_facts(case, best, matches)
    repo.open_case(session, case, actor="matcher", detail={"policy": reason})
    log.info("case %s opened (%s) for %s", case.id, case.state, candidate.url)
    return case


def _receipt_citations(session: Session, episode_ids: list[int], now) -> list[dict]:
    citations = []
    for episode_id in sorted(set(episode_ids)):
        receipt = repo.receipt_for(session, episode_id=episode_id)
        if receipt is None:
            episode = session.get(Episode, episode_id)
            if episode is None or episode.fingerprint is None:
                continue
            receipt = repo.issue_receipt(session, episode=episode, issued_at=now)
        citations.append({"episode_id": episode_id, **receipt.citation()})
    return citations


def _attach_evidence(session: Session, case: Case, candidate: CandidateInfo,
                     matches: list[EpisodeMatch], keyframes: Mapping[int, list[KeyframePair]],
                     watermark: Mapping | None, now, settings: Settings) -> None:
    evidence_id = f"DG-E-{case.id:06d}"
    directory = package_dir(settings.home, evidence_id)
    if directory.exists():
        # the case row is new in this transaction, so a folder under its id was left by a
        # transaction that never committed (a crash; SQLite hands the id out again)
        log.warning("evidence %s: removing a package left by an uncommitted case", evidence_id)
        shutil.rmtree(directory)
    pairs = [pair for m in matches for pair in keyframes.get(m.episode_id, [])]
    package = build_evidence_package(
        evidence_id=evidence_id, directory=directory, candidate=candidate, matches=matches,
        keyframes=pairs, receipts=_receipt_citations(session, [m.episode_id for m in matches], now),
        created_at=now, watermark=dict(watermark) if watermark else None,
    )
    case.evidence_id = package.evidence_id
    case.evidence_sha256 = package.sha256
    case.evidence_dir = str(package.directory)


def _allows(case: Case, event: CaseEvent) -> bool:
    return (CaseState(case.state), event) in TRANSITIONS


# ---- review, counter-notices ----------------------------------------------------------------

def review_case(session: Session, case_id: int, *, approve: bool, reviewer: str, clock: Clock,
                note: str = "") -> CaseState:
    return repo.record_review(session, _case(session, case_id), approve=approve,
                              reviewer=reviewer, at=clock.now(), note=note)


def receive_counter_notice(session: Session, case_id: int, *, actor: str, clock: Clock,
                           note: str = "") -> CaseState:
    """The uploader disputes: no further notice is ever sent for this item."""
    return repo.transition(session, _case(session, case_id), CaseEvent.COUNTER_NOTICE,
                           actor=actor, at=clock.now(), detail={"note": note})


def forward_counter_notice(session: Session, case_id: int, *, actor: str, clock: Clock,
                           settings: NoticeSettings) -> CaseState:
    """Forwarded to the rights holder; the 15-day wait for their action starts now."""
    case = _case(session, case_id)
    now = clock.now()
    state = repo.transition(session, case, CaseEvent.FORWARD, actor=actor, at=now)
    case.counter_notice_until = deadline_policy(settings).counter_notice_until(now)
    return state


def _case(session: Session, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise LookupError(f"case {case_id} does not exist")
    return case


# ---- notices: build, claim, deliver ---------------------------------------------------------

def build_channels(settings: NoticeSettings) -> dict[str, Channel]:
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    return {
        EmailChannel.name: EmailChannel(
            host=settings.smtp_host, port=settings.smtp_port, sender=settings.sender,
            username=settings.smtp_user, password=password, start_tls=settings.smtp_starttls),
        HttpComplaintChannel.name: HttpComplaintChannel(),
    }


def _route(settings: NoticeSettings, platform: str) -> tuple[str, str | None]:
    """(channel, address): the settings' address, else the platform registry's published e-mail."""
    channel = settings.platform_channels.get(platform, settings.default_channel)
    targets = (settings.email_recipients if channel == EmailChannel.name
               else settings.complaint_api_urls)
    desk = notice_content.desk_for(settings, platform)
    fallback = desk.email if desk and channel == EmailChannel.name and desk.email else None
    return channel, targets.get(platform) or fallback


def notice_document(session: Session, cases: list[Case], *, notice_id: str, stage: str,
                    settings: NoticeSettings, clock: Clock, home: Path | None = None,
                    languages: tuple[str, ...] | None = None) -> NoticeDocument:
    """The notice for cases of one work on one platform (dramaguard.notice_content)."""
    return notice_content.notice_document(session, cases, notice_id=notice_id, stage=stage, settings=settings,
                                          clock=clock, home=home, languages=languages)


def preview_notice(session: Session, case_id: int, *, settings: NoticeSettings,
                   clock: Clock, home: Path | None = None,
                   languages: tuple[str, ...] | None = None) -> RenderedDocument:
    """Render the notice a case would get now, without recording anything; IncompleteNotice
    (naming what is missing) when it would be blocked."""
    case = _case(session, case_id)
    stage = STAGE_ESCALATION if CaseState(case.state) is CaseState.NOT_REMOVED else STAGE_NOTICE
    doc = notice_document(session, [case], notice_id=f"PREVIEW-{case.id}", stage=stage,
                          settings=settings, clock=clock, home=home, languages=languages)
    return render_notice(doc)


def _due_groups(session: Session) -> dict[tuple[int, str, str], list[Case]]:
    groups: dict[tuple[int, str, str], list[Case]] = defaultdict(list)
    for stage, states in ((STAGE_NOTICE, NOTICE_DUE), (STAGE_ESCALATION, {CaseState.NOT_REMOVED})):
        claimed = set(session.scalars(
            select(NoticeItemRow.case_id).where(NoticeItemRow.stage == stage)))
        for case in repo.cases_in(session, states):
            if case.id not in claimed:
                groups[(case.work_id, case.platform, stage)].append(case)
    return groups


def claim_due_notices(session: Session, *, clock: Clock, settings: NoticeSettings,
                      home: Path | None = None) -> list[int]:
    """Step 1 of the outbox: render and record due notices in ``sending``; return delivery ids.

    Allowlists are checked once more here, right before anything is sent. A notice that cannot
    be complete is not recorded: each of its cases gets a ``notice_blocked`` alert naming what
    is missing and what to do, shown on the case page, the queue, ``status`` and /healthz.
    """
    now = clock.now()
    delivery_ids = []
    for (work_id, platform, stage), cases in sorted(_due_groups(session).items()):
        entries = repo.allow_entries(session, work=cases[0].work)
        sendable = []
        for case in cases:
            licence = allowed_by(_candidate(case), entries)
            if licence is None:
                sendable.append(case)
            else:
                repo.transition(session, case, CaseEvent.ALLOWLIST, actor="dispatcher", at=now,
                                detail={"allowlist": f"{licence.kind} {licence.value}"})
        if not sendable:
            continue
        channel, recipient = _route(settings, platform)
        if recipient is None:
            notice_blocks.block(session, sendable, stage=stage, at=now, missing=("recipient",),
                                message=f"no {channel} recipient configured for {platform}: set "
                                        f"notices.{'email_recipients' if channel == 'email' else 'complaint_api_urls'}"
                                        f"[{platform}] or the platform registry's e-mail")
            continue
        try:
            delivery_ids.append(_claim(session, sendable, stage, channel, recipient, now,
                                       settings, clock, home))
        except IncompleteNotice as exc:
            log.warning("notice for work %s on %s blocked: %s", work_id, platform, exc)
            notice_blocks.block(session, sendable, stage=stage, at=now, missing=exc.missing, message=str(exc))
    return delivery_ids


def _candidate(case: Case) -> CandidateInfo:
    return CandidateInfo(platform=case.platform, video_id=case.video_id, url=case.url,
                         title=case.title, uploader_id=case.uploader_id,
                         uploader_name=case.uploader_name, channel_id=case.channel_id)


def _claim(session: Session, cases: list[Case], stage: str, channel: str, recipient: str, now,
           settings: NoticeSettings, clock: Clock, home: Path | None) -> int:
    """Render first (an insufficient notice raises before anything is written), then record
    the notice with its attachments, its items and the ``sending`` delivery."""
    key = repo.delivery_key([c.id for c in cases], stage)
    public_id = repo.notice_public_id(key)
    doc = notice_document(session, cases, notice_id=public_id, stage=stage, settings=settings,
                          clock=clock, home=home)
    rendered = render_notice(doc)
    if home is None:
        raise IncompleteNotice("the data home is unknown, so the evidence and proofs cannot be attached",
                               expected=False, missing=("match_evidence",))
    evidence = notice_content.evidence_document(session, cases, home=home, zone=doc.time_zone)
    proofs = notice_content.proofs_cited(session, cases)
    work = cases[0].work
    notice = Notice(public_id=public_id, holder_id=work.holder_id, work_id=work.id,
                    platform=cases[0].platform, stage=stage, language="+".join(doc.all_languages),
                    recipient=recipient, subject=f"{rendered.title} — {work.title} ({public_id})",
                    text=rendered.text, html=rendered.html, pdf=rendered.pdf, created_at=now,
                    evidence_pdf=evidence,
                    attachments=notice_content.attachment_list(rendered.pdf, evidence, public_id, proofs))
    notice.items = [NoticeItemRow(case_id=case.id, stage=stage) for case in cases]
    notice.delivery = Delivery(key=key, channel=channel, status="sending", attempts=0,
                               created_at=now)
    session.add(notice)
    session.flush()
    notice_blocks.unblock(session, cases)
    log.info("notice %s claimed for cases %s (%s)", public_id, [c.id for c in cases], stage)
    return notice.delivery.id


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
        if repo.raise_alert(session, kind="delivery_failed", at=clock.now(),
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
            if not _allows(case, event):
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


# ---- after the notice: re-checks, escalation, watchdog --------------------------------------

async def recheck_removals(sessions: sessionmaker[Session], *,
                           url_is_down: Callable[[str], Awaitable[bool]], clock: Clock,
                           settings: NoticeSettings) -> dict[int, str]:
    """Re-check noticed URLs that are due; returns case id → new state or 'still_up'.

    Still up when the removal window has passed: a first notice moves to ``not_removed`` (the
    dispatcher then sends the escalation), an escalated case raises a legal-action alert.
    """
    policy = deadline_policy(settings)
    now = clock.now()
    with transaction(sessions) as session:
        due = [(c.id, c.url) for c in repo.cases_in(session, RECHECKED)
               if c.next_check_at is not None and c.next_check_at <= now]
    outcome: dict[int, str] = {}
    for case_id, url in due:
        try:
            down = await url_is_down(url)
        except Exception as exc:  # a failed check says nothing; try again next interval
            log.warning("re-check of case %s failed: %r", case_id, exc)
            continue
        with transaction(sessions) as session:
            outcome[case_id] = _apply_check(session, session.get(Case, case_id), down,
                                            clock.now(), policy)
    return outcome


def _apply_check(session: Session, case: Case, down: bool, now, policy: DeadlinePolicy) -> str:
    case.last_checked_at = now
    if down:
        repo.transition(session, case, CaseEvent.REMOVED, actor="recheck", at=now)
        case.removed_at, case.next_check_at = now, None
        return case.state
    since = case.escalated_at if CaseState(case.state) is CaseState.ESCALATED else case.notified_at
    if now < policy.removal_due_by(since):
        case.next_check_at = policy.next_check(now, since)
        return "still_up"
    case.next_check_at = None
    if CaseState(case.state) is CaseState.NOTIFIED:
        repo.transition(session, case, CaseEvent.NOT_REMOVED, actor="recheck", at=now)
        return case.state
    repo.raise_alert(session, kind="legal_action", at=now, case_id=case.id,
                     dedupe_key=f"legal_action:{case.id}",
                     message=f"case {case.id}: {case.url} still up after the second notice")
    return "still_up"


def run_watchdog(session: Session, *, clock: Clock, settings: NoticeSettings) -> list[str]:
    """Alert before and at the notice deadline, and when a counter-notice wait ends.
    Returns the dedupe keys of alerts raised now (each is raised once)."""
    policy = deadline_policy(settings)
    now = clock.now()
    raised = []
    for case in repo.cases_in(session, NOTICE_DUE | {CaseState.PENDING_REVIEW}):
        urgency = policy.urgency(case.notice_deadline, now)
        if urgency is Urgency.OK:
            continue
        key = f"deadline_{urgency}:{case.id}"
        message = (f"case {case.id} ({case.platform}): notice deadline "
                   f"{case.notice_deadline.isoformat()} {urgency}")
        if repo.raise_alert(session, kind=f"deadline_{urgency}", message=message,
                            dedupe_key=key, at=now, case_id=case.id):
            log.warning(message)
            raised.append(key)
    for case in repo.cases_in(session, {CaseState.FORWARDED}):
        if case.counter_notice_until and now >= case.counter_notice_until:
            key = f"counter_notice_over:{case.id}"
            if repo.raise_alert(session, kind="counter_notice_over", dedupe_key=key, at=now,
                                case_id=case.id,
                                message=f"case {case.id}: counter-notice wait is over"):
                raised.append(key)
    return raised


def casework_metrics(session: Session, *, settings: NoticeSettings) -> dict:
    cases = session.scalars(select(Case)).all()
    times = [CaseTimes(c.platform, c.detected_at, c.notified_at, c.removed_at) for c in cases]
    metrics = takedown_metrics(times, window=timedelta(hours=settings.removal_window_hours))
    metrics["false_positive_rate"] = false_positive_rate(*repo.review_counts(session))
    return metrics
