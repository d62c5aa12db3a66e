"""Repository functions for the registry (holders, works, episodes, fingerprints).

All take ``session`` keyword-only; the caller owns the transaction (see ``storage.db.transaction``).
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, selectinload

from fingerprint import versions
from storage.cases import Case, Notice
from storage.models import Episode, Fingerprint, RightsHolder, Work


@dataclass(frozen=True)
class StoredFingerprint:
    episode_id: int
    times_ms: np.ndarray
    vectors: np.ndarray


def pack_fingerprint(times_ms: np.ndarray, vectors: np.ndarray) -> tuple[bytes, bytes, str]:
    """Little-endian raw arrays and the SHA-256 over both (the digest receipts cite)."""
    times = np.ascontiguousarray(times_ms, dtype="<i8").tobytes()
    vecs = np.ascontiguousarray(vectors, dtype="<f4").tobytes()
    return times, vecs, hashlib.sha256(times + vecs).hexdigest()


def digest_matches(row: Fingerprint) -> bool:
    """True when the stored arrays still hash to the digest recorded at registration."""
    return hashlib.sha256(row.times_ms + row.vectors).hexdigest() == row.digest


def unpack_fingerprint(row: Fingerprint) -> StoredFingerprint:
    times = np.frombuffer(row.times_ms, dtype="<i8").astype(np.int64)
    vectors = np.frombuffer(row.vectors, dtype="<f4").reshape(-1, row.dim).astype(np.float32)
    return StoredFingerprint(row.episode_id, times, vectors)


def get_or_create_holder(name: str, *, session: Session) -> RightsHolder:
    holder = session.scalar(select(RightsHolder).where(RightsHolder.name == name))
    if holder is None:
        holder = RightsHolder(name=name)
        session.add(holder)
        session.flush()
    return holder


def get_or_create_work(title: str, holder: RightsHolder, *, session: Session) -> Work:
    work = session.scalar(select(Work).where(Work.holder_id == holder.id, Work.title == title))
    if work is None:
        work = Work(holder=holder, title=title, aliases=[], licensed_accounts=[])
        session.add(work)
        session.flush()
    return work


def find_episode_by_sha(sha256: str, *, session: Session) -> Episode | None:
    return session.scalar(
        select(Episode).where(Episode.sha256 == sha256).options(selectinload(Episode.work))
    )


def find_episode(work: Work, number: int, *, session: Session) -> Episode | None:
    return session.scalar(select(Episode).where(Episode.work_id == work.id, Episode.number == number))


def add_episode(
    work: Work,
    *,
    number: int,
    source_name: str,
    duration_s: float,
    sha256: str,
    size_bytes: int,
    algorithm: str,
    version: int,
    params: dict,
    times_ms: np.ndarray,
    vectors: np.ndarray,
    session: Session,
) -> Episode:
    times, vecs, digest = pack_fingerprint(times_ms, vectors)
    episode = Episode(
        work=work,
        number=number,
        source_name=source_name,
        duration_s=duration_s,
        sha256=sha256,
        size_bytes=size_bytes,
        fp_algorithm=algorithm,
        fp_version=version,
        fp_params=params,
    )
    episode.fingerprint = Fingerprint(
        frame_count=len(times_ms),
        dim=int(vectors.shape[1]),
        times_ms=times,
        vectors=vecs,
        digest=digest,
    )
    session.add(episode)
    session.flush()
    return episode


def list_works(*, session: Session) -> list[Work]:
    return list(
        session.scalars(
            select(Work)
            .options(selectinload(Work.episodes), selectinload(Work.holder))
            .order_by(Work.title)
        )
    )


def find_works(title: str, *, holder: str | None = None, session: Session) -> list[Work]:
    query = select(Work).where(Work.title == title).options(selectinload(Work.episodes))
    if holder is not None:
        query = query.join(Work.holder).where(RightsHolder.name == holder)
    return list(session.scalars(query))


def episode_catalogue(*, session: Session) -> dict[int, tuple[str, int, int, str, float]]:
    """episode id → (work title, work id, episode number, source name, duration s)."""
    rows = session.execute(
        select(Episode.id, Work.title, Work.id, Episode.number, Episode.source_name, Episode.duration_s)
        .join(Episode.work)
    )
    return {r[0]: (r[1], r[2], r[3], r[4], r[5]) for r in rows}


def fingerprints_for(episode_ids: set[int], *, session: Session) -> list[StoredFingerprint]:
    if not episode_ids:
        return []
    rows = session.scalars(select(Fingerprint).where(Fingerprint.episode_id.in_(episode_ids)))
    return [unpack_fingerprint(row) for row in rows]


def all_episode_ids(*, session: Session) -> set[int]:
    """Every episode, archived works' included (their files are evidence, never orphans)."""
    return set(session.scalars(select(Episode.id)))


def episode_ids(*, session: Session) -> set[int]:
    """Episodes the index should hold: those of works not archived, fingerprinted by a version
    this code compares (fingerprint.versions)."""
    return set(session.scalars(select(Episode.id).join(Episode.work).where(
        Work.archived_at.is_(None), _comparable(versions.VIDEO))))


def stale_episodes(*, session: Session) -> list[tuple[int, str, int]]:
    """(episode id, algorithm, version) of episodes fingerprinted by a version this code does not
    compare: never matched until registered again."""
    rows = session.execute(select(Episode.id, Episode.fp_algorithm, Episode.fp_version)
                           .where(~_comparable(versions.VIDEO)).order_by(Episode.id))
    return [(row.id, row.fp_algorithm, row.fp_version) for row in rows]


def _comparable(known: frozenset[tuple[str, int]]):
    return or_(*(and_(Episode.fp_algorithm == algorithm, Episode.fp_version == version) for algorithm, version in known))


def descriptor_totals(*, session: Session) -> tuple[int, int]:
    """(episodes with a fingerprint, descriptors in them), without reading any vector."""
    episodes, descriptors = session.execute(
        select(func.count(Fingerprint.episode_id), func.coalesce(func.sum(Fingerprint.frame_count), 0))
    ).one()
    return int(episodes), int(descriptors)


def iter_fingerprints(*, session: Session, batch: int = 64) -> Iterator[StoredFingerprint]:
    """Every stored fingerprint in episode order, ``batch`` rows in memory at a time (a rebuild
    reads the whole library: tens of GB of vectors at the largest sizes)."""
    query = (select(Fingerprint).join(Episode, Episode.id == Fingerprint.episode_id).join(Episode.work)
             .where(Work.archived_at.is_(None)).order_by(Fingerprint.episode_id).execution_options(yield_per=batch))
    for row in session.scalars(query):
        yield unpack_fingerprint(row)


@dataclass(frozen=True)
class Removal:
    """One work ``works remove`` touches, and what cites it (cases, notices)."""

    work_id: int
    title: str
    holder: str
    episodes: int
    cases: int
    notices: int

    @property
    def archive(self) -> bool:
        return bool(self.cases or self.notices)


def citations(work_id: int, *, session: Session) -> tuple[int, int]:
    """(cases, notices) of a work: while there are any, the work is a legal record."""
    cases = session.scalar(select(func.count()).select_from(Case).where(Case.work_id == work_id))
    notices = session.scalar(select(func.count()).select_from(Notice).where(Notice.work_id == work_id))
    return int(cases or 0), int(notices or 0)


def removal_plan(title: str, *, holder: str | None = None, session: Session) -> list[Removal]:
    """What removing the works so titled does: delete each, or archive it where cases or notices
    cite it (legal records are never deleted). Archived works are not listed again."""
    return [Removal(w.id, w.title, w.holder.name, len(w.episodes), *citations(w.id, session=session))
            for w in find_works(title, holder=holder, session=session) if w.archived_at is None]


def retire_works(plan: list[Removal], *, now: datetime, session: Session) -> tuple[int, list[int], set[int]]:
    """Archive cited works (rows, receipts and files kept), delete the others; re-checks the
    citations in this transaction. Returns (works touched, episodes to drop from the index,
    episodes deleted with their work)."""
    touched, gone, deleted = 0, [], set()
    for item in plan:
        work = session.get(Work, item.work_id)
        if work is None or work.archived_at is not None:
            continue
        touched += 1
        gone += [e.id for e in work.episodes]
        if any(citations(work.id, session=session)):
            work.archived_at = now
        else:
            deleted.update(e.id for e in work.episodes)
            session.delete(work)
    return touched, gone, deleted
