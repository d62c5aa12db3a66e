"""Legal review: approve (the notice goes out now) or reject (remembered; optionally allowlist),
and sending a refused notice again once its cause is fixed.

The caller schedules a dispatch pass right after it answers (the two-hour clock is running);
dispatching is idempotent and safe beside the daemon's (casework's outbox), so a notice is still
sent exactly once.
"""
from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from monitor import casework
from monitor.send_again import NotRefused, send_again
from notices.allowlist import AllowEntry, AllowKind
from notices.clock import SystemClock
from notices.lifecycle import CaseState
from storage import work_rules
from storage import scoped
from storage.base import utcnow
from storage.cases import Case, Notice
from workspace.actors import Actor
from workspace.errors import Conflict, NotFound

log = logging.getLogger(__name__)


def decide(case: Case, *, approve: bool, note: str, actor: Actor, session: Session,
           allowlist_uploader: bool = False) -> CaseState:
    if case.state != CaseState.PENDING_REVIEW:
        raise Conflict(f"case {case.id} is {case.state}, not waiting for review")
    state = casework.review_case(session, case.id, approve=approve, reviewer=actor.email, clock=SystemClock(),
                                 note=note)
    if not approve and allowlist_uploader:
        uploader = case.uploader_id or case.uploader_name
        if not uploader:
            raise Conflict("the copy has no known uploader to allowlist")
        entry = AllowEntry(AllowKind.ACCOUNT, uploader, case.platform, note=f"case {case.id}: {note}"[:500])
        work_rules.add_allow_entry(session, entry, work_id=case.work_id)
    log.info("case %s %s by user %s", case.id, "approved" if approve else "rejected", actor.user_id)
    return state


def send_notice_again(notice_id: int, *, actor: Actor, session: Session) -> Notice:
    """A refused notice back in the outbox (the caller schedules the dispatch); NotFound for a notice
    out of scope, Conflict for one that is not refused."""
    notice = scoped.get_notice(notice_id, holder_id=actor.scope, session=session)
    if notice is None:
        raise NotFound("notice not found")
    try:
        send_again(session, notice, actor=actor.email, at=utcnow())
    except NotRefused as exc:
        raise Conflict(str(exc)) from exc
    log.info("notice %s sent again by user %s", notice.public_id, actor.user_id)
    return notice


def decide_many(case_ids: list[int], *, approve: bool, note: str, actor: Actor, session: Session) -> tuple[int, int]:
    """Bulk review: every case of ``case_ids`` the actor may see that still waits for review is
    decided; the others (decided meanwhile, another tenant's, unknown) are skipped. (done, skipped)."""
    done = skipped = 0
    for case_id in dict.fromkeys(case_ids):
        case = scoped.get_case(case_id, holder_id=actor.scope, session=session)
        if case is None or case.state != CaseState.PENDING_REVIEW:
            skipped += 1
            continue
        decide(case, approve=approve, note=note, actor=actor, session=session)
        done += 1
    return done, skipped
