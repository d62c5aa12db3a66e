"""Users and roles (admins), and one's own account: password and time zone (everyone).

Changing a role, disabling a user or changing a password ends the user's open UI sessions, so a
demoted or disabled person cannot go on with the rights they had.
"""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import delete, select

from dramaguard import accounts
from dramaguard.security import hash_password, verify_password
from dramaguard.web.deps import DB, not_found
from dramaguard.web.formatting import COMMON_ZONES, TZ_COOKIE, valid_zone
from dramaguard.web.ui import AdminUser, AnyUser, Csrf, render
from dramaguard.web.forms import Line
from storage import scoped
from storage.auth import Role, User, WebSession
from storage.models import RightsHolder

router = APIRouter(include_in_schema=False)
MIN_PASSWORD = 10


def _end_sessions(user_id: int, session, keep_csrf: str | None = None) -> None:
    query = delete(WebSession).where(WebSession.user_id == user_id)
    if keep_csrf is not None:
        query = query.where(WebSession.csrf_token != keep_csrf)
    session.execute(query)


@router.get("/users", response_class=HTMLResponse, name="users_page")
def users_page(request: Request, principal: AdminUser, session: DB) -> HTMLResponse:
    users = list(session.scalars(select(User).order_by(User.email)))
    holders = scoped.list_holders(session=session)
    return render(request, "users.html", principal, users=users, holders=holders,
                  holder_names={h.id: h.name for h in holders}, roles=list(Role))


def _holder(role: Role, holder_id: str, session) -> RightsHolder | None:
    if role == Role.ADMIN:
        return None
    holder = session.get(RightsHolder, int(holder_id)) if holder_id.strip().isdigit() else None
    if holder is None:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"a {role} user needs a rights holder")
    return holder


@router.post("/users", dependencies=[Csrf], name="user_create")
def user_create(
    request: Request, principal: AdminUser, session: DB,
    email: Annotated[str, Form(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")],
    role: Annotated[Role, Form()],
    password: Annotated[str, Form(min_length=MIN_PASSWORD, max_length=1024)],
    display_name: Annotated[Line, Form(max_length=200)] = "",
    holder_id: Annotated[str, Form(max_length=20)] = "",
) -> RedirectResponse:
    try:
        accounts.create_user(email, role=role, holder=_holder(role, holder_id, session), password=password,
                             display_name=display_name.strip() or None, session=session)
    except accounts.AccountError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    return RedirectResponse(request.url_for("users_page"), status.HTTP_303_SEE_OTHER)


@router.post("/holders", dependencies=[Csrf], name="holder_create")
def holder_create(
    request: Request, principal: AdminUser, session: DB,
    name: Annotated[Line, Form(min_length=1, max_length=200)],
    contact_email: Annotated[str, Form(max_length=320)] = "",
) -> RedirectResponse:
    """A new tenant (rights holder) for users and works to belong to."""
    name = name.strip()
    if session.scalar(select(RightsHolder.id).where(RightsHolder.name == name)):
        raise HTTPException(status.HTTP_409_CONFLICT, f"a rights holder named '{name}' exists")
    session.add(RightsHolder(name=name, contact_email=contact_email.strip() or None))
    return RedirectResponse(request.url_for("users_page"), status.HTTP_303_SEE_OTHER)


@router.post("/users/{user_id}", dependencies=[Csrf], name="user_update")
def user_update(
    user_id: int, request: Request, principal: AdminUser, session: DB,
    role: Annotated[Role, Form()],
    holder_id: Annotated[str, Form(max_length=20)] = "",
    active: Annotated[bool, Form()] = False,
) -> RedirectResponse:
    """Change role and tenant, enable or disable; an admin cannot demote or disable themselves."""
    user = session.get(User, user_id)
    if user is None:
        raise not_found("user")
    if user.id == principal.user_id and (role != Role.ADMIN or not active):
        raise HTTPException(status.HTTP_409_CONFLICT, "admins cannot demote or deactivate themselves")
    holder = _holder(role, holder_id or str(user.holder_id or ""), session)
    changed = (user.role, user.holder_id, user.is_active) != (role.value, holder.id if holder else None, active)
    user.role, user.holder_id, user.is_active = role.value, holder.id if holder else None, active
    if changed:
        _end_sessions(user.id, session)
    return RedirectResponse(request.url_for("users_page"), status.HTTP_303_SEE_OTHER)


@router.get("/account", response_class=HTMLResponse, name="account_page")
def account_page(request: Request, principal: AnyUser) -> HTMLResponse:
    return render(request, "account.html", principal, zones=COMMON_ZONES, changed=request.query_params.get("changed"))


@router.post("/account/password", dependencies=[Csrf], name="password_change")
def password_change(
    request: Request, principal: AnyUser, session: DB,
    new: Annotated[str, Form(min_length=MIN_PASSWORD, max_length=1024)],
    repeat: Annotated[str, Form(max_length=1024)],
    current: Annotated[str, Form(max_length=1024)] = "",
) -> RedirectResponse:
    """Needs the current password; other open sessions of the user end (this one stays)."""
    user = session.get_one(User, principal.user_id)
    if user.password_hash and not verify_password(user.password_hash, current):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "the current password is wrong")
    if new != repeat:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "the two new passwords differ")
    user.password_hash = hash_password(new)
    _end_sessions(user.id, session, keep_csrf=principal.csrf_token)
    return RedirectResponse(str(request.url_for("account_page")) + "?changed=password", status.HTTP_303_SEE_OTHER)


@router.post("/account/zone", dependencies=[Csrf], name="zone_change")
def zone_change(request: Request, principal: AnyUser, zone: Annotated[str, Form(max_length=64)]) -> RedirectResponse:
    if not valid_zone(zone):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"unknown time zone {zone!r}")
    response = RedirectResponse(str(request.url_for("account_page")) + "?changed=zone", status.HTTP_303_SEE_OTHER)
    response.set_cookie(TZ_COOKIE, zone, max_age=365 * 86400, samesite="lax")
    return response
