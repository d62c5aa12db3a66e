"""Request dependencies: the database session, who is asking, what they may do, CSRF.

Authentication is resolved in its own short transaction and handed on as a frozen
:class:`Principal`, so no request holds a write lock (a token's ``last_used_at``) while it works.
API calls authenticate with ``Authorization: Bearer <token>``, or with the UI's session cookie
plus an ``X-CSRF-Token`` header on anything that changes state.
"""
from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from dramaguard.web.roles import Cap, can
from indexing.catalogue import Services
from storage.auth import Role, User, session_for_cookie, user_for_token
from storage.db import POOL_OVERFLOW, POOL_SIZE, transaction

SESSION_COOKIE = "dg_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SHORT_TRANSACTIONS = 5  # connections left for authentication, logins, uploads, the upload worker

bearer = HTTPBearer(auto_error=False, description="an API token (dramaguard users token, or the UI)")


@dataclass(frozen=True)
class Principal:
    user_id: int
    email: str
    display_name: str
    role: Role
    holder_id: int | None
    holder_name: str | None
    csrf_token: str | None = None  # set when authenticated by the UI session cookie

    @property
    def scope(self) -> int | None:
        """The tenant every query is limited to; ``None`` (all tenants) only for admins."""
        return None if self.role == Role.ADMIN else self.holder_id

    @classmethod
    def of(cls, user: User, csrf_token: str | None = None) -> Principal:
        return cls(
            user.id,
            user.email,
            user.display_name,
            Role(user.role),
            user.holder_id,
            user.holder.name if user.holder else None,
            csrf_token,
        )


class LoginRequired(Exception):
    """A UI page was asked for without a valid session; answered with a redirect to /login."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def get_services(request: Request) -> Services:
    return request.app.state.services


async def _db_slot(request: Request) -> AsyncIterator[None]:
    """Admission for requests that hold a session (and so a pooled connection) until they finish.

    Such a request keeps its connection while FastAPI serializes its response in the thread
    pool; if every pooled connection were held by requests waiting for a thread, and every thread
    by a request waiting for a connection, all would stall until the pool timeout (500s under
    load: benchmarks.api_load). Admitting fewer of them than the pool holds, and waiting here on
    the event loop rather than in a thread, leaves connections for the short transactions.
    """
    async with request.app.state.db_slots:
        yield


def db_slots() -> asyncio.Semaphore:
    return asyncio.Semaphore(POOL_SIZE + POOL_OVERFLOW - SHORT_TRANSACTIONS)


def db_session(
    request: Request, _slot: Annotated[None, Depends(_db_slot, scope="function")]
) -> Iterator[Session]:
    """One session per request: commit when the endpoint returns, roll back if it raises."""
    with transaction(get_services(request).sessions) as session:
        yield session


DB = Annotated[Session, Depends(db_session, scope="function")]


def _from_cookie(request: Request) -> Principal | None:
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    with transaction(get_services(request).sessions) as session:
        row = session_for_cookie(cookie, session=session)
        return Principal.of(row.user, row.csrf_token) if row else None


def api_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    if credentials is not None:
        with transaction(get_services(request).sessions) as session:
            user = user_for_token(credentials.credentials, session=session)
            principal = Principal.of(user) if user else None
        if principal is None:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED, "invalid or revoked API token", {"WWW-Authenticate": "Bearer"}
            )
        return principal
    principal = _from_cookie(request)
    if principal is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "not authenticated", {"WWW-Authenticate": "Bearer"})
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not secrets.compare_digest(sent, principal.csrf_token or ""):
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"missing or wrong {CSRF_HEADER} header")
    return principal


def ui_principal(request: Request) -> Principal:
    principal = _from_cookie(request)
    if principal is None:
        raise LoginRequired(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
    return principal


def allow(cap: Cap, ui: bool = False) -> Callable[..., Principal]:
    """A dependency admitting only roles that hold ``cap`` in the role table (403 otherwise)."""
    source = ui_principal if ui else api_principal

    def check(principal: Principal = Depends(source)) -> Principal:  # noqa: B008 (a closure: no Annotated string)
        if not can(principal.role, cap):
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"not allowed for role {principal.role}")
        return principal

    return check


Anyone = Annotated[Principal, Depends(allow(Cap.READ))]
Owners = Annotated[Principal, Depends(allow(Cap.MANAGE_WORKS))]
Reviewers = Annotated[Principal, Depends(allow(Cap.REVIEW))]
RuleEditors = Annotated[Principal, Depends(allow(Cap.MANAGE_RULES))]
Disputers = Annotated[Principal, Depends(allow(Cap.DISPUTES))]
Exporters = Annotated[Principal, Depends(allow(Cap.EXPORT))]
Admins = Annotated[Principal, Depends(allow(Cap.MANAGE_USERS))]


async def check_form_csrf(request: Request, principal: Annotated[Principal, Depends(ui_principal)]) -> None:
    """UI forms carry the session's CSRF token in a hidden ``csrf_token`` field."""
    form = await request.form()
    sent = str(form.get("csrf_token", ""))
    if not secrets.compare_digest(sent, principal.csrf_token or ""):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "the form is stale or forged (CSRF check failed)")


def not_found(what: str) -> HTTPException:
    """Missing and foreign objects answer alike, so tenants cannot probe each other's ids."""
    return HTTPException(status.HTTP_404_NOT_FOUND, f"{what} not found")
