"""The music exclusion bank over HTTP: tracks a rights holder (or an admin, for every holder)
says are "not ours", so matching them is never evidence; and the shared sound the matcher flagged.

A holder sees and removes only their own entries (and sees the admin's, which apply to them);
admins see all. The track is streamed to a temporary file under a size cap, fingerprinted, and
deleted: the bank keeps landmarks, not the music.
"""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, status
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from indexing import music_bank
from dramaguard.web.deps import Anyone, Owners, get_services
from dramaguard.web.schemas import UNPROCESSABLE, Error
from storage.auth import Role

router = APIRouter(tags=["music"])
MAX_TRACK_BYTES = 64 * 1024**2

AUDIO_BODY = {
    "requestBody": {
        "required": True,
        "description": "the music file (any container with sound) as the raw body",
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}


class MusicOut(BaseModel):
    id: int
    title: str
    holder: str | None  # None: excluded for every holder
    duration_s: float
    landmarks: int
    sha256: str


class SharedOut(BaseModel):
    episode_id: int
    source: str  # "bank", "episode" or "another holder"
    source_id: int
    start_ms: int
    end_ms: int
    landmarks: int


def _out(entry: music_bank.BankEntry) -> MusicOut:
    return MusicOut(id=entry.id, title=entry.title, holder=entry.holder, duration_s=entry.duration_s,
                    landmarks=entry.landmarks, sha256=entry.sha256)


@router.get("/music-exclusions", response_model=list[MusicOut])
def list_music(request: Request, principal: Anyone) -> list[MusicOut]:
    return [_out(e) for e in music_bank.list_tracks(get_services(request), holder_id=principal.scope)]


@router.post(
    "/music-exclusions", response_model=MusicOut, status_code=status.HTTP_201_CREATED, openapi_extra=AUDIO_BODY,
    responses={400: {"model": Error, "description": "empty body, or admins' holder_id unknown"},
               403: {"model": Error, "description": "a holder adding for another holder or for all"},
               413: {"model": Error, "description": "larger than 64 MiB"},
               422: {"model": UNPROCESSABLE, "description": "invalid parameters, or no sound could be read"}},
)
async def add_music(
    request: Request,
    principal: Owners,
    title: Annotated[str, Query(min_length=1, max_length=300)],
    holder_id: Annotated[int | None, Query(description="admins: the holder it is for; omitted: every holder")] = None,
) -> MusicOut:
    """Exclude a track: for your own works (holders), or for one holder or every holder (admins)."""
    if principal.role != Role.ADMIN:
        if holder_id not in (None, principal.holder_id):
            raise HTTPException(status.HTTP_403_FORBIDDEN, "tracks can only be excluded for your own tenant")
        holder_id = principal.holder_id
    services = get_services(request)
    with tempfile.TemporaryDirectory(dir=services.settings.home) as tmp:
        path = Path(tmp) / "track"
        size = 0
        try:
            with open(path, "wb") as handle:
                async for chunk in request.stream():
                    size += len(chunk)
                    if size > MAX_TRACK_BYTES:
                        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, "a music track is at most 64 MiB")
                    handle.write(chunk)
        except ClientDisconnect:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, "the upload ended before its body was complete") from None
        if size == 0:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, "the request body (the music file) is empty")
        try:
            entry = await run_in_threadpool(music_bank.add_track, services, path, holder_id=holder_id,
                                            title=title, actor=principal.email)
        except music_bank.UnknownHolder as exc:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from exc
        except music_bank.MusicBankError as exc:  # no readable sound: say so without our file path
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc).replace(str(path), title)) from exc
    return _out(entry)


@router.delete("/music-exclusions/{track_id}", status_code=status.HTTP_204_NO_CONTENT,
               responses={404: {"model": Error, "description": "no such entry (or not yours)"}})
def delete_music(track_id: int, request: Request, principal: Owners) -> None:
    try:
        music_bank.remove_track(get_services(request), track_id, holder_id=principal.scope)
    except music_bank.MusicBankError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "music bank entry not found") from exc


@router.get("/music-exclusions/shared", response_model=list[SharedOut])
def shared_music(request: Request, principal: Anyone) -> list[SharedOut]:
    """Stretches of your episodes heard in a bank track or another work: never evidence."""
    flags = music_bank.shared_sound(get_services(request), holder_id=principal.scope)
    return [SharedOut(**f.__dict__) for f in flags]
