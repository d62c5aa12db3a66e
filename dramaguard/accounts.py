"""Creating users and API tokens, shared by the CLI and the admin API."""
from __future__ import annotations

from sqlalchemy.orm import Session

from dramaguard.security import hash_password, new_api_token
from storage.models import RightsHolder
from storage.auth import ApiToken, Role, User, add_token, find_user_by_email, normalise_email


class AccountError(ValueError):
    """A user cannot be created or changed as asked (conflict or missing tenant)."""

    expected = True


def create_user(
    email: str,
    *,
    role: Role,
    holder: RightsHolder | None,
    password: str | None,
    display_name: str | None = None,
    session: Session,
) -> User:
    """Add a user; rights holders and legal staff need a tenant (the rights holder they work for)."""
    if find_user_by_email(email, session=session) is not None:
        raise AccountError(f"a user with e-mail {normalise_email(email)} already exists")
    if role != Role.ADMIN and holder is None:
        raise AccountError(f"a {role} user needs a tenant (the rights holder they work for)")
    user = User(
        email=normalise_email(email),
        display_name=display_name or email.split("@")[0],
        role=role,
        holder=holder,
        password_hash=hash_password(password) if password else None,
        is_active=True,
    )
    session.add(user)
    session.flush()
    return user


def issue_token(user: User, name: str, *, session: Session) -> tuple[ApiToken, str]:
    """A new API token for ``user``: its row and the clear text, which is never stored."""
    token = new_api_token()
    return add_token(user, name, token, session=session), token
