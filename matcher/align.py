"""Temporal alignment: find the straight line ``t_ref = a·t_query + b`` most frame pairs agree on.

Pirated copies are sped up or slowed down and cut, so a pure offset vote is not enough: every
slope in a bounded range is tried, offsets are voted in a histogram, and the best line's inliers
become the matched segments. Pure function of its inputs; times in milliseconds.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class AlignParams:
    min_similarity: float = 0.75  # frame pairs below this are not evidence
    tolerance_ms: int = 400  # how far from the line an inlier may lie
    min_slope: float = 0.5
    max_slope: float = 2.0
    slopes: int = 41
    max_gap_ms: int = 2500  # a longer gap in the query splits segments
    min_frames: int = 3


@dataclass(frozen=True)
class Segment:
    """A matched span on both timelines, in milliseconds."""

    query_start_ms: int
    query_end_ms: int
    ref_start_ms: int
    ref_end_ms: int
    frames: int
    similarity: float


@dataclass(frozen=True)
class Alignment:
    """The best line for one (query, reference) pair and what it covers on both sides."""

    slope: float
    offset_ms: float
    segments: tuple[Segment, ...]
    inlier_frames: int
    mean_similarity: float
    query_coverage: float  # share of the query duration matched
    ref_coverage: float  # share of the reference duration matched
    inliers: tuple[tuple[int, int, float], ...] = field(default=(), repr=False)

    @property
    def matched_ms(self) -> int:
        return sum(s.query_end_ms - s.query_start_ms for s in self.segments)


def align(
    query_times: np.ndarray,
    ref_times: np.ndarray,
    similarities: np.ndarray,
    *,
    query_duration_ms: int,
    ref_duration_ms: int,
    step_ms: int,
    params: AlignParams = AlignParams(),
) -> Alignment | None:
    """Align candidate frame pairs ``(query_times[i], ref_times[i], similarities[i])``.

    Returns ``None`` when fewer than ``min_frames`` query frames agree on any line.
    """
    keep = similarities >= params.min_similarity
    tq = np.asarray(query_times, np.float64)[keep]
    tr = np.asarray(ref_times, np.float64)[keep]
    sim = np.asarray(similarities, np.float64)[keep]
    if len(np.unique(tq)) < params.min_frames:
        return None
    best: tuple[float, float, float] | None = None  # (support, slope, offset)
    bin_ms = params.tolerance_ms
    for slope in np.geomspace(params.min_slope, params.max_slope, params.slopes):
        offsets = tr - slope * tq
        bins = np.floor(offsets / bin_ms).astype(np.int64)
        lo = bins.min()
        votes = np.bincount(bins - lo, weights=sim)
        # a line may straddle two bins: score adjacent pairs
        pair = votes[:-1] + votes[1:] if len(votes) > 1 else votes
        j = int(np.argmax(pair))
        support = float(pair[j])
        if best is None or support > best[0]:
            chosen = (bins - lo == j) | (bins - lo == j + 1)
            best = (support, float(slope), float(np.median(offsets[chosen])))
    assert best is not None
    _, slope, offset = best
    residual = np.abs(tr - (slope * tq + offset))
    inlier = residual <= params.tolerance_ms
    # one pair per query frame: the most similar
    chosen: dict[int, tuple[int, int, float]] = {}
    for q, r, s in zip(tq[inlier], tr[inlier], sim[inlier]):
        key = int(q)
        if key not in chosen or s > chosen[key][2]:
            chosen[key] = (key, int(r), float(s))
    if len(chosen) < params.min_frames:
        return None
    pairs = sorted(chosen.values())
    segments = _segments(pairs, slope, step_ms, params)
    if not segments:
        return None
    used = [p for p in pairs if any(s.query_start_ms <= p[0] < s.query_end_ms for s in segments)]
    matched_q = sum(s.query_end_ms - s.query_start_ms for s in segments)
    matched_r = sum(s.ref_end_ms - s.ref_start_ms for s in segments)
    return Alignment(
        slope=slope,
        offset_ms=offset,
        segments=tuple(segments),
        inlier_frames=len(used),
        mean_similarity=float(np.mean([p[2] for p in used])),
        query_coverage=min(1.0, matched_q / max(query_duration_ms, 1)),
        ref_coverage=min(1.0, matched_r / max(ref_duration_ms, 1)),
        inliers=tuple(used),
    )


def _segments(
    pairs: list[tuple[int, int, float]], slope: float, step_ms: int, params: AlignParams
) -> list[Segment]:
    groups: list[list[tuple[int, int, float]]] = [[pairs[0]]]
    for pair in pairs[1:]:
        if pair[0] - groups[-1][-1][0] > params.max_gap_ms:
            groups.append([pair])
        else:
            groups[-1].append(pair)
    segments = []
    for group in groups:
        if len(group) < params.min_frames:
            continue
        q0, q1 = group[0][0], group[-1][0] + step_ms
        r0 = min(p[1] for p in group)
        r1 = max(p[1] for p in group) + int(round(step_ms * slope))
        segments.append(
            Segment(q0, q1, r0, r1, len(group), float(np.mean([p[2] for p in group])))
        )
    return segments
