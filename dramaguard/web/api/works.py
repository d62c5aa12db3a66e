"""Works and episodes: list and create works, upload episodes, follow their registration."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from dramaguard.web.deps import DB, Anyone, Owners, get_services, not_found
from dramaguard.web.schemas import UNPROCESSABLE, Error, EpisodeOut, Receipt, UploadOut, WorkDetail, WorkIn, WorkOut, WorkPatch
from storage import scoped
from storage.auth import Role
from storage.db import transaction
from storage.models import RightsHolder, Work
from storage.uploads import UploadJob, get_job, jobs_for_work
from workspace.works import update_work

router = APIRouter(tags=["works"])

VIDEO_BODY = {
    "requestBody": {
        "required": True,
        "description": "the episode's video file as the raw body (streamed; size-limited)",
        "content": {
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
            "video/mp4": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


def work_out(work: Work, episode_count: int) -> WorkOut:
    return WorkOut.model_validate({**_columns(work), "episode_count": episode_count})


def _columns(work: Work) -> dict:
    return {c: getattr(work, c) for c in WorkOut.model_fields if c != "episode_count"}


def work_detail(work: Work, session) -> WorkDetail:
    receipts = scoped.receipts_of(work, session=session)
    episodes = [
        EpisodeOut(
            id=e.id,
            number=e.number,
            source_name=e.source_name,
            duration_s=e.duration_s,
            receipt=Receipt(**scoped.episode_receipt(e, receipts.get(e.id))),
        )
        for e in work.episodes
    ]
    return WorkDetail(**_columns(work), episode_count=len(episodes), episodes=episodes)


@router.get("/works", response_model=list[WorkOut])
def list_works(principal: Anyone, session: DB) -> list[WorkOut]:
    """The caller's tenant's works (every tenant's for admins)."""
    return [work_out(w, n) for w, n in scoped.list_works(holder_id=principal.scope, session=session)]


@router.post(
    "/works",
    response_model=WorkOut,
    status_code=status.HTTP_201_CREATED,
    responses={409: {"model": Error, "description": "the tenant already has a work with this title"}},
)
def create_work(body: WorkIn, principal: Owners, session: DB) -> WorkOut:
    if principal.role == Role.ADMIN:
        if body.holder_id is None or session.get(RightsHolder, body.holder_id) is None:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, "admins must name an existing holder_id")
        holder_id = body.holder_id
    else:
        if body.holder_id not in (None, principal.holder_id):
            raise HTTPException(status.HTTP_403_FORBIDDEN, "works can only be created for your own tenant")
        holder_id = principal.holder_id
    if session.scalar(select(Work.id).where(Work.holder_id == holder_id, Work.title == body.title)):
        raise HTTPException(status.HTTP_409_CONFLICT, f"a work titled '{body.title}' already exists")
    work = Work(
        holder_id=holder_id,
        title=body.title,
        aliases=body.aliases,
        registration_number=body.registration_number,
        licensed_accounts=body.licensed_accounts,
    )
    session.add(work)
    session.flush()
    return work_out(work, 0)


@router.get("/works/{work_id}", response_model=WorkDetail)
def get_work(work_id: int, principal: Anyone, session: DB) -> WorkDetail:
    """A work with its episodes and their registration receipts."""
    work = scoped.get_work(work_id, holder_id=principal.scope, session=session)
    if work is None:
        raise not_found("work")
    return work_detail(work, session)


@router.patch("/works/{work_id}", response_model=WorkDetail,
              responses={409: {"model": Error, "description": "another work of the tenant has this title"}})
def patch_work(work_id: int, body: WorkPatch, principal: Owners, session: DB) -> WorkDetail:
    """Change the title, aliases or registration number (episodes and receipts stay)."""
    work = scoped.get_work(work_id, holder_id=principal.scope, session=session)
    if work is None:
        raise not_found("work")
    update_work(work, title=body.title, aliases=body.aliases, registration_number=body.registration_number,
                session=session)
    return work_detail(work, session)


@router.post(
    "/works/{work_id}/episodes",
    response_model=UploadOut,
    status_code=status.HTTP_202_ACCEPTED,
    openapi_extra=VIDEO_BODY,
    responses={
        404: {"model": Error, "description": "no such work (or not yours)"},
        409: {"model": Error, "description": "that episode number is already registered"},
        413: {"model": Error, "description": "larger than web.max_upload_bytes"},
        415: {"model": Error, "description": "not a video container, or also another format (polyglot)"},
        422: {"model": UNPROCESSABLE,
              "description": "invalid parameters, or an unreadable video / frames over the decode limits"},
        503: {"model": Error, "description": "web.max_queued_uploads uploads wait to be fingerprinted; retry later"},
        507: {"model": Error, "description": "the server's disk cannot hold the upload; nothing was stored"},
    },
)
async def upload_episode(
    work_id: int,
    request: Request,
    response: Response,
    principal: Owners,
    number: Annotated[int, Query(ge=1, le=100_000, description="episode number")],
    filename: Annotated[str, Query(min_length=1, max_length=200, description="original file name")] = "episode.mp4",
) -> UploadJob:
    """Stream an episode file; it is fingerprinted in the background. Poll the returned upload."""
    services = get_services(request)
    uploads = request.app.state.uploads
    # async (the body is streamed), so the database work goes to threads: a blocking call here
    # would stall every request on the event loop while it waits for a connection or a lock
    title, holder_name, holder_id = await run_in_threadpool(_upload_target, services, work_id, number, principal)
    job_id = uploads.new_job_id()
    path, size = await uploads.receive(request, job_id, filename)
    job = UploadJob(id=job_id, holder_id=holder_id, work_id=work_id, user_id=principal.user_id,
                    episode_number=number, filename=path.name, size_bytes=size)
    try:
        await run_in_threadpool(_add_job, services, job)
    except BaseException:
        uploads.discard(path)
        raise
    uploads.submit(job_id, path, work=title, holder=holder_name, number=number)
    response.headers["Location"] = str(request.url_for("get_upload", job_id=job_id))
    return job


def _upload_target(services, work_id: int, number: int, principal) -> tuple[str, str, int]:
    """(work title, holder name, holder id) of a work the principal may add episode ``number`` to."""
    with transaction(services.sessions) as session:
        work = scoped.get_work(work_id, holder_id=principal.scope, session=session)
        if work is None:
            raise not_found("work")
        if any(e.number == number for e in work.episodes):
            raise HTTPException(status.HTTP_409_CONFLICT, f"episode {number} is already registered")
        return work.title, work.holder.name, work.holder_id


def _add_job(services, job: UploadJob) -> None:
    with transaction(services.sessions) as session:
        session.add(job)


@router.get("/works/{work_id}/uploads", response_model=list[UploadOut])
def list_uploads(work_id: int, principal: Anyone, session: DB) -> list[UploadJob]:
    if scoped.get_work(work_id, holder_id=principal.scope, session=session) is None:
        raise not_found("work")
    return jobs_for_work(work_id, session=session)


@router.get("/uploads/{job_id}", response_model=UploadOut, name="get_upload")
def get_upload(job_id: str, principal: Anyone, session: DB) -> UploadJob:
    """Where an upload stands: queued → fingerprinting → registered (with episode_id) or failed."""
    job = get_job(job_id, holder_id=principal.scope, session=session)
    if job is None:
        raise not_found("upload")
    return job
