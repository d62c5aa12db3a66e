"""A work's edits: title, aliases and registration number (the UI form and the API's PATCH), and
its excluded intervals (reference time that never counts as evidence)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage import work_rules
from storage.work_rules import ExcludedInterval
from storage.models import Work
from workspace.errors import Conflict, Invalid, NotFound


def update_work(work: Work, *, title: str | None = None, aliases: list[str] | None = None,
                registration_number: str | None = None, session: Session) -> Work:
    """A title another work of the tenant has is a conflict (titles identify works in the CLI)."""
    if title is not None:
        title = title.strip()
        if not title:
            raise Invalid("the title cannot be empty")
        taken = session.scalar(select(Work.id).where(Work.holder_id == work.holder_id, Work.title == title,
                                                     Work.id != work.id))
        if taken:
            raise Conflict(f"another work is titled '{title}'")
        work.title = title
    if aliases is not None:
        work.aliases = aliases
    if registration_number is not None:
        work.registration_number = registration_number.strip() or None
    session.flush()
    return work


def add_exclusion(work: Work, *, episode_id: int, start_s: float = 0.0, end_s: float | None = None,
                  whole: bool = False, reason: str = "", session: Session) -> ExcludedInterval:
    """An excluded interval: an episode's seconds, or the whole episode (a trailer). Checked against
    the episode's length, so a typo cannot exclude nothing or everything silently."""
    episode = next((e for e in work.episodes if e.id == episode_id), None)
    if episode is None:
        raise NotFound("episode not found")
    duration_ms = int(round(episode.duration_s * 1000))
    if whole:
        start_ms, end_ms = 0, max(duration_ms, 1)
    else:
        if end_s is None:
            raise Invalid("give end_s, or whole=true")
        start_ms, end_ms = int(round(start_s * 1000)), int(round(end_s * 1000))
        if end_ms <= start_ms:
            raise Invalid("end_s must be after start_s")
        if start_ms >= duration_ms:
            raise Invalid(f"start_s is past the episode's end ({episode.duration_s:.1f} s)")
        end_ms = min(end_ms, duration_ms)
    return work_rules.add_excluded_interval(session, episode_id=episode.id, start_ms=start_ms, end_ms=end_ms,
                                            reason=reason)
