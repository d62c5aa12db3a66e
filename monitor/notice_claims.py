"""Notices, step 1 of the outbox (see ``monitor.casework``): build the notice for a group of due
cases, check allowlists once more, and record notice, items and the ``sending`` delivery.
Also the channels the notices go out through, wired from the settings."""
from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.config import NoticeSettings
from monitor import notice_blocks, notice_content
from notices.allowlist import allowed_by
from notices.casework import (
    DUE_STATES,
    case_candidate,
    group_due,
    preview_stage,
    route,
)
from notices.channels import Channel, EmailChannel, HttpComplaintChannel
from notices.clock import Clock
from notices.document import render_notice
from notices.errors import IncompleteNotice
from notices.lifecycle import CaseEvent
from notices.render import RenderedDocument
from storage import cases as repo
from storage import work_rules
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


def preview_notice(session: Session, case_id: int, *, settings: NoticeSettings, clock: Clock,
                   home: Path | None = None, languages: tuple[str, ...] | None = None) -> RenderedDocument:
    """Render the notice a case would get now, without recording anything; IncompleteNotice
    (naming what is missing) when it would be blocked."""
    case = repo.get_case(session, case_id)
    stage = preview_stage(case.state)
    doc = notice_content.notice_document(session, [case], notice_id=f"PREVIEW-{case.id}", stage=stage,
                          settings=settings, clock=clock, home=home, languages=languages)
    return render_notice(doc)


def _due_groups(session: Session) -> dict[tuple[int, str, str], list[Case]]:
    claimed = {stage: set(session.scalars(select(NoticeItemRow.case_id).where(NoticeItemRow.stage == stage)))
               for stage, _ in DUE_STATES}
    return group_due(((stage, repo.cases_in(session, states)) for stage, states in DUE_STATES), claimed)


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
        entries = work_rules.allow_entries(session, work=cases[0].work)
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
        desk = notice_content.desk_for(settings, platform)
        if recipient is None and channel == EmailChannel.name and desk and desk.email:
            recipient = desk.email  # the platform registry's published copyright address
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


def _claim(session: Session, cases: list[Case], stage: str, channel: str, recipient: str, now,
           settings: NoticeSettings, clock: Clock, home: Path | None) -> int:
    """Render first (an insufficient notice raises before anything is written), then record
    the notice with its attachments, its items and the ``sending`` delivery."""
    key = repo.delivery_key([c.id for c in cases], stage)
    public_id = repo.notice_public_id(key)
    doc = notice_content.notice_document(session, cases, notice_id=public_id, stage=stage, settings=settings,
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
