"""Accounts: users with a role and a tenant, API tokens and UI sessions (hashed at rest), login attempts.

Secrets never reach the database in the clear: API tokens and session cookies are random 256-bit
strings stored as their SHA-256 (a slow hash adds nothing for values with that much entropy, and
the fast one lets us look them up by equality). Passwords are hashed by the caller (argon2).
"""
from __future__ import annotations

import enum
import hashlib
from datetime import datetime, timedelta

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from storage.base import Base, UTCDateTime, utcnow
from storage.models import RightsHolder


class Role(enum.StrEnum):
    RIGHTS_HOLDER = "rights_holder"
    LEGAL = "legal"
    ADMIN = "admin"


class User(Base):
    """Rights-holder and legal users belong to one tenant (a rights holder); admins to none."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('rights_holder', 'legal', 'admin')", name="role"),
        CheckConstraint("role = 'admin' OR holder_id IS NOT NULL", name="tenant"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    holder_id: Mapped[int | None] = mapped_column(
        ForeignKey("rights_holders.id", ondelete="CASCADE"), index=True
    )
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    holder: Mapped[RightsHolder | None] = relationship()


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12), doc="first characters, to tell tokens apart")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


class WebSession(Base):
    """A UI login; the cookie carries the token, the row carries the CSRF secret for forms."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


class LoginAttempt(Base):
    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    succeeded: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str, *, session: Session) -> User | None:
    return session.scalar(select(User).where(User.email == normalise_email(email)))


def user_for_token(token: str, *, session: Session) -> User | None:
    """The active user owning an unrevoked API token; records when it was last used."""
    row = session.scalar(
        select(ApiToken).where(ApiToken.token_hash == hash_secret(token), ApiToken.revoked_at.is_(None))
    )
    if row is None or not row.user.is_active:
        return None
    row.last_used_at = utcnow()
    return row.user


def add_token(user: User, name: str, token: str, *, session: Session) -> ApiToken:
    row = ApiToken(user=user, name=name, token_hash=hash_secret(token), prefix=token[:8])
    session.add(row)
    session.flush()
    return row


def session_for_cookie(token: str, *, session: Session) -> WebSession | None:
    row = session.scalar(select(WebSession).where(WebSession.token_hash == hash_secret(token)))
    if row is None or row.expires_at <= utcnow() or not row.user.is_active:
        return None
    return row


def open_session(user: User, token: str, csrf_token: str, lifetime: timedelta, *, session: Session) -> WebSession:
    """Start a UI session (and drop the user's expired ones)."""
    now = utcnow()
    for stale in session.scalars(
        select(WebSession).where(WebSession.user_id == user.id, WebSession.expires_at <= now)
    ):
        session.delete(stale)
    row = WebSession(
        user=user, token_hash=hash_secret(token), csrf_token=csrf_token, expires_at=now + lifetime
    )
    session.add(row)
    session.flush()
    return row


def close_session(token: str, *, session: Session) -> None:
    row = session.scalar(select(WebSession).where(WebSession.token_hash == hash_secret(token)))
    if row is not None:
        session.delete(row)


def record_login(email: str, address: str, succeeded: bool, *, session: Session) -> None:
    session.add(LoginAttempt(email=normalise_email(email), address=address, succeeded=succeeded))


def login_blocked(email: str, address: str, *, max_failures: int, window: timedelta, session: Session) -> bool:
    """Too many recent failures for this account (since its last success) or from this address.

    The address limit is wider (password spraying across accounts from one place).
    """
    since = utcnow() - window
    email = normalise_email(email)
    last_success = session.scalar(
        select(func.max(LoginAttempt.at)).where(LoginAttempt.email == email, LoginAttempt.succeeded)
    )
    account_since = max(since, last_success) if last_success else since
    failures = select(func.count()).select_from(LoginAttempt).where(~LoginAttempt.succeeded)
    by_account = session.scalar(failures.where(LoginAttempt.email == email, LoginAttempt.at > account_since))
    by_address = session.scalar(failures.where(LoginAttempt.address == address, LoginAttempt.at > since))
    return by_account >= max_failures or by_address >= 4 * max_failures
