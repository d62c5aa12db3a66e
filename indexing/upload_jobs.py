"""Registering uploaded episodes in the background, one at a time, with a job row per upload.

Registration runs on one worker thread: the FAISS index has a single writer, and the job rows in
``upload_jobs`` say where each upload stands. A job a stopped server left unfinished is marked
failed on the next start (its temporary file is gone), so no upload silently disappears.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from indexing.catalogue import Services
from storage import receipts
from storage.base import utcnow
from storage.db import transaction
from storage.models import Episode
from storage.uploads import UploadState, fail_unfinished, set_state

log = logging.getLogger(__name__)
STOPPED = "the server stopped before this upload was fingerprinted"


class RegistrationJobs:
    def __init__(self, services: Services) -> None:
        self.services = services
        with transaction(services.sessions) as session:
            lost = fail_unfinished(STOPPED, session=session)
        if lost:
            log.warning("%d unfinished uploads from a previous run marked failed", lost)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dg-register")

    def submit(self, job_id: str, path: Path, *, work: str, holder: str, number: int,
               done: Callable[[Path], None]) -> None:
        """Register ``path`` as episode ``number``; ``done(path)`` runs when the job ends, however."""
        self._pool.submit(self._register, job_id, path, work, holder, number, done)

    def _register(self, job_id: str, path: Path, work: str, holder: str, number: int,
                  done: Callable[[Path], None]) -> None:
        try:
            self._set(job_id, UploadState.FINGERPRINTING)
            [result] = self.services.register_files([path], work=work, holder=holder, episode_start=number)
            if result.error:
                self._set(job_id, UploadState.FAILED, error=result.error.replace(str(path.parent) + "/", ""))
            else:
                self._issue_receipt(result.episode_id)
                self._set(job_id, UploadState.REGISTERED, episode_id=result.episode_id)
        except Exception:
            log.exception("upload %s: registration crashed", job_id)
            self._set(job_id, UploadState.FAILED, error="internal error while registering; try again")
        finally:
            done(path)

    def _issue_receipt(self, episode_id: int) -> None:
        """The registration receipt (idempotent: an already issued one is kept)."""
        with transaction(self.services.sessions) as session:
            episode = session.get_one(Episode, episode_id)
            receipts.issue_receipt(session, episode=episode, issued_at=utcnow())

    def _set(self, job_id: str, state: UploadState, **fields) -> None:
        with transaction(self.services.sessions) as session:
            set_state(job_id, state, session=session, **fields)

    def close(self) -> None:
        """Finish the running job; queued ones are dropped and marked failed."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        with transaction(self.services.sessions) as session:
            fail_unfinished(STOPPED, session=session)
