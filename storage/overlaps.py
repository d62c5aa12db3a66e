"""Reference overlaps: spans a registered episode shares with another (credits, recaps, reused
shots), found at registration by ``matcher.overlaps``. Claim resolution reads them as each
episode's shared footage; a pair across rights holders is marked for review (two holders
claiming the same footage)."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Integer, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from matcher.overlaps import Overlap
from storage.base import Base, UTCDateTime, utcnow
from storage.models import Episode, Work


class ReferenceOverlapRow(Base):
    """``episode_id`` (the later registration) shows in ``start_ms``–``end_ms`` what
    ``other_episode_id`` shows in ``other_start_ms``–``other_end_ms``."""

    __tablename__ = "reference_overlaps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("episodes.id", ondelete="CASCADE"), index=True)
    other_episode_id: Mapped[int] = mapped_column(ForeignKey("episodes.id", ondelete="CASCADE"), index=True)
    start_ms: Mapped[int] = mapped_column(Integer)
    end_ms: Mapped[int] = mapped_column(Integer)
    other_start_ms: Mapped[int] = mapped_column(Integer)
    other_end_ms: Mapped[int] = mapped_column(Integer)
    similarity: Mapped[float] = mapped_column(Float)
    cross_holder: Mapped[bool] = mapped_column(Boolean, default=False)  # flagged for review
    found_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


def add_overlaps(episode: Episode, overlaps: Iterable[Overlap], *, session: Session) -> list[ReferenceOverlapRow]:
    """Store what ``episode`` shares with registered episodes; marks pairs across holders."""
    rows = []
    for o in overlaps:
        other = session.get(Episode, o.other_episode_id)
        if other is None:
            continue  # removed meanwhile
        row = ReferenceOverlapRow(
            episode_id=episode.id, other_episode_id=o.other_episode_id, start_ms=o.start_ms, end_ms=o.end_ms,
            other_start_ms=o.other_start_ms, other_end_ms=o.other_end_ms, similarity=o.similarity,
            cross_holder=other.work.holder_id != episode.work.holder_id,
        )
        session.add(row)
        rows.append(row)
    session.flush()
    return rows


def shared_spans(*, session: Session) -> dict[int, list[tuple[int, int]]]:
    """Every episode's shared footage on its own timeline (ms), both sides of each overlap."""
    spans: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for row in session.scalars(select(ReferenceOverlapRow)):
        spans[row.episode_id].append((row.start_ms, row.end_ms))
        spans[row.other_episode_id].append((row.other_start_ms, row.other_end_ms))
    return dict(spans)


def overlaps_of_work(work_id: int, *, session: Session) -> list[dict]:
    """The work's overlaps for its page: one line per (own episode, other episode, span), either
    side of the stored pair, with the other episode's work and whether it is another holder's."""
    own = select(Episode.id).where(Episode.work_id == work_id)
    rows = session.scalars(select(ReferenceOverlapRow).where(
        or_(ReferenceOverlapRow.episode_id.in_(own), ReferenceOverlapRow.other_episode_id.in_(own))
    ).order_by(ReferenceOverlapRow.id))
    out = []
    for row in rows:
        sides = [(row.episode_id, row.start_ms, row.end_ms, row.other_episode_id, row.other_start_ms, row.other_end_ms),
                 (row.other_episode_id, row.other_start_ms, row.other_end_ms, row.episode_id, row.start_ms, row.end_ms)]
        for mine, s, e, theirs, os, oe in sides:
            episode, other = session.get(Episode, mine), session.get(Episode, theirs)
            if episode.work_id != work_id:
                continue
            other_work = session.get(Work, other.work_id)
            out.append({
                "episode": episode.number, "start_s": s / 1000, "end_s": e / 1000,
                # another holder's footage is named only as "another rights holder's"
                "other_work": None if row.cross_holder else other_work.title,
                "other_episode": None if row.cross_holder else other.number,
                "other_start_s": os / 1000, "other_end_s": oe / 1000,
                "cross_holder": row.cross_holder,
            })
    return out
