"""Tenant-scoped reads of the registry for the API and UI.

Every function takes ``holder_id``: the tenant the caller may see, or ``None`` for an admin. The
filter lives here, in the query, so a page or endpoint cannot forget it.
"""
from __future__ import annotations

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from storage.models import Episode, Fingerprint, RightsHolder, Work


def _works(holder_id: int | None) -> Select:
    query = select(Work)
    return query if holder_id is None else query.where(Work.holder_id == holder_id)


def list_works(*, holder_id: int | None, session: Session) -> list[tuple[Work, int]]:
    """Works with their episode counts, by title."""
    counts = (
        select(Episode.work_id, func.count().label("n")).group_by(Episode.work_id).subquery()
    )
    query = (
        _works(holder_id)
        .add_columns(func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.work_id == Work.id)
        .order_by(Work.title, Work.id)
    )
    return [(work, count) for work, count in session.execute(query)]


def get_work(work_id: int, *, holder_id: int | None, session: Session) -> Work | None:
    return session.scalar(
        _works(holder_id)
        .where(Work.id == work_id)
        .options(selectinload(Work.episodes).selectinload(Episode.fingerprint), selectinload(Work.holder))
    )


def episode_receipt(episode: Episode) -> dict:
    """What the registration proves: file hash, fingerprint digest and parameters, time."""
    fp: Fingerprint | None = episode.fingerprint
    return {
        "sha256": episode.sha256,
        "size_bytes": episode.size_bytes,
        "fingerprint_digest": fp.digest if fp else None,
        "frame_count": fp.frame_count if fp else 0,
        "algorithm": episode.fp_algorithm,
        "version": episode.fp_version,
        "params": episode.fp_params,
        "registered_at": episode.registered_at,
    }


def list_holders(*, session: Session) -> list[RightsHolder]:
    return list(session.scalars(select(RightsHolder).order_by(RightsHolder.name)))
