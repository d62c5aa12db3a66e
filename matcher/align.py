"""Temporal alignment: find the straight line ``t_ref = a·t_query + b`` most frame pairs agree on.

Pirated copies are sped up or slowed down and cut, so a pure offset vote is not enough: every
slope in a bounded range is tried, offsets are voted in a histogram, and the best line's inliers
become the matched segments. Pure function of its inputs; times in milliseconds.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np


@dataclass(frozen=True)
class AlignParams:
    min_similarity: float = 0.75  # frame pairs below this are not evidence
    tolerance_ms: int = 400  # how far from the line an inlier may lie
    min_slope: float = 0.5
    max_slope: float = 2.0
    slopes: int = 41
    # support lost per octave away from normal speed: on near-static footage many slopes fit
    # about equally well and the unedited speed is then the likeliest, so near-ties go to slope
    # 1 (0.002 let a half-speed line 0.2 % better by chance win on a still shot, citing half
    # the reference span: benchmarks.crop_set); a true speed change wins by far more
    speed_prior: float = 0.02
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
    frame = np.unique(tq, return_inverse=True)[1]
    slope, offset = _vote(tq, tr, sim, frame, params)
    slope, offset = _refine(tq, tr, frame, slope, offset, params)
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
    segments = [_within(s, query_duration_ms, ref_duration_ms) for s in _segments(pairs, slope, step_ms, params)]
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


VOTE_BLOCK = 1 << 14  # pair votes per histogram: all slopes at once for short lists, few for long


def _vote(
    tq: np.ndarray, tr: np.ndarray, sim: np.ndarray, frame: np.ndarray, params: AlignParams
) -> tuple[float, float]:
    """The slope and offset most similarity-weighted query frames agree on (a Hough vote).

    Slopes are voted in blocks: a candidate against a large library aligns hundreds of short
    chance lists, where one sort and one histogram for all slopes costs a fifth of one per slope;
    long lists (near-static footage) keep blocks small enough to stay in cache.
    """
    slopes = np.geomspace(params.min_slope, params.max_slope, params.slopes)
    # strongest pairs first, so np.unique's first occurrence below is a frame's best pair
    order = np.argsort(-sim, kind="stable")
    frame_o, tq_o, tr_o, sim_o = frame[order], tq[order], tr[order], sim[order]
    frame2, sim2 = np.concatenate([frame_o, frame_o]), np.concatenate([sim_o, sim_o])
    frames = int(frame.max()) + 1
    per_block = max(1, VOTE_BLOCK // len(sim2))
    support, best_window = np.empty(len(slopes)), np.empty(len(slopes), np.int64)
    for start in range(0, len(slopes), per_block):
        block = slopes[start : start + per_block]
        bins = _bins(tq_o, tr_o, block, params.tolerance_ms)
        # a line may straddle two bins: window j holds bins j and j+1, so each pair votes for
        # windows bin-1 and bin. A query frame votes once per window (with its best pair):
        # near-static footage has many similar pairs per frame, and counting them all lets
        # wrong slopes win.
        window = np.concatenate([bins - 1, bins], axis=1)
        width = int(window.max()) + 1
        rows = np.arange(len(block))[:, None]
        _, first = np.unique(((rows * frames + frame2) * width + window).ravel(), return_index=True)
        votes = np.bincount(
            (rows * width + window).ravel()[first], weights=np.tile(sim2, len(block))[first],
            minlength=len(block) * width,
        ).reshape(len(block), width)
        best_window[start : start + len(block)] = votes.argmax(axis=1)
        support[start : start + len(block)] = votes[np.arange(len(block)), best_window[start : start + len(block)]]
    support *= 1.0 - params.speed_prior * np.abs(np.log2(slopes))
    s = int(np.argmax(support))  # the first of equal supports, as a scan from the slowest slope
    bins = _bins(tq_o, tr_o, slopes[s : s + 1], params.tolerance_ms)[0]
    chosen = (bins - 1 == best_window[s]) | (bins == best_window[s])
    return float(slopes[s]), float(np.median((tr_o - slopes[s] * tq_o)[chosen]))


def _bins(tq: np.ndarray, tr: np.ndarray, slopes: np.ndarray, bin_ms: int) -> np.ndarray:
    """Offset bins of every pair under each slope (rows), numbered from 1 per slope."""
    bins = np.floor((tr[None, :] - slopes[:, None] * tq[None, :]) / bin_ms).astype(np.int64)
    return bins - (bins.min(axis=1, keepdims=True) - 1)


def _refine(
    tq: np.ndarray, tr: np.ndarray, frame: np.ndarray, slope: float, offset: float, params: AlignParams
) -> tuple[float, float]:
    """Least-squares line through each query frame's pair nearest to the voted line.

    The vote only knows the slope to a grid step and the offset to a bin; a few seconds of
    drift fit inside one bin. Nearest (not most similar) pairs keep near-static footage, where
    every frame resembles every other, from pulling the line away.
    """
    for _ in range(2):
        residual = np.abs(tr - (slope * tq + offset))
        near = residual <= params.tolerance_ms
        if not near.any():
            break
        idx = np.flatnonzero(near)[np.argsort(residual[near], kind="stable")]
        _, first = np.unique(frame[idx], return_index=True)
        pick = idx[first]
        if len(pick) < params.min_frames or np.ptp(tq[pick]) <= 0:
            break
        fit_slope, fit_offset = np.polyfit(tq[pick], tr[pick], 1)
        if not params.min_slope <= fit_slope <= params.max_slope:
            break
        slope, offset = float(fit_slope), float(fit_offset)
    return slope, offset


def _within(segment: Segment, query_ms: int, ref_ms: int) -> Segment:
    """``segment`` inside both files: the last frame's step, or a line's pair interpolated
    before the first keyframe, would otherwise cite time a file does not have."""
    def clamp(start: int, end: int, length: int) -> tuple[int, int]:
        end = min(end, length) if length > 0 else end
        start = min(max(0, start), end)
        return start, max(start, end)

    q0, q1 = clamp(segment.query_start_ms, segment.query_end_ms, query_ms)
    r0, r1 = clamp(segment.ref_start_ms, segment.ref_end_ms, ref_ms)
    return replace(segment, query_start_ms=q0, query_end_ms=q1, ref_start_ms=r0, ref_end_ms=r1)


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
