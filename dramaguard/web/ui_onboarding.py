"""Pages for a new rights holder: the claimant profile, a work's registration and ownership
proofs, the "not ready to notify" banner, the notice preview on the case page, and the alerts
page listing every problem with what to do. Forms carry the CSRF token; uploads are plain
multipart forms (no script needed), judged by content like the API's.
"""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request, UploadFile, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dramaguard.web.errors import status_of
from dramaguard.web.deps import DB, Principal, allow, check_form_csrf, not_found
from dramaguard.web.roles import Cap
from dramaguard.web.ui import render, templates
from dramaguard.web.forms import Line
from notices.proofs import ProofKind
from notices.completeness import ELEMENTS
from storage import cases as repo
from storage import scoped
from storage.auth import Role
from storage.claimants import (
    PROFILE_FIELDS,
    ProofInUse,
    cited_proof_ids,
    delete_proof,
    profile_gaps,
    proofs_for,
    save_profile,
)
from workspace import onboarding
from workspace.errors import WorkspaceError

router = APIRouter(include_in_schema=False)
AnyUser = Annotated[Principal, Depends(allow(Cap.READ, ui=True))]
OwnerUser = Annotated[Principal, Depends(allow(Cap.MANAGE_WORKS, ui=True))]
Csrf = Depends(check_form_csrf)
KINDS = [k.value for k in ProofKind]
# the case and queue pages (rendered by dramaguard.web.ui) name missing elements too
templates.env.globals["elements"] = ELEMENTS


def _render(request: Request, name: str, principal: Principal, status_code: int = 200, **context) -> HTMLResponse:
    return render(request, name, principal, status_code, kinds=KINDS, **context)


def _claimant_page(request: Request, principal: Principal, session, holder_id: int | None, *,
                   error: str | None = None, saved: bool = False, status_code: int = 200) -> HTMLResponse:
    holder = onboarding.holder_for(principal, holder_id, session)
    profile = repo.claimant(session, holder_id=holder)
    values = {k: (getattr(profile, k) or "") if profile else "" for k in PROFILE_FIELDS}
    if not values["time_zone"]:
        values["time_zone"] = "Asia/Shanghai"
    proofs = [p for p in proofs_for(session, holder_id=holder) if p.work_id is None]
    works = [w for w, _ in scoped.list_works(holder_id=holder, session=session)]
    return _render(request, "claimant.html", principal, status_code, holder_id=holder, values=values,
                   gaps=profile_gaps(profile), proofs=proofs, cited=cited_proof_ids(session, holder_id=holder),
                   works=works, error=error, saved=saved,
                   max_mb=request.app.state.settings.notices.max_proof_bytes // (1024 * 1024),
                   holders=scoped.list_holders(session=session) if principal.role == Role.ADMIN else [])


@router.get("/claimant", response_class=HTMLResponse, name="claimant_page")
def claimant_page(request: Request, principal: AnyUser, session: DB, holder_id: int | None = None,
                  saved: bool = False) -> HTMLResponse:
    if principal.role == Role.ADMIN and holder_id is None:
        holders = scoped.list_holders(session=session)
        holder_id = holders[0].id if holders else None
    return _claimant_page(request, principal, session, holder_id, saved=saved)


@router.post("/claimant", dependencies=[Csrf], name="claimant_form")
async def claimant_form(request: Request, principal: OwnerUser, session: DB) -> Response:
    from dramaguard.web.api.claimants import ClaimantIn
    from pydantic import ValidationError

    form = await request.form()
    raw_holder = str(form.get("holder_id") or "")
    holder_id = int(raw_holder) if raw_holder.isdigit() else None
    values = {k: str(form.get(k, "")).strip() for k in PROFILE_FIELDS}
    values["time_zone"] = values["time_zone"] or "Asia/Shanghai"  # the form's default
    try:
        checked = ClaimantIn(**values).model_dump()
    except ValidationError as exc:
        fields = ", ".join(str(e["loc"][0]) for e in exc.errors())
        response = _claimant_page(request, principal, session, holder_id, error=fields,
                                  status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)
        return response
    holder = onboarding.holder_for(principal, holder_id, session)
    save_profile(session, holder_id=holder, values=checked)
    target = request.url_for("claimant_page").include_query_params(saved=1)
    if principal.role == Role.ADMIN:
        target = target.include_query_params(holder_id=holder)
    return RedirectResponse(target, status.HTTP_303_SEE_OTHER)


@router.post("/proofs", dependencies=[Csrf], name="proof_upload_form")
async def proof_upload_form(
    request: Request, principal: OwnerUser, session: DB,
    kind: Annotated[ProofKind, Form()], file: UploadFile,
    work_id: Annotated[str, Form()] = "", holder_id: Annotated[str, Form()] = "",
) -> Response:
    settings = request.app.state.settings
    cap = settings.notices.max_proof_bytes
    holder = onboarding.holder_for(principal, int(holder_id) if holder_id.isdigit() else None, session)
    data = await file.read(cap + 1)
    work = int(work_id) if work_id.isdigit() else None
    try:
        onboarding.save_proof(session, principal, home=settings.home, holder_id=holder, work_id=work, kind=kind,
                              filename=file.filename or "proof", data=data, cap=cap)
    except WorkspaceError as exc:
        if work is not None:
            return _work_docs(request, principal, session, work, error=str(exc), status_code=status_of(exc))
        return _claimant_page(request, principal, session, holder, error=str(exc), status_code=status_of(exc))
    if work is not None:
        return RedirectResponse(request.url_for("work_docs_page", work_id=work), status.HTTP_303_SEE_OTHER)
    return RedirectResponse(request.url_for("claimant_page").include_query_params(holder_id=holder),
                            status.HTTP_303_SEE_OTHER)


@router.post("/proofs/{proof_id}/delete", dependencies=[Csrf], name="proof_delete_form")
def proof_delete_form(proof_id: int, request: Request, principal: OwnerUser, session: DB) -> RedirectResponse:
    proof = onboarding.get_proof(session, principal, proof_id)
    work_id = proof.work_id
    try:
        delete_proof(session, proof, home=request.app.state.settings.home)
    except ProofInUse as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    target = (request.url_for("work_docs_page", work_id=work_id) if work_id
              else request.url_for("claimant_page").include_query_params(holder_id=proof.holder_id))
    return RedirectResponse(target, status.HTTP_303_SEE_OTHER)


def _work_docs(request: Request, principal: Principal, session, work_id: int, *, error: str | None = None,
               status_code: int = 200) -> HTMLResponse:
    work = scoped.get_work(work_id, holder_id=principal.scope, session=session)
    if work is None:
        raise not_found("work")
    proofs = proofs_for(session, holder_id=work.holder_id, work_id=work.id)
    return _render(request, "work_docs.html", principal, status_code, work=work,
                   gaps=onboarding.work_readiness(session, work), proofs=proofs,
                   cited=cited_proof_ids(session, holder_id=work.holder_id), error=error,
                   max_mb=request.app.state.settings.notices.max_proof_bytes // (1024 * 1024))


@router.get("/works/{work_id}/notice-documents", response_class=HTMLResponse, name="work_docs_page")
def work_docs_page(work_id: int, request: Request, principal: AnyUser, session: DB) -> HTMLResponse:
    return _work_docs(request, principal, session, work_id)


@router.post("/works/{work_id}/registration", dependencies=[Csrf], name="registration_form")
def registration_form(work_id: int, request: Request, principal: OwnerUser, session: DB,
                      registration_number: Annotated[Line, Form(max_length=100)] = "",
                      english_title: Annotated[Line, Form(max_length=300)] = "") -> RedirectResponse:
    work = scoped.get_work(work_id, holder_id=principal.scope, session=session)
    if work is None:
        raise not_found("work")
    work.registration_number = registration_number.strip() or None
    work.english_title = english_title.strip() or None
    return RedirectResponse(request.url_for("work_docs_page", work_id=work_id), status.HTTP_303_SEE_OTHER)


@router.get("/works/{work_id}/readiness", response_class=HTMLResponse, name="readiness_fragment")
def readiness_fragment(work_id: int, request: Request, principal: AnyUser, session: DB) -> HTMLResponse:
    """The banner where a work is registered (loaded into the work page)."""
    work = scoped.get_work(work_id, holder_id=principal.scope, session=session)
    if work is None:
        raise not_found("work")
    return _render(request, "_readiness.html", principal, work=work, gaps=onboarding.work_readiness(session, work))


@router.get("/alerts", response_class=HTMLResponse, name="alerts_page")
def alerts_page(request: Request, principal: AnyUser, session: DB) -> HTMLResponse:
    found = onboarding.case_problems(session, request.app.state.settings, holder_id=principal.scope)
    return _render(request, "alerts.html", principal, problems=found)


@router.get("/problems", response_class=HTMLResponse, name="problems_fragment")
def problems_fragment(request: Request, principal: AnyUser, session: DB) -> HTMLResponse:
    """The problems panel alone (the review queue loads it)."""
    found = onboarding.case_problems(session, request.app.state.settings, holder_id=principal.scope)
    return _render(request, "_problems.html", principal, problems=found)


@router.get("/notices/{notice_id}", response_class=HTMLResponse, name="notice_page")
def notice_page(notice_id: int, request: Request, principal: AnyUser, session: DB) -> HTMLResponse:
    """A sent (or sending) notice as it went out: its text, files and delivery receipt."""
    notice = scoped.get_notice(notice_id, holder_id=principal.scope, session=session)
    if notice is None:
        raise not_found("notice")
    return _render(request, "notice.html", principal, notice=notice)
