"""Counter-notices and their decision (UI forms and API), and the repeat-infringer list."""
from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, Field

from dramaguard.web.casefiles import case_out
from dramaguard.web.deps import DB, Disputers, Principal, allow, not_found
from dramaguard.web.roles import Cap
from dramaguard.web.schemas import CaseOut
from dramaguard.web.ui import AnyUser, Csrf, render
from dramaguard.web.forms import Line, Text
from storage import scoped
from storage.base import utcnow
from workspace.disputes import decide_dispute, record_counter_notice, repeat_infringers

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["disputes"])
DisputeUser = Annotated[Principal, Depends(allow(Cap.DISPUTES, ui=True))]


class CounterNoticeIn(BaseModel):
    notice_id: int
    sender: Annotated[str, Field(min_length=1, max_length=300)]
    contact: Annotated[str, Field(max_length=500)] = ""
    statement: Annotated[str, Field(max_length=5000)] = ""
    received_at: datetime | None = Field(None, description="when it reached the platform; default now")


class DisputeDecisionIn(BaseModel):
    decision: Annotated[str, Field(pattern="^(withdraw|court)$")]
    note: Annotated[str, Field(max_length=2000)] = ""


def _case(case_id: int, principal: Principal, session):
    case = scoped.get_case(case_id, holder_id=principal.scope, session=session)
    if case is None:
        raise not_found("case")
    return case


def _received(value: datetime | None) -> datetime:
    if value is None:
        return utcnow()
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@api.post("/cases/{case_id}/counter-notice", response_model=CaseOut)
def counter_notice_api(case_id: int, body: CounterNoticeIn, principal: Disputers, session: DB) -> CaseOut:
    """Record a counter-notice against one of the case's notices: the case is disputed and the
    10–14 business-day restore window starts (see the case's history)."""
    case = _case(case_id, principal, session)
    record_counter_notice(case, notice_id=body.notice_id, sender=body.sender, contact=body.contact,
                          statement=body.statement, received_at=_received(body.received_at),
                          actor=principal.email, now=utcnow(), session=session)
    return case_out(case)


@api.post("/cases/{case_id}/dispute-decision", response_model=CaseOut)
def dispute_decision_api(case_id: int, body: DisputeDecisionIn, principal: Disputers, session: DB) -> CaseOut:
    """Withdraw the claim (closed) or go to court (in_court: the copy stays down)."""
    case = _case(case_id, principal, session)
    decide_dispute(case, court=body.decision == "court", note=body.note, actor=principal.email,
                   now=utcnow(), session=session)
    return case_out(case)


@router.post("/cases/{case_id}/counter-notice", dependencies=[Csrf], name="counter_notice_form")
def counter_notice_form(
    case_id: int, request: Request, principal: DisputeUser, session: DB,
    notice_id: Annotated[int, Form()],
    sender: Annotated[Line, Form(min_length=1, max_length=300)],
    contact: Annotated[Line, Form(max_length=500)] = "",
    statement: Annotated[Text, Form(max_length=5000)] = "",
    received_on: Annotated[str, Form(max_length=10, pattern=r"^(\d{4}-\d{2}-\d{2})?$")] = "",
) -> RedirectResponse:
    case = _case(case_id, principal, session)
    try:
        received = (datetime.combine(datetime.strptime(received_on, "%Y-%m-%d").date(), time(12), UTC)
                    if received_on else utcnow())
    except ValueError:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "received_on") from None
    record_counter_notice(case, notice_id=notice_id, sender=sender.strip(), contact=contact.strip(),
                          statement=statement.strip(), received_at=received, actor=principal.email,
                          now=utcnow(), session=session)
    return RedirectResponse(request.url_for("case_page", case_id=case_id), status.HTTP_303_SEE_OTHER)


@router.post("/cases/{case_id}/dispute-decision", dependencies=[Csrf], name="dispute_decision_form")
def dispute_decision_form(
    case_id: int, request: Request, principal: DisputeUser, session: DB,
    decision: Annotated[str, Form(pattern="^(withdraw|court)$")],
    note: Annotated[Text, Form(max_length=2000)] = "",
) -> RedirectResponse:
    case = _case(case_id, principal, session)
    decide_dispute(case, court=decision == "court", note=note.strip(), actor=principal.email, now=utcnow(),
                   session=session)
    return RedirectResponse(request.url_for("case_page", case_id=case_id), status.HTTP_303_SEE_OTHER)


@router.get("/uploaders", response_class=HTMLResponse, name="uploaders_page")
def uploaders_page(request: Request, principal: AnyUser, session: DB) -> HTMLResponse:
    """Repeat infringers: uploaders with two or more cases on one platform."""
    rows = repeat_infringers(holder_id=principal.scope, minimum=2, session=session)
    return render(request, "uploaders.html", principal, rows=rows)
