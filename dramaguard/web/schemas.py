"""Request and response bodies of the HTTP API (they make the OpenAPI schema)."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from dramaguard.web.forms import Line, Text
from notices.allowlist import AllowKind
from notices.policy import Action
from storage.auth import Role

Name = Annotated[Line, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Email = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[^@\s]+@[^@\s]+$", max_length=320)
]


class ORM(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Error(BaseModel):
    detail: str


class InvalidRequest(BaseModel):
    """FastAPI's own answer to invalid parameters: one entry per problem."""

    detail: list[dict]


#: A 422 is either invalid parameters (FastAPI's list) or content we refuse to process (a message).
UNPROCESSABLE = Error | InvalidRequest


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
    title: Annotated[Line, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    aliases: list[Name] = Field(default_factory=list, max_length=50)
    registration_number: Annotated[Line, StringConstraints(max_length=100)] | None = None
    licensed_accounts: list[Name] = Field(
        default_factory=list, max_length=200, description="uploader accounts allowed to post it"
    )
    holder_id: int | None = Field(None, description="admins only: the tenant that owns the work")


class WorkPatch(BaseModel):
    """Fields left out stay as they are."""

    title: Annotated[Line, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)] | None = None
    aliases: list[Name] | None = Field(None, max_length=50)
    registration_number: Annotated[Line, StringConstraints(max_length=100)] | None = None


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
    receipt_id: str | None = Field(description="the registration receipt issued for the episode")
    receipt_sha256: str | None
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


class Note(BaseModel):
    note: Annotated[Text, StringConstraints(max_length=2000)] = ""


class RejectIn(Note):
    allowlist_uploader: bool = Field(False, description="also allowlist the uploader for this work")


class Keyframe(BaseModel):
    index: int
    query_ms: int
    ref_ms: int
    url: str


class CaseEventOut(ORM):
    at: datetime
    actor: str
    event: str
    from_state: str | None
    to_state: str
    detail: dict


class CaseOut(ORM):
    id: int
    holder_id: int
    work_id: int
    work_title: str
    episode_id: int | None
    platform: str
    video_id: str
    url: str
    title: str
    uploader_id: str | None
    uploader_name: str | None
    view_count: int | None
    uploaded_at: datetime | None
    state: str
    action: str
    policy_reason: str
    score: float
    matched_ms: int
    query_share: float
    ref_share: float
    detected_at: datetime
    notice_deadline: datetime
    notified_at: datetime | None
    removed_at: datetime | None


class NoticeOut(BaseModel):
    id: int
    public_id: str
    work_id: int
    platform: str
    stage: str
    language: str
    recipient: str
    subject: str
    created_at: datetime
    case_ids: list[int]
    delivery_status: str | None
    sent_at: datetime | None
    possibly_delivered_at: datetime | None = None  # a sender died mid-exchange (e-mail: maybe 2 copies)


class NoticeDetail(NoticeOut):
    text: str


class CaseDetail(CaseOut):
    matches: list[dict]
    events: list[CaseEventOut]
    notices: list[NoticeOut]
    keyframes: list[Keyframe]
    evidence_sha256: str | None


class AllowIn(BaseModel):
    kind: AllowKind
    value: Name
    platform: Name | None = Field(None, description="None: every platform")
    note: Annotated[Text, StringConstraints(max_length=500)] = ""
    work_id: int | None = Field(None, description="one work; None: every work of the tenant")
    holder_id: int | None = Field(None, description="admins only, for a tenant-wide entry")


class AllowOut(ORM):
    id: int
    kind: str
    value: str
    platform: str | None
    note: str
    work_id: int | None
    holder_id: int | None


class PolicyIn(BaseModel):
    action: Action
    priority: Annotated[int, Field(ge=0, le=10_000)] = 100
    min_matched_s: Annotated[float, Field(ge=0, le=86_400)] = 0.0
    min_query_share: Annotated[float, Field(ge=0, le=1)] = 0.0
    min_ref_share: Annotated[float, Field(ge=0, le=1)] = 0.0
    min_score: Annotated[float, Field(ge=0, le=1)] = 0.0
    platforms: list[Name] = Field(default_factory=list, max_length=50)
    name: Annotated[Line, StringConstraints(max_length=200)] = ""


class PolicyOut(ORM):
    id: int
    work_id: int
    action: str
    priority: int
    min_matched_s: float
    min_query_share: float
    min_ref_share: float
    min_score: float
    platforms: list[str]
    name: str


class ExclusionIn(BaseModel):
    """Reference time of one episode that never counts as evidence; ``whole``: all of it (a
    trailer or official clip registered as an episode, so re-posts of it are not copies)."""

    episode_id: int
    start_s: Annotated[float, Field(ge=0, le=86_400)] = 0.0
    end_s: Annotated[float, Field(gt=0, le=86_400)] | None = None
    whole: bool = False
    reason: Annotated[Line, StringConstraints(max_length=200)] = ""


class ExclusionOut(ORM):
    id: int
    episode_id: int
    start_ms: int
    end_ms: int
    reason: str


class PlatformOut(BaseModel):
    name: str
    plugin: bool = Field(description="a crawler plugin of this name exists")
    crawled: bool = Field(description="configured in crawler.platforms")
    notice_channel: str
    notice_recipient: str | None = Field(description="None: notices for it are blocked (alert raised)")
