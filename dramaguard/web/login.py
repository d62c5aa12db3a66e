"""Password login with rate limiting, shared by the UI form and the API's token login.

argon2id is slow and memory-hard on purpose (64 MiB and several lanes per check), so under a
login storm it must neither hold a database connection while it runs (the pool would starve every
other request) nor run unbounded (RSS grows by 64 MiB per concurrent check and the cores thrash).
Checks run in their own thread limiter, ``web.password_checks`` at a time, outside any
transaction; the others wait on the event loop without taking a worker thread.
"""
from __future__ import annotations

import os
from datetime import timedelta

import anyio
from fastapi import HTTPException, Request, status
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from dramaguard.settings import WebSettings
from dramaguard.security import verify_password
from storage.auth import find_user_by_email, login_blocked, record_login
from storage.db import transaction


class LoginThrottled(HTTPException):
    def __init__(self, retry_after_s: int) -> None:
        super().__init__(
            status.HTTP_429_TOO_MANY_REQUESTS,
            "too many failed logins; wait and try again",
            {"Retry-After": str(retry_after_s)},
        )


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def password_limiter(web: WebSettings) -> anyio.CapacityLimiter:
    """The limiter for argon2 checks (built in the app's lifespan: it needs the event loop)."""
    return anyio.CapacityLimiter(web.password_checks or os.cpu_count() or 1)


async def authenticate(
    request: Request, email: str, password: str, web: WebSettings, *, sessions: sessionmaker[Session]
) -> int | None:
    """The user's id when the password is right, None when wrong; raises LoginThrottled when blocked.

    A blocked login is refused before the password is checked. Every attempt is recorded in its
    own transaction (a failure must stay counted even though the request then fails).
    """
    address = client_address(request)
    user_id, password_hash = await run_in_threadpool(_lookup, email, address, web, sessions)
    ok = await anyio.to_thread.run_sync(
        verify_password, password_hash, password, limiter=request.app.state.password_checks
    )
    ok = ok and user_id is not None
    await run_in_threadpool(_record, email, address, ok, sessions)
    return user_id if ok else None


def _lookup(email: str, address: str, web: WebSettings, sessions: sessionmaker[Session]) -> tuple[int | None, str | None]:
    """(id of the active user or None, the stored hash to check against, even for an inactive user)."""
    with transaction(sessions) as session:
        window = timedelta(seconds=web.login_window_s)
        if login_blocked(email, address, max_failures=web.login_max_failures, window=window, session=session):
            raise LoginThrottled(web.login_window_s)
        user = find_user_by_email(email, session=session)
        if user is None:
            return None, None
        return (user.id if user.is_active else None), user.password_hash


def _record(email: str, address: str, ok: bool, sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        record_login(email[:320], address, ok, session=session)
