"""Administration: tenants (rights holders), users and their roles. Admins only."""
from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, status
from sqlalchemy import select

from crawler.registry import REGISTRY
from dramaguard import accounts
from dramaguard.web.deps import DB, Admins, get_services, not_found
from dramaguard.security import hash_password
from dramaguard.web.schemas import Error, HolderIn, HolderOut, PlatformOut, UserIn, UserOut, UserPatch
from storage import scoped
from storage.auth import Role, User
from storage.models import RightsHolder

router = APIRouter(prefix="/admin", tags=["admin"])


@router.get("/holders", response_model=list[HolderOut])
def list_holders(_: Admins, session: DB) -> list[RightsHolder]:
    return scoped.list_holders(session=session)


@router.post("/holders", response_model=HolderOut, status_code=status.HTTP_201_CREATED,
             responses={409: {"model": Error, "description": "name taken"}})
def create_holder(body: HolderIn, _: Admins, session: DB) -> RightsHolder:
    if session.scalar(select(RightsHolder.id).where(RightsHolder.name == body.name)):
        raise HTTPException(status.HTTP_409_CONFLICT, f"a rights holder named '{body.name}' exists")
    holder = RightsHolder(name=body.name, contact_email=body.contact_email)
    session.add(holder)
    session.flush()
    return holder


@router.get("/users", response_model=list[UserOut])
def list_users(_: Admins, session: DB) -> list[User]:
    return list(session.scalars(select(User).order_by(User.email)))


def _check_tenant(role: Role, holder_id: int | None, session) -> None:
    if role != Role.ADMIN and holder_id is None:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"a {role} user needs a holder_id")
    if holder_id is not None and session.get(RightsHolder, holder_id) is None:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"no rights holder with id {holder_id}")


@router.post("/users", response_model=UserOut, status_code=status.HTTP_201_CREATED,
             responses={409: {"model": Error, "description": "e-mail taken"}})
def create_user(body: UserIn, _: Admins, session: DB) -> User:
    _check_tenant(body.role, body.holder_id, session)
    holder = session.get(RightsHolder, body.holder_id) if body.holder_id is not None else None
    try:
        return accounts.create_user(
            body.email,
            role=body.role,
            holder=holder,
            password=body.password,
            display_name=body.display_name,
            session=session,
        )
    except accounts.AccountError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc


@router.patch("/users/{user_id}", response_model=UserOut)
def update_user(user_id: int, body: UserPatch, principal: Admins, session: DB) -> User:
    """Change a user's role, tenant, name, password or active flag."""
    user = session.get(User, user_id)
    if user is None:
        raise not_found("user")
    changes = body.model_dump(exclude_unset=True)
    role = Role(changes.get("role") or user.role)
    holder_id = changes["holder_id"] if "holder_id" in changes else user.holder_id
    _check_tenant(role, holder_id, session)
    if user.id == principal.user_id and (role != Role.ADMIN or changes.get("is_active") is False):
        raise HTTPException(status.HTTP_409_CONFLICT, "admins cannot demote or deactivate themselves")
    user.role, user.holder_id = role, holder_id
    if changes.get("display_name"):
        user.display_name = changes["display_name"]
    if changes.get("is_active") is not None:
        user.is_active = changes["is_active"]
    if changes.get("password"):
        user.password_hash = hash_password(changes["password"])
    return user


@router.get("/platforms", response_model=list[PlatformOut])
def list_platforms(_: Admins, request: Request) -> list[PlatformOut]:
    """Platform plugins, whether the crawler is configured for each, and where notices go.

    Read-only: platforms are configured in settings (``crawler.platforms``, ``notices.*``), which
    the crawler and daemon processes read at start; the API shows what they will use.
    """
    settings = get_services(request).settings
    names = sorted(set(REGISTRY) | set(settings.crawler.platforms) | set(settings.notices.email_recipients)
                   | set(settings.notices.complaint_api_urls))
    out = []
    for name in names:
        channel = settings.notices.platform_channels.get(name, settings.notices.default_channel)
        targets = settings.notices.email_recipients if channel == "email" else settings.notices.complaint_api_urls
        out.append(PlatformOut(name=name, plugin=name in REGISTRY, crawled=name in settings.crawler.platforms,
                               notice_channel=channel, notice_recipient=targets.get(name)))
    return out
