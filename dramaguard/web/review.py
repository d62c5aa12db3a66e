"""Legal review: approve (the notice goes out now) or reject (remembered; optionally allowlist).

Approval does not wait for the daemon's next dispatch pass: the two-hour clock is running, so
the request schedules a dispatch run right after it answers. Dispatching is idempotent and safe
beside the daemon's (casework's outbox), so a notice is still sent exactly once.
"""
from __future__ import annotations

import logging

from fastapi import FastAPI, HTTPException, status
from sqlalchemy.orm import Session

from monitor import casework
from monitor.send_again import NotRefused, send_again
from dramaguard.web.deps import Principal
from notices.allowlist import AllowEntry, AllowKind
from notices.clock import SystemClock
from notices.lifecycle import CaseState
from storage import work_rules
from storage import scoped
from storage.base import utcnow
from storage.cases import Case, Notice

log = logging.getLogger(__name__)


def decide(
    case: Case,
    *,
    approve: bool,
    note: str,
    principal: Principal,
    session: Session,
    allowlist_uploader: bool = False,
) -> CaseState:
    if case.state != CaseState.PENDING_REVIEW:
        raise HTTPException(status.HTTP_409_CONFLICT, f"case {case.id} is {case.state}, not waiting for review")
    state = casework.review_case(
        session, case.id, approve=approve, reviewer=principal.email, clock=SystemClock(), note=note
    )
    if not approve and allowlist_uploader:
        uploader = case.uploader_id or case.uploader_name
        if not uploader:
            raise HTTPException(status.HTTP_409_CONFLICT, "the copy has no known uploader to allowlist")
        entry = AllowEntry(AllowKind.ACCOUNT, uploader, case.platform, note=f"case {case.id}: {note}"[:500])
        work_rules.add_allow_entry(session, entry, work_id=case.work_id)
    log.info("case %s %s by user %s", case.id, "approved" if approve else "rejected", principal.user_id)
    return state


def send_notice_again(notice_id: int, *, principal: Principal, session: Session) -> Notice:
    """A refused notice back in the outbox (the caller schedules the dispatch); 404 for a notice
    out of scope, 409 for one that is not refused."""
    notice = scoped.get_notice(notice_id, holder_id=principal.scope, session=session)
    if notice is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "notice not found")
    try:
        send_again(session, notice, actor=principal.email, at=utcnow())
    except NotRefused as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    log.info("notice %s sent again by user %s", notice.public_id, principal.user_id)
    return notice


async def send_due_notices(app: FastAPI) -> None:
    """One dispatch pass (claim due notices, deliver them); failures are recorded as alerts."""
    services = app.state.services
    try:
        results = await casework.dispatch_notices(
            services.sessions, channels=app.state.channels, clock=SystemClock(),
            settings=services.settings.notices, home=services.settings.home,
        )
    except Exception:
        log.exception("notice dispatch after a review failed; the daemon will retry")
        return
    for result in results:
        log.info("notice %s for cases %s: %s", result.notice_id, list(result.case_ids), result.status)
