"""Cases, the review queue, approve / reject, evidence keyframes, notices."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, HTTPException, Query, Request, status
from fastapi.responses import Response

from dramaguard.web.casefiles import case_detail, case_out, notice_out
from dramaguard.web.deps import DB, Anyone, Principal, Reviewers, not_found
from dramaguard.web.review import send_due_notices
from dramaguard.web.schemas import CaseDetail, CaseOut, Error, Note, NoticeDetail, NoticeOut, RejectIn
from notices.lifecycle import CaseState
from storage import scoped
from storage.base import utcnow
from storage.case_search import CaseFilter, search_cases
from workspace.evidence import EvidenceError, keyframe_bytes
from workspace.review import decide, send_notice_again

router = APIRouter(tags=["cases"])
CONFLICT = {409: {"model": Error, "description": "the case is not waiting for review"}}


def keyframe_url(request: Request):
    return lambda case_id, index: str(request.url_for("case_keyframe", case_id=case_id, index=index))


@router.get("/cases", response_model=list[CaseOut])
def list_cases(
    principal: Anyone,
    session: DB,
    state: Annotated[CaseState | None, Query()] = None,
    platform: Annotated[str | None, Query(max_length=50)] = None,
    work_id: Annotated[int | None, Query()] = None,
    uploader: Annotated[str | None, Query(max_length=300, description="uploader id or name")] = None,
    q: Annotated[str | None, Query(max_length=200, description="part of the copy's title or URL")] = None,
    deadline: Annotated[str | None, Query(pattern="^(overdue|24h)$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[CaseOut]:
    """The tenant's cases, newest first, filtered like the /cases page."""
    flt = CaseFilter(work_id=work_id, platform=platform, state=state.value if state else None, deadline=deadline,
                     uploader=uploader, q=q)
    rows, _total = search_cases(flt, holder_id=principal.scope, now=utcnow(), limit=limit, offset=offset,
                                session=session)
    return [case_out(c) for c in rows]


@router.get("/review/queue", response_model=list[CaseOut])
def review_queue(principal: Reviewers, session: DB) -> list[CaseOut]:
    """Cases waiting for a legal decision, the nearest notice deadline first."""
    return [case_out(c) for c in scoped.review_queue(holder_id=principal.scope, session=session)]


def _case_or_404(case_id: int, principal: Principal, session):
    case = scoped.get_case(case_id, holder_id=principal.scope, session=session)
    if case is None:
        raise not_found("case")
    return case


@router.get("/cases/{case_id}", response_model=CaseDetail)
def get_case(case_id: int, request: Request, principal: Anyone, session: DB) -> CaseDetail:
    """A case with its matched segments, audit log, notices and evidence keyframes."""
    case = _case_or_404(case_id, principal, session)
    home = request.app.state.settings.home
    return case_detail(case, scoped.notices_for_case(case.id, session=session), home, keyframe_url(request))


@router.get(
    "/cases/{case_id}/keyframes/{index}",
    name="case_keyframe",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}, "description": "copy (left) and original (right)"},
               409: {"model": Error, "description": "the evidence file changed after sealing"}},
)
def case_keyframe(case_id: int, index: int, request: Request, principal: Anyone, session: DB) -> Response:
    case = _case_or_404(case_id, principal, session)
    try:
        body = keyframe_bytes(case, request.app.state.settings.home, index)
    except LookupError:
        raise not_found("keyframe") from None
    except EvidenceError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    return Response(body, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})


@router.post("/cases/{case_id}/approve", response_model=CaseOut, responses=CONFLICT)
def approve_case(case_id: int, body: Note, request: Request, background: BackgroundTasks,
                 principal: Reviewers, session: DB) -> CaseOut:
    """Approve: the notice is due at once and is sent in the background (see the case's notices)."""
    case = _case_or_404(case_id, principal, session)
    decide(case, approve=True, note=body.note, actor=principal, session=session)
    background.add_task(send_due_notices, request.app)
    return case_out(case)


@router.post("/cases/{case_id}/reject", response_model=CaseOut, responses=CONFLICT)
def reject_case(case_id: int, body: RejectIn, principal: Reviewers, session: DB) -> CaseOut:
    """Reject: remembered as a false positive, so the same upload is never raised again."""
    case = _case_or_404(case_id, principal, session)
    decide(case, approve=False, note=body.note, allowlist_uploader=body.allowlist_uploader,
           actor=principal, session=session)
    return case_out(case)


@router.get("/notices", response_model=list[NoticeOut])
def list_notices(
    principal: Anyone,
    session: DB,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[NoticeOut]:
    rows = scoped.list_notices(holder_id=principal.scope, limit=limit, offset=offset, session=session)
    return [notice_out(n) for n in rows]


@router.get("/notices/{notice_id}", response_model=NoticeDetail)
def get_notice(notice_id: int, principal: Anyone, session: DB) -> NoticeDetail:
    notice = scoped.get_notice(notice_id, holder_id=principal.scope, session=session)
    if notice is None:
        raise not_found("notice")
    return NoticeDetail(**notice_out(notice).model_dump(), text=notice.text)


@router.post("/notices/{notice_id}/send-again", response_model=NoticeOut, status_code=status.HTTP_202_ACCEPTED,
             responses={409: {"model": Error, "description": "the notice was not refused"}})
def send_notice_again_api(notice_id: int, request: Request, background: BackgroundTasks, principal: Reviewers,
                          session: DB) -> NoticeOut:
    """Send a notice refused for good again, once its cause is fixed (same notice number and key)."""
    notice = send_notice_again(notice_id, actor=principal, session=session)
    background.add_task(send_due_notices, request.app)
    return notice_out(notice)
