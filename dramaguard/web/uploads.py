"""Episode uploads: stream the body to a temporary file under a size cap, vet it, and hand it to
``indexing.upload_jobs`` to be registered in the background.

At most ``max_queued`` uploads wait on disk at once (503 beyond), and a disk that cannot hold the
body answers 507 with nothing left behind.
"""
from __future__ import annotations

import errno
import logging
import re
import shutil
import threading
import uuid
from pathlib import Path

from fastapi import HTTPException, Request, status
from starlette.requests import ClientDisconnect
from starlette.concurrency import run_in_threadpool

from indexing.catalogue import Services
from indexing.upload_jobs import RegistrationJobs
from fingerprint import DecodeError
from fingerprint.media import probe_video
from fingerprint.sniff import NotVideo, vet_container

log = logging.getLogger(__name__)
_UNSAFE = re.compile(r"[^\w.\- ]+")


def safe_filename(name: str) -> str:
    """A plain file name (no directories, no control characters) kept as the episode's source name."""
    base = _UNSAFE.sub("_", Path(name.replace("\\", "/")).name).strip(" .")
    return base[:200] or "upload.mp4"


class UploadWorker:
    def __init__(self, services: Services, limit_bytes: int, max_queued: int = 16) -> None:
        self.services = services
        self.limit_bytes = limit_bytes
        self.max_queued = max_queued
        self._queued = 0  # received or being received, not yet fingerprinted
        self._queued_lock = threading.Lock()
        self.root = services.settings.home / "uploads"
        shutil.rmtree(self.root, ignore_errors=True)
        self.root.mkdir(parents=True)
        self.jobs = RegistrationJobs(services)

    def new_job_id(self) -> str:
        return uuid.uuid4().hex

    async def receive(self, request: Request, job_id: str, filename: str) -> tuple[Path, int]:
        """Write the request body to ``uploads/<job>/<filename>`` and vet it before accepting it.

        413 past the cap, 400 if empty, 415 if it is not (only) a video container, 422 if its video
        cannot be read or declares frames over the decode limits, 503 while ``max_queued`` uploads
        wait, 507 when the disk cannot hold it; a refused body leaves nothing. An accepted one holds
        its place in the queue until :meth:`submit`'s job ends or :meth:`discard` is called.
        """
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.limit_bytes:
            raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, self._too_large())
        if declared and declared.isdigit() and int(declared) > shutil.disk_usage(self.root).free:
            raise HTTPException(status.HTTP_507_INSUFFICIENT_STORAGE, self._disk_full())
        self._take_place()
        folder = self.root / job_id
        path = folder / safe_filename(filename)
        size = 0
        try:
            folder.mkdir()
            with open(path, "wb") as handle:
                async for chunk in request.stream():
                    size += len(chunk)
                    if size > self.limit_bytes:
                        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, self._too_large())
                    handle.write(chunk)
            if size == 0:
                raise HTTPException(status.HTTP_400_BAD_REQUEST, "the request body (the video file) is empty")
            await run_in_threadpool(self._vet, path)
        except ClientDisconnect:
            self.discard(path)
            log.info("upload %s: the client went away after %d bytes; nothing kept", job_id, size)
            raise HTTPException(status.HTTP_400_BAD_REQUEST, "the upload ended before its body was complete") from None
        except OSError as exc:
            self.discard(path)
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise HTTPException(status.HTTP_507_INSUFFICIENT_STORAGE, self._disk_full()) from exc
            raise
        except BaseException:
            self.discard(path)
            raise
        return path, size

    @property
    def queued(self) -> int:
        """Uploads received or being received, not yet fingerprinted."""
        with self._queued_lock:
            return self._queued

    def _take_place(self) -> None:
        with self._queued_lock:
            if self._queued >= self.max_queued:
                raise HTTPException(
                    status.HTTP_503_SERVICE_UNAVAILABLE,
                    f"{self._queued} uploads are waiting to be fingerprinted; try again in a minute",
                    headers={"Retry-After": "60"},
                )
            self._queued += 1

    def discard(self, path: Path) -> None:
        """Give up an upload that will not be registered: its file and its place in the queue."""
        shutil.rmtree(path.parent, ignore_errors=True)
        with self._queued_lock:
            self._queued -= 1

    def _disk_full(self) -> str:
        return "the server's disk cannot hold this upload now; nothing was stored, try again later"

    def _vet(self, path: Path) -> None:
        """Container type, polyglots and the video header, synchronously: the client hears why."""
        try:
            vet_container(path, path.name)
            probe_video(path, self.services.limits)
        except NotVideo as exc:
            raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, f"{path.name}: {exc.reason}") from exc
        except DecodeError as exc:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"{path.name}: {exc.reason}") from exc

    def _too_large(self) -> str:
        return f"upload larger than the limit of {self.limit_bytes} bytes"

    def submit(self, job_id: str, path: Path, *, work: str, holder: str, number: int) -> None:
        """Registered in the background; the upload's file and queue place go when its job ends."""
        self.jobs.submit(job_id, path, work=work, holder=holder, number=number, done=self.discard)

    def close(self) -> None:
        """Finish the running job, drop queued ones (marked failed), remove temporary files."""
        self.jobs.close()
        shutil.rmtree(self.root, ignore_errors=True)
