"""Request and response bodies of the HTTP API (they make the OpenAPI schema)."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from storage.auth import Role

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Email = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[^@\s]+@[^@\s]+$", max_length=320)
]


class ORM(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Error(BaseModel):
    detail: str


ERRORS = {
    400: {"model": Error, "description": "the request is well-formed but cannot be carried out"},
    401: {"model": Error, "description": "no valid API token or session"},
    403: {"model": Error, "description": "the role may not do this, or the CSRF token is missing"},
    404: {"model": Error, "description": "no such object in the caller's tenant"},
}


class Me(BaseModel):
    id: int
    email: str
    display_name: str
    role: Role
    holder_id: int | None
    holder_name: str | None


class LoginIn(BaseModel):
    email: Annotated[str, Field(max_length=320)]
    password: Annotated[str, Field(max_length=1024)]
    token_name: Name = "api"


class TokenIn(BaseModel):
    name: Name


class TokenCreated(BaseModel):
    id: int
    name: str
    token: str = Field(description="shown once; only its hash is stored")


class TokenOut(ORM):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class HolderIn(BaseModel):
    name: Name
    contact_email: Email | None = None


class HolderOut(ORM):
    id: int
    name: str
    contact_email: str | None


class UserIn(BaseModel):
    email: Email
    role: Role
    holder_id: int | None = Field(None, description="tenant; required unless role is admin")
    display_name: Name | None = None
    password: Annotated[str, Field(min_length=10, max_length=1024)] | None = None


class UserPatch(BaseModel):
    role: Role | None = None
    holder_id: int | None = None
    display_name: Name | None = None
    is_active: bool | None = None
    password: Annotated[str, Field(min_length=10, max_length=1024)] | None = None


class UserOut(ORM):
    id: int
    email: str
    display_name: str
    role: Role
    holder_id: int | None
    is_active: bool
    created_at: datetime


class WorkIn(BaseModel):
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    aliases: list[Name] = Field(default_factory=list, max_length=50)
    registration_number: Annotated[str, StringConstraints(max_length=100)] | None = None
    licensed_accounts: list[Name] = Field(
        default_factory=list, max_length=200, description="uploader accounts allowed to post it"
    )
    holder_id: int | None = Field(None, description="admins only: the tenant that owns the work")


class WorkOut(ORM):
    id: int
    holder_id: int
    title: str
    aliases: list[str]
    registration_number: str | None
    licensed_accounts: list[str]
    created_at: datetime
    episode_count: int


class Receipt(BaseModel):
    sha256: str
    size_bytes: int
    fingerprint_digest: str | None
    frame_count: int
    algorithm: str
    version: int
    params: dict
    registered_at: datetime


class EpisodeOut(BaseModel):
    id: int
    number: int
    source_name: str
    duration_s: float
    receipt: Receipt


class WorkDetail(WorkOut):
    episodes: list[EpisodeOut]


class UploadOut(ORM):
    id: str
    work_id: int
    episode_number: int
    filename: str
    size_bytes: int
    state: str = Field(description="queued → fingerprinting → registered | failed")
    error: str | None
    episode_id: int | None
    created_at: datetime
    updated_at: datetime
