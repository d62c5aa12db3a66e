"""Adding an excluded interval: an episode's seconds, or the whole episode (a trailer)."""
from __future__ import annotations

from fastapi import HTTPException, status
from sqlalchemy.orm import Session

from dramaguard.web.deps import not_found
from dramaguard.web.schemas import ExclusionIn
from storage import work_rules
from storage.work_rules import ExcludedInterval
from storage.models import Work


def add_exclusion(work: Work, body: ExclusionIn, *, session: Session) -> ExcludedInterval:
    """Checked against the episode's length, so a typo cannot exclude nothing or everything silently."""
    episode = next((e for e in work.episodes if e.id == body.episode_id), None)
    if episode is None:
        raise not_found("episode")
    duration_ms = int(round(episode.duration_s * 1000))
    if body.whole:
        start_ms, end_ms = 0, max(duration_ms, 1)
    else:
        if body.end_s is None:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, "give end_s, or whole=true")
        start_ms, end_ms = int(round(body.start_s * 1000)), int(round(body.end_s * 1000))
        if end_ms <= start_ms:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, "end_s must be after start_s")
        if start_ms >= duration_ms:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY,
                                f"start_s is past the episode's end ({episode.duration_s:.1f} s)")
        end_ms = min(end_ms, duration_ms)
    return work_rules.add_excluded_interval(session, episode_id=episode.id, start_ms=start_ms, end_ms=end_ms,
                                      reason=body.reason)
