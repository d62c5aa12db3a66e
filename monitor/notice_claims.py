"""Notices, step 1 of the outbox (see ``monitor.casework``): build the notice for a group of due
cases, check allowlists once more, and record notice, items and the ``sending`` delivery.
Also the channels the notices go out through, wired from the settings."""
from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from dramaguard.settings import NoticeSettings
from notices.allowlist import allowed_by
from notices.casework import (
    DUE_STATES,
    best_match,
    case_candidate,
    group_due,
    preview_stage,
    route,
)
from notices.channels import Channel, EmailChannel, HttpComplaintChannel
from notices.clock import Clock
from notices.document import Agent, NoticeDocument, NoticeItem, Party, render_notice
from notices.errors import IncompleteNotice
from notices.evidence import segment_summary
from notices.lifecycle import CaseEvent
from notices.render import RenderedDocument
from storage import cases as repo
from storage.cases import Case, Delivery, Notice, NoticeItemRow

log = logging.getLogger(__name__)


def build_channels(settings: NoticeSettings) -> dict[str, Channel]:
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    return {
        EmailChannel.name: EmailChannel(
            host=settings.smtp_host, port=settings.smtp_port, sender=settings.sender,
            username=settings.smtp_user, password=password, start_tls=settings.smtp_starttls),
        HttpComplaintChannel.name: HttpComplaintChannel(),
    }


def notice_document(session: Session, cases: list[Case], *, notice_id: str, stage: str,
                    settings: NoticeSettings, clock: Clock) -> NoticeDocument:
    """The notice for cases of one work on one platform; IncompleteNotice if it cannot be
    legally sufficient (no claimant profile)."""
    work = cases[0].work
    profile = repo.claimant(session, holder_id=work.holder_id)
    if profile is None:
        raise IncompleteNotice(f"rights holder {work.holder.name!r} has no claimant profile",
                               expected=True)
    agent = None
    if profile.agent_name:
        agent = Agent(Party(profile.agent_name, profile.agent_address or "",
                            profile.agent_email or "", profile.agent_phone or ""),
                      profile.agent_authorization or "")
    items, documents = [], []
    for case in cases:
        best = best_match(case)
        receipt = repo.receipt_for(session, episode_id=best.episode_id)
        if receipt:
            documents += [f"{d.kind} {d.reference}" for d in receipt.documents]
        items.append(NoticeItem(
            url=case.url, title=case.title, uploader=case.uploader_name or case.uploader_id or "",
            episode_number=best.episode_number, matched=segment_summary(best), score=case.score,
            carried_by=best.carried_by or (),
            evidence_id=case.evidence_id or "", evidence_sha256=case.evidence_sha256 or "",
            receipt_id=receipt.receipt_id if receipt else "",
            receipt_sha256=receipt.sha256 if receipt else "",
            captured_at=case.captured_at.strftime("%Y-%m-%d %H:%M UTC") if case.captured_at else "",
        ))
    platform = cases[0].platform
    return NoticeDocument(
        notice_id=notice_id, language=settings.platform_languages.get(platform, "zh"),
        platform=platform, recipient=platform,
        holder=Party(profile.legal_name, profile.address, profile.email, profile.phone,
                     profile.registration_id),
        work_title=work.title, registration_number=work.registration_number or "",
        items=tuple(items), signatory=profile.signatory, signed_on=clock.now().date(),
        agent=agent, stage=stage, rights_documents=tuple(dict.fromkeys(documents)),
    )


def preview_notice(session: Session, case_id: int, *, settings: NoticeSettings,
                   clock: Clock) -> RenderedDocument:
    """Render the notice a case would get now, without recording anything."""
    case = repo.get_case(session, case_id)
    stage = preview_stage(case.state)
    doc = notice_document(session, [case], notice_id=f"PREVIEW-{case.id}", stage=stage,
                          settings=settings, clock=clock)
    return render_notice(doc)


def _due_groups(session: Session) -> dict[tuple[int, str, str], list[Case]]:
    claimed = {stage: set(session.scalars(select(NoticeItemRow.case_id).where(NoticeItemRow.stage == stage)))
               for stage, _ in DUE_STATES}
    return group_due(((stage, repo.cases_in(session, states)) for stage, states in DUE_STATES), claimed)


def claim_due_notices(session: Session, *, clock: Clock, settings: NoticeSettings) -> list[int]:
    """Step 1 of the outbox: render and record due notices in ``sending``; return delivery ids.

    Allowlists are checked once more here, right before anything is sent.
    """
    now = clock.now()
    delivery_ids = []
    for (work_id, platform, stage), cases in sorted(_due_groups(session).items()):
        entries = repo.allow_entries(session, work=cases[0].work)
        sendable = []
        for case in cases:
            licence = allowed_by(case_candidate(case), entries)
            if licence is None:
                sendable.append(case)
            else:
                repo.transition(session, case, CaseEvent.ALLOWLIST, actor="dispatcher", at=now,
                                detail={"allowlist": f"{licence.kind} {licence.value}"})
        if not sendable:
            continue
        channel, recipient = route(settings, platform, email=EmailChannel.name)
        if recipient is None:
            repo.raise_alert(session, kind="notice_blocked", at=now,
                             dedupe_key=f"no-recipient:{channel}:{platform}",
                             message=f"no {channel} recipient configured for {platform}")
            continue
        try:
            delivery_ids.append(_claim(session, sendable, stage, channel, recipient, now,
                                       settings, clock))
        except IncompleteNotice as exc:
            log.warning("notice for work %s on %s blocked: %s", work_id, platform, exc)
            repo.raise_alert(session, kind="notice_blocked", at=now, message=str(exc),
                             dedupe_key=f"incomplete:{work_id}:{platform}:{stage}")
    return delivery_ids


def _claim(session: Session, cases: list[Case], stage: str, channel: str, recipient: str, now,
           settings: NoticeSettings, clock: Clock) -> int:
    """Render first (an insufficient notice raises before anything is written), then record
    the notice, its items and the ``sending`` delivery."""
    key = repo.delivery_key([c.id for c in cases], stage)
    public_id = repo.notice_public_id(key)
    doc = notice_document(session, cases, notice_id=public_id, stage=stage, settings=settings,
                          clock=clock)
    rendered = render_notice(doc)
    work = cases[0].work
    notice = Notice(public_id=public_id, holder_id=work.holder_id, work_id=work.id,
                    platform=cases[0].platform, stage=stage, language=doc.language,
                    recipient=recipient, subject=f"{rendered.title} — {work.title} ({public_id})",
                    text=rendered.text, html=rendered.html, pdf=rendered.pdf, created_at=now)
    notice.items = [NoticeItemRow(case_id=case.id, stage=stage) for case in cases]
    notice.delivery = Delivery(key=key, channel=channel, status="sending", attempts=0,
                               created_at=now)
    session.add(notice)
    session.flush()
    log.info("notice %s claimed for cases %s (%s)", public_id, [c.id for c in cases], stage)
    return notice.delivery.id
