"""Server-rendered pages (Jinja2): login, works, and the pages added with casework.

Pages read through the same tenant-scoped queries as the API; forms carry a CSRF token.
"""
from __future__ import annotations

import secrets
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, BackgroundTasks, Depends, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from sqlalchemy import select

from dramaguard.web import dashboard
from dramaguard.web.casefiles import keyframes
from dramaguard.web.review import send_due_notices
from dramaguard.web.deps import DB, SESSION_COOKIE, Principal, allow, check_form_csrf, get_services, not_found
from dramaguard.web.forms import shown, Line, Text, split_names
from dramaguard.web.dispute_view import dispute_context
from dramaguard.web.formatting import episode_label, state_label, when_in, zone_for
from dramaguard.web.roles import Cap, can
from dramaguard.web.i18n import LANG_COOKIE, LANGUAGES, pick_language, translator
from dramaguard.web.login import LoginThrottled, authenticate
from dramaguard.security import new_secret
from storage import scoped
from storage.overlaps import overlaps_of_work
from storage.auth import Role, User, close_session, open_session
from notices.lifecycle import CaseState
from notices.metrics import compliance_by_platform
from storage.base import utcnow
from storage.db import transaction
from storage.models import RightsHolder, Work
from storage.uploads import jobs_for_work
from workspace.evidence import timelines
from workspace.onboarding import case_notice_context
from workspace.review import decide, send_notice_again
from workspace.works import update_work

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates")
templates.env.finalize = shown  # crawler text (titles, uploader names) can hold NUL or U+202E
LOGIN_CSRF_COOKIE = "dg_login_csrf"

AnyUser = Annotated[Principal, Depends(allow(Cap.READ, ui=True))]
OwnerUser = Annotated[Principal, Depends(allow(Cap.MANAGE_WORKS, ui=True))]
ReviewerUser = Annotated[Principal, Depends(allow(Cap.REVIEW, ui=True))]
RuleUser = Annotated[Principal, Depends(allow(Cap.MANAGE_RULES, ui=True))]
AdminUser = Annotated[Principal, Depends(allow(Cap.MANAGE_USERS, ui=True))]
Csrf = Depends(check_form_csrf)


def render(request: Request, name: str, principal: Principal | None, status_code: int = 200, **context: Any) -> HTMLResponse:
    lang = pick_language(request)
    _ = translator(lang)
    zone = zone_for(request, request.app.state.settings.web.time_zone)
    response = templates.TemplateResponse(
        request,
        name,
        {"user": principal, "lang": lang, "languages": LANGUAGES, "_": _, "Role": Role, "Cap": Cap,
         "can": lambda cap: principal is not None and can(principal.role, cap),
         "when": when_in(zone), "zone": zone.key, "ep": episode_label(_), "label": state_label(_), **context},
        status_code=status_code,
    )
    if request.query_params.get("lang") == lang:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax")
    return response


def _safe_next(target: str | None) -> str:
    """Only same-site paths; anything else (//evil, http://) goes home."""
    if not target or not target.startswith("/") or target.startswith("//") or urlsplit(target).netloc:
        return "/"
    return target


@router.get("/login", response_class=HTMLResponse, name="login_page")
def login_page(request: Request, next: str = "/") -> HTMLResponse:
    return _login_form(request, next)


def _login_form(request: Request, next_path: str, error: str | None = None, status_code: int = 200) -> HTMLResponse:
    token = new_secret()
    response = render(request, "login.html", None, status_code, next=_safe_next(next_path), csrf=token, error=error)
    secure = get_services(request).settings.web.secure_cookies
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=secure, max_age=3600)
    return response


@router.post("/login", name="login_submit")
async def login_submit(
    request: Request,
    email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=1024)],
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Async so that logins waiting for an argon2 slot take no worker thread (see login.py)."""
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not secrets.compare_digest(csrf_token, expected):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "the login form is stale or forged (CSRF check failed)")
    services = get_services(request)
    web = services.settings.web
    _ = translator(pick_language(request))
    try:
        user_id = await authenticate(request, email, password, web, sessions=services.sessions)
    except LoginThrottled as exc:
        response = _login_form(request, next, _("login_throttled"), status.HTTP_429_TOO_MANY_REQUESTS)
        response.headers.update(exc.headers or {})
        return response
    if user_id is None:
        return _login_form(request, next, _("login_failed"), status.HTTP_401_UNAUTHORIZED)
    cookie = new_secret()
    lifetime = timedelta(hours=web.session_hours)
    await run_in_threadpool(_open_session, services.sessions, user_id, cookie, lifetime)
    response = RedirectResponse(_safe_next(next), status.HTTP_303_SEE_OTHER)
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=int(lifetime.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=web.secure_cookies,
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


def _open_session(sessions, user_id: int, cookie: str, lifetime: timedelta) -> None:
    with transaction(sessions) as session:
        open_session(session.get_one(User, user_id), cookie, new_secret(), lifetime, session=session)


@router.post("/logout", dependencies=[Csrf])
def logout(request: Request, session: DB) -> RedirectResponse:
    close_session(request.cookies.get(SESSION_COOKIE, ""), session=session)
    response = RedirectResponse(request.url_for("login_page"), status.HTTP_303_SEE_OTHER)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/", name="home")
def home(request: Request, principal: AnyUser) -> RedirectResponse:
    target = "queue_page" if principal.role == Role.LEGAL else "dashboard_page"
    return RedirectResponse(request.url_for(target), status.HTTP_303_SEE_OTHER)


@router.get("/works", response_class=HTMLResponse, name="works_page")
def works_page(request: Request, principal: AnyUser, session: DB) -> HTMLResponse:
    works = scoped.list_works(holder_id=principal.scope, session=session)
    holders = scoped.list_holders(session=session) if principal.role == Role.ADMIN else []
    return render(request, "works.html", principal, works=works, holders=holders)


@router.post("/works", dependencies=[Csrf], name="create_work_form")
def create_work_form(
    request: Request,
    principal: OwnerUser,
    session: DB,
    title: Annotated[Line, Form(min_length=1, max_length=300)],
    aliases: Annotated[Text, Form(max_length=2000)] = "",
    registration_number: Annotated[Line, Form(max_length=100)] = "",
    holder_id: Annotated[int | None, Form()] = None,
) -> RedirectResponse:
    owner = holder_id if principal.role == Role.ADMIN else principal.holder_id
    if owner is None or session.get(RightsHolder, owner) is None:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "choose the rights holder")
    title = title.strip()
    work = session.scalar(select(Work).where(Work.holder_id == owner, Work.title == title))
    if work is None:
        work = Work(holder_id=owner, title=title, aliases=split_names(aliases),
                    registration_number=registration_number.strip() or None, licensed_accounts=[])
        session.add(work)
        session.flush()
    return RedirectResponse(request.url_for("work_page", work_id=work.id), status.HTTP_303_SEE_OTHER)


@router.post("/works/{work_id}/edit", dependencies=[Csrf], name="edit_work_form")
def edit_work_form(
    work_id: int,
    request: Request,
    principal: OwnerUser,
    session: DB,
    title: Annotated[Line, Form(min_length=1, max_length=300)],
    aliases: Annotated[Text, Form(max_length=2000)] = "",
    registration_number: Annotated[Line, Form(max_length=100)] = "",
) -> RedirectResponse:
    work = scoped.get_work(work_id, holder_id=principal.scope, session=session)
    if work is None:
        raise not_found("work")
    update_work(work, title=title, aliases=split_names(aliases), registration_number=registration_number,
                session=session)
    return RedirectResponse(request.url_for("work_page", work_id=work.id), status.HTTP_303_SEE_OTHER)


@router.get("/works/{work_id}", response_class=HTMLResponse, name="work_page")
def work_page(work_id: int, request: Request, principal: AnyUser, session: DB) -> HTMLResponse:
    work = scoped.get_work(work_id, holder_id=principal.scope, session=session)
    if work is None:
        raise not_found("work")
    issued = scoped.receipts_of(work, session=session)
    receipts = {e.id: scoped.episode_receipt(e, issued.get(e.id)) for e in work.episodes}
    uploads = jobs_for_work(work.id, session=session)
    overlaps = overlaps_of_work(work.id, session=session)
    return render(request, "work.html", principal, work=work, receipts=receipts, uploads=uploads,
                  overlaps=overlaps)


@router.get("/queue", response_class=HTMLResponse, name="queue_page")
def queue_page(request: Request, principal: ReviewerUser, session: DB) -> HTMLResponse:
    cases = scoped.review_queue(holder_id=principal.scope, session=session)
    return render(request, "queue.html", principal, cases=cases)


def _case_page_context(request: Request, principal: Principal, case_id: int, session) -> dict:
    case = scoped.get_case(case_id, holder_id=principal.scope, session=session)
    if case is None:
        raise not_found("case")
    query_bars, ref_bars, query_s, ref_s = timelines(case)
    frames = keyframes(
        case, request.app.state.settings.home,
        lambda cid, i: str(request.url_for("case_keyframe", case_id=cid, index=i)),
    )
    return {
        "case": case,
        "frames": frames,
        "query_bars": query_bars,
        "ref_bars": ref_bars,
        "query_s": query_s,
        "ref_s": ref_s,
        "notices": scoped.notices_for_case(case.id, session=session),
        "can_review": can(principal.role, Cap.REVIEW) and case.state == CaseState.PENDING_REVIEW,
        **dispute_context(case, principal, session),
        **case_notice_context(session, request.app.state.settings, case),
    }


@router.get("/cases/{case_id}", response_class=HTMLResponse, name="case_page")
def case_page(case_id: int, request: Request, principal: AnyUser, session: DB) -> HTMLResponse:
    return render(request, "case.html", principal, **_case_page_context(request, principal, case_id, session))


@router.get("/cases/{case_id}/notices", response_class=HTMLResponse, name="case_notices_fragment")
def case_notices_fragment(case_id: int, request: Request, principal: AnyUser, session: DB) -> HTMLResponse:
    """The notices panel (and the problems beside it), polled by htmx until the notice has gone out."""
    return render(request, "_notices_poll.html", principal, **_case_page_context(request, principal, case_id, session))


@router.post("/cases/{case_id}/review", dependencies=[Csrf], name="review_form")
def review_form(
    case_id: int,
    request: Request,
    background: BackgroundTasks,
    principal: ReviewerUser,
    session: DB,
    decision: Annotated[str, Form(pattern="^(approve|reject)$")],
    note: Annotated[Text, Form(max_length=2000)] = "",
    allowlist_uploader: Annotated[bool, Form()] = False,
) -> RedirectResponse:
    case = scoped.get_case(case_id, holder_id=principal.scope, session=session)
    if case is None:
        raise not_found("case")
    approve = decision == "approve"
    decide(case, approve=approve, note=note, actor=principal, session=session,
           allowlist_uploader=allowlist_uploader)
    if approve:
        background.add_task(send_due_notices, request.app)
        return RedirectResponse(request.url_for("case_page", case_id=case_id), status.HTTP_303_SEE_OTHER)
    return RedirectResponse(request.url_for("queue_page"), status.HTTP_303_SEE_OTHER)


@router.post("/notices/{notice_id}/send-again", dependencies=[Csrf], name="send_again_form")
def send_again_form(notice_id: int, request: Request, background: BackgroundTasks, principal: ReviewerUser,
                    session: DB) -> RedirectResponse:
    """A refused notice goes out again (its cause fixed); back to its case, whose panel polls."""
    notice = send_notice_again(notice_id, actor=principal, session=session)
    background.add_task(send_due_notices, request.app)
    case_id = notice.items[0].case_id
    return RedirectResponse(request.url_for("case_page", case_id=case_id), status.HTTP_303_SEE_OTHER)


@router.get("/dashboard", response_class=HTMLResponse, name="dashboard_page")
def dashboard_page(request: Request, principal: AnyUser, session: DB) -> HTMLResponse:
    settings = get_services(request).settings
    today = utcnow().date()
    since = datetime.combine(today - timedelta(days=dashboard.DAYS - 1), time.min, UTC)
    rows = scoped.case_times(holder_id=principal.scope, since=since, session=session)
    _ = translator(pick_language(request))
    labels = {k: _(k) for k in ("chart.detections", "chart.slowest", "chart.time_to_notice",
                                "chart.removed_24h", "chart.takedown")}
    window = timedelta(hours=settings.notices.removal_window_hours)
    board = dashboard.build(rows, today=today, deadline_hours=settings.notices.deadline_hours, labels=labels,
                            now=utcnow(), window=window)
    compliance = compliance_by_platform(scoped.case_outcomes(holder_id=principal.scope, session=session),
                                        now=utcnow(), window=window)
    return render(request, "dashboard.html", principal, board=board, compliance=compliance,
                  queue=len(scoped.review_queue(holder_id=principal.scope, session=session)))
