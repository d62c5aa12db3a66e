"""Password login with rate limiting, shared by the UI form and the API's token login."""
from __future__ import annotations

from datetime import timedelta

from fastapi import HTTPException, Request, status
from sqlalchemy.orm import Session, sessionmaker

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


def authenticate(
    request: Request, email: str, password: str, web: WebSettings, *, sessions: sessionmaker[Session]
) -> int | None:
    """The user's id when the password is right, None when wrong; raises LoginThrottled when blocked.

    Every attempt is recorded in its own transaction (a failure must stay counted even though the
    request then fails), and a blocked login is refused before the password is checked.
    """
    address = client_address(request)
    window = timedelta(seconds=web.login_window_s)
    with transaction(sessions) as session:
        if login_blocked(email, address, max_failures=web.login_max_failures, window=window, session=session):
            raise LoginThrottled(web.login_window_s)
        user = find_user_by_email(email, session=session)
        ok = verify_password(user.password_hash if user else None, password)
        ok = ok and user is not None and user.is_active
        record_login(email[:320], address, ok, session=session)
        return user.id if ok and user else None
