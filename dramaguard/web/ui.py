"""Server-rendered pages (Jinja2): login, works, and the pages added with casework.

Pages read through the same tenant-scoped queries as the API; forms carry a CSRF token.
"""
from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import select

from dramaguard.web.deps import DB, SESSION_COOKIE, Principal, allow, check_form_csrf, get_services, not_found
from dramaguard.web.i18n import LANG_COOKIE, LANGUAGES, pick_language, translator
from dramaguard.web.login import LoginThrottled, authenticate
from dramaguard.security import new_secret
from storage import scoped
from storage.auth import Role, User, close_session, open_session
from storage.db import transaction
from storage.models import RightsHolder, Work
from storage.uploads import jobs_for_work

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates")
LOGIN_CSRF_COOKIE = "dg_login_csrf"

AnyUser = Annotated[Principal, Depends(allow(*Role, ui=True))]
OwnerUser = Annotated[Principal, Depends(allow(Role.RIGHTS_HOLDER, Role.ADMIN, ui=True))]
Csrf = Depends(check_form_csrf)


def render(request: Request, name: str, principal: Principal | None, status_code: int = 200, **context: Any) -> HTMLResponse:
    lang = pick_language(request)
    response = templates.TemplateResponse(
        request,
        name,
        {"user": principal, "lang": lang, "languages": LANGUAGES, "_": translator(lang), "Role": Role, **context},
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
def login_submit(
    request: Request,
    email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=1024)],
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not secrets.compare_digest(csrf_token, expected):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "the login form is stale or forged (CSRF check failed)")
    services = get_services(request)
    web = services.settings.web
    _ = translator(pick_language(request))
    try:
        user_id = authenticate(request, email, password, web, sessions=services.sessions)
    except LoginThrottled as exc:
        response = _login_form(request, next, _("login_throttled"), status.HTTP_429_TOO_MANY_REQUESTS)
        response.headers.update(exc.headers or {})
        return response
    if user_id is None:
        return _login_form(request, next, _("login_failed"), status.HTTP_401_UNAUTHORIZED)
    cookie = new_secret()
    lifetime = timedelta(hours=web.session_hours)
    with transaction(services.sessions) as session:
        open_session(session.get_one(User, user_id), cookie, new_secret(), lifetime, session=session)
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


@router.post("/logout", dependencies=[Csrf])
def logout(request: Request, session: DB) -> RedirectResponse:
    close_session(request.cookies.get(SESSION_COOKIE, ""), session=session)
    response = RedirectResponse(request.url_for("login_page"), status.HTTP_303_SEE_OTHER)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/", name="home")
def home(request: Request, principal: AnyUser) -> RedirectResponse:
    return RedirectResponse(request.url_for("works_page"), status.HTTP_303_SEE_OTHER)


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
    title: Annotated[str, Form(min_length=1, max_length=300)],
    aliases: Annotated[str, Form(max_length=2000)] = "",
    holder_id: Annotated[int | None, Form()] = None,
) -> RedirectResponse:
    owner = holder_id if principal.role == Role.ADMIN else principal.holder_id
    if owner is None or session.get(RightsHolder, owner) is None:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "choose the rights holder")
    title = title.strip()
    work = session.scalar(select(Work).where(Work.holder_id == owner, Work.title == title))
    if work is None:
        names = [a.strip() for a in aliases.replace(",", ",").split(",") if a.strip()]
        work = Work(holder_id=owner, title=title, aliases=names, licensed_accounts=[])
        session.add(work)
        session.flush()
    return RedirectResponse(request.url_for("work_page", work_id=work.id), status.HTTP_303_SEE_OTHER)


@router.get("/works/{work_id}", response_class=HTMLResponse, name="work_page")
def work_page(work_id: int, request: Request, principal: AnyUser, session: DB) -> HTMLResponse:
    work = scoped.get_work(work_id, holder_id=principal.scope, session=session)
    if work is None:
        raise not_found("work")
    receipts = {e.id: scoped.episode_receipt(e) for e in work.episodes}
    uploads = jobs_for_work(work.id, session=session)
    return render(request, "work.html", principal, work=work, receipts=receipts, uploads=uploads)
