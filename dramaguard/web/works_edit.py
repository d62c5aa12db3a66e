"""Changing a work's title, aliases and registration number (the UI form and the API's PATCH)."""
from __future__ import annotations

from fastapi import HTTPException, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Work


def update_work(work: Work, *, title: str | None = None, aliases: list[str] | None = None,
                registration_number: str | None = None, session: Session) -> Work:
    """A title another work of the tenant has is a conflict (titles identify works in the CLI)."""
    if title is not None:
        title = title.strip()
        if not title:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, "the title cannot be empty")
        taken = session.scalar(select(Work.id).where(Work.holder_id == work.holder_id, Work.title == title,
                                                     Work.id != work.id))
        if taken:
            raise HTTPException(status.HTTP_409_CONFLICT, f"another work is titled '{title}'")
        work.title = title
    if aliases is not None:
        work.aliases = aliases
    if registration_number is not None:
        work.registration_number = registration_number.strip() or None
    session.flush()
    return work
