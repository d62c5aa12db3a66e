"""Wiring of :mod:`matcher.claims` into scan reports (match reports in, claims out), and of
:mod:`matcher.overlaps` into registration (found, stored, kept in memory for claims).

The rule lives in ``matcher.claims``; this module only converts. A report that claims nothing
keeps its pair score in ``pair_score`` and gets score 0, so a notice (score ≥ notify_score), a
case and ``scan`` output name only claimed episodes, while ``--min-score 0`` still lists every
pair considered.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from sqlalchemy.orm import Session

from matcher.claims import Candidate, Frame, Span, resolve
from matcher.match import MatchParams, score_evidence
from matcher.overlaps import Overlap, find_overlaps
from storage import overlaps as overlaps_store
from storage.db import transaction

log = logging.getLogger(__name__)

Inliers = Mapping[int, Sequence[Frame]]  # episode id → the picture alignment's inlier frames


def _candidate(report, inliers: Inliers, step_ms: int) -> Candidate:
    spans = tuple(
        Span(int(s["query"][0] * 1000), int(s["query"][1] * 1000), int(s["ref"][0] * 1000), int(s["ref"][1] * 1000))
        for s in report.segments
    )
    return Candidate(report.episode_id, report.score, spans, tuple(inliers.get(report.episode_id, ())), step_ms)


def resolve_reports(
    reports: list, *, inliers: Inliers, shared: Mapping[int, Sequence[tuple[int, int]]],
    step_ms: int, params: MatchParams,
) -> list:
    """Claims first (best first), then the reports that claim nothing; reports are updated in place."""
    if not reports:
        return reports

    def rescore(candidate: Candidate, kept: Sequence[Frame], kept_ms: int) -> float:
        report = by_id[candidate.key]
        if not kept or report.video_score is None or not report.video_score:
            return report.score * min(1.0, kept_ms / max(1, _length_ms(candidate))) ** 0.5
        video = score_evidence(sum(f[2] for f in kept) / len(kept), kept_ms, params)
        return report.score * min(1.0, video / report.video_score)

    by_id = {r.episode_id: r for r in reports}
    claims = resolve([_candidate(r, inliers, step_ms) for r in reports], shared=shared, rescore=rescore)
    out = []
    for claim in claims:
        report = by_id[claim.key]
        report.pair_score, report.claim = report.score, claim.status
        report.explained_by = list(claim.explained_by)
        report.shared_s = round(claim.shared_ms / 1000, 3)
        report.score = round(claim.score, 4)
        if claim.status == "claim" and (claim.explained_by or claim.bridged_ms):  # trimmed or bridged
            spans = claim.spans
            kept = sum(s.length_ms for s in spans) / max(1, _length_ms(_candidate(report, {}, step_ms)))
            report.query_coverage = round(report.query_coverage * min(1.0, kept), 4)
            report.ref_coverage = round(report.ref_coverage * min(1.0, kept), 4)
            report.segments = [{"query": [s.query_start_ms / 1000, s.query_end_ms / 1000],
                                "ref": [s.ref_start_ms / 1000, s.ref_end_ms / 1000], "similarity": None}
                               for s in spans]
            report.query_start, report.query_end = spans[0].query_start_ms / 1000, spans[-1].query_end_ms / 1000
            report.ref_start = min(s.ref_start_ms for s in spans) / 1000
            report.ref_end = max(s.ref_end_ms for s in spans) / 1000
        out.append(report)
    return out


def _length_ms(candidate: Candidate) -> int:
    return sum(s.length_ms for s in candidate.spans)


# -- reference overlaps at registration ----------------------------------------------------------
def find_shared(matcher, fp, catalogue: Mapping[int, tuple], *, step_ms: int) -> list[Overlap]:
    """What a new episode shares with the registered ones (before it joins the index);
    ``catalogue`` entries end with the episode's duration in seconds. Only the views of the
    whole picture are compared: a reference's shifted windows are there for cropped copies, and
    between two shots of one set they find look-alike lines that would be stored as shared
    footage and then take a true copy's own seconds (issue 23: series seed 23, µAP 0.939 →
    0.967, no other set changed)."""
    durations = {e: int(entry[-1] * 1000) for e, entry in catalogue.items()}
    fp = fp.whole_views()
    return find_overlaps(matcher, fp, durations, step_ms=step_ms) if len(fp) else []


def store_shared(episode, shared: list[Overlap], result, *, session: Session) -> None:
    """Store the overlaps with the new episode's row; count them (and the cross-holder ones,
    flagged for review) on the registration result."""
    rows = overlaps_store.add_overlaps(episode, shared, session=session)
    result.overlaps = len(rows)
    result.cross_holder_overlaps = sum(r.cross_holder for r in rows)
    if result.cross_holder_overlaps:
        log.warning("episode %d shares %d spans with another rights holder's episodes: to review",
                    episode.id, result.cross_holder_overlaps)


def remember_shared(footage: dict[int, list[tuple[int, int]]], episode_id: int, shared: list[Overlap]) -> None:
    """Both sides of each new overlap into the in-memory shared footage claims read."""
    for o in shared:
        footage.setdefault(episode_id, []).append((o.start_ms, o.end_ms))
        footage.setdefault(o.other_episode_id, []).append((o.other_start_ms, o.other_end_ms))


def load_shared(sessions) -> dict[int, list[tuple[int, int]]]:
    """Every episode's shared footage, read in a transaction of its own."""
    with transaction(sessions) as session:
        return overlaps_store.shared_spans(session=session)
