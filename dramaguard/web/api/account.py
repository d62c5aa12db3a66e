"""Who am I, password → token login for scripts, and one's own API tokens."""
from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, status
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from dramaguard.accounts import issue_token
from dramaguard.web.deps import DB, Anyone, get_services, not_found
from dramaguard.web.login import authenticate
from dramaguard.web.schemas import Error, LoginIn, Me, TokenCreated, TokenIn, TokenOut
from storage.auth import ApiToken, User
from storage.base import utcnow
from storage.db import transaction

router = APIRouter(tags=["account"])


@router.get("/me", response_model=Me)
def me(principal: Anyone) -> Me:
    return Me(
        id=principal.user_id,
        email=principal.email,
        display_name=principal.display_name,
        role=principal.role,
        holder_id=principal.holder_id,
        holder_name=principal.holder_name,
    )


@router.post(
    "/auth/login",
    response_model=TokenCreated,
    status_code=status.HTTP_201_CREATED,
    responses={401: {"model": Error, "description": "wrong e-mail or password"}, 429: {"model": Error, "description": "too many failures"}},
)
async def login(body: LoginIn, request: Request) -> TokenCreated:
    """Exchange e-mail and password for a new API token (rate limited like the UI login)."""
    services = get_services(request)
    user_id = await authenticate(request, body.email, body.password, services.settings.web, sessions=services.sessions)
    if user_id is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong e-mail or password")
    return await run_in_threadpool(_issue, services, user_id, body.token_name)


def _issue(services, user_id: int, name: str) -> TokenCreated:
    with transaction(services.sessions) as session:
        row, token = issue_token(session.get_one(User, user_id), name, session=session)
        return TokenCreated(id=row.id, name=row.name, token=token)


@router.get("/auth/tokens", response_model=list[TokenOut])
def list_tokens(principal: Anyone, session: DB) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == principal.user_id).order_by(ApiToken.id)))


@router.post("/auth/tokens", response_model=TokenCreated, status_code=status.HTTP_201_CREATED)
def create_token(body: TokenIn, principal: Anyone, session: DB) -> TokenCreated:
    user = session.get_one(User, principal.user_id)
    row, token = issue_token(user, body.name, session=session)
    return TokenCreated(id=row.id, name=row.name, token=token)


@router.delete("/auth/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_token(token_id: int, principal: Anyone, session: DB) -> None:
    row = session.scalar(select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == principal.user_id))
    if row is None:
        raise not_found("token")
    row.revoked_at = row.revoked_at or utcnow()
