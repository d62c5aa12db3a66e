"""Fit the crop of a copy on the reference's keyframes, when no stored view has its extent.

A reference is stored with a few fixed views (whole, centre, windows against each edge), so a
copy cropped to another box — AugLy's crop keeps any box and stretches it back, changing the
aspect ratio; a 25 % crop against a corner — matches none of them well and its line falls
apart into the few seconds the views happen to cover, often only the series' shared intro.
Adding more stored views was tried: each one also makes two shots of one set look alike
(benchmarks/RESULTS.md, issue 23). Instead, for a candidate the matcher already found (its
line says which reference second each query second shows), the crop is *fitted*: a box on
the reference's keyframes (one per second, kept for evidence) is searched that makes the
cropped keyframes look like the copy's frames at the line's times. Only a box that makes
them alike along the line (median similarity ``min_similarity``) is believed — look-alike
footage of another episode fits no box at the same times. The fitted keyframes then give one
more frame pair per query frame (interpolated between the two keyframes around its reference
time), which the matcher aligns and scores as any other evidence. Pure: arrays in, arrays out.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from fingerprint import descriptor
from fingerprint.borders import Box

Keyframes = Sequence[tuple[int, np.ndarray]]  # (reference ms, grey uint8 picture), time order


@dataclass(frozen=True)
class FitParams:
    samples: int = 10  # keyframes the box is fitted on, spread along the line
    min_samples: int = 3
    min_side: float = 0.45  # a box narrower than this share of the frame is not searched
    steps: tuple[float, ...] = (0.08, 0.04, 0.02)  # side moves tried, coarse to fine
    min_similarity: float = 0.85  # median similarity the fitted box must reach on the samples
    # one of the starting boxes (whole, centre, corners, edges) must already look somewhat like
    # the copy: a crop keeps most of the picture, look-alike footage of another episode at the
    # line's times does not (0.1-0.3 measured on benchmarks.weak_set), and is not worth a search
    min_start: float = 0.45
    # similarity a line's fit loses per octave off normal speed when lines are compared: a crop
    # of near-static footage fits a half-speed line as well as the true one (0.987 measured on
    # a talking head, benchmarks.crop_set), and its cited reference span would be half the copy
    speed_penalty: float = 0.02
    min_gain: float = 0.05  # over the uncropped keyframes: else the stored views already cover it
    max_gap_ms: int = 1500  # a query frame farther than this from a keyframe gets no fitted pair


@dataclass(frozen=True)
class Fit:
    box: Box
    similarity: float  # median over the samples, fitted box
    uncropped: float  # the same with the whole keyframe


def _query_rows(times_ms: np.ndarray, at_ms: np.ndarray, within_ms: int) -> np.ndarray:
    """Index of the query row nearest each time, -1 where none lies within ``within_ms``."""
    order = np.argsort(times_ms, kind="stable")
    t = times_ms[order]
    i = np.clip(np.searchsorted(t, at_ms), 1, max(1, len(t) - 1))
    left, right = t[np.maximum(i - 1, 0)], t[np.minimum(i, len(t) - 1)]
    pick = np.where(np.abs(at_ms - left) <= np.abs(right - at_ms), i - 1, i)
    pick = np.clip(pick, 0, len(t) - 1)
    near = np.abs(t[pick] - at_ms) <= within_ms
    return np.where(near, order[pick], -1)


def fit_crop(query_times_ms: np.ndarray, query_vectors: np.ndarray, keyframes: Keyframes, *,
             slope: float, offset_ms: float, params: FitParams = FitParams(), starts: Sequence[Box] = ()) -> Fit | None:
    """The box of the reference that the query shows, or ``None`` when no box fits.

    ``query_*``: the copy's whole-picture rows (mirrored already when the line is flipped);
    the line maps query time ``t`` to reference time ``slope * t + offset_ms``; ``starts``: more
    boxes the ascent may start from (where :mod:`matcher.crop_candidates` found the copy).
    """
    if not keyframes or len(query_times_ms) == 0:
        return None
    ref_ms = np.array([t for t, _ in keyframes], np.float64)
    at = (ref_ms - offset_ms) / slope
    # a keyframe a few ms before the copy's first frame still shows it (a 3-s clip has 3)
    inside = (at >= query_times_ms.min() - 150) & (at <= query_times_ms.max() + 150)
    rows = _query_rows(query_times_ms, at, 150)
    usable = np.flatnonzero(inside & (rows >= 0))
    if len(usable) < params.min_samples:
        return None
    chosen = usable[np.linspace(0, len(usable) - 1, min(params.samples, len(usable))).round().astype(int)]
    pictures = [keyframes[k][1] for k in chosen]
    wanted = query_vectors[rows[chosen]]

    def similarity(box: Box, every: int = 1) -> float:
        described = np.stack([descriptor.describe(box.crop(p)) for p in pictures[::every]])
        return float(np.median(np.einsum("ij,ij->i", described, wanted[::every])))

    # the starts on every other sample: most candidates are look-alikes that no start fits
    tried = [(similarity(b, 2), b) for b in (Box(), *STARTS, *starts)]
    if max(v for v, _ in tried) < params.min_start:
        return None
    best_two = sorted(tried, key=lambda f: -f[0])[:2]
    start = max(((similarity(b), b) for _, b in best_two), key=lambda f: f[0])
    uncropped = similarity(Box())
    best, best_sim = _ascend(similarity, *start, params)
    if best_sim < params.min_similarity or best_sim < uncropped + params.min_gain:
        return None
    return Fit(best, round(best_sim, 4), round(uncropped, 4))


# where the ascent may start besides the whole frame: the centre, the four corners and the
# four edges (a crop of a quarter against a corner is too far from the whole frame to climb to)
STARTS = (
    Box(0.1, 0.1, 0.9, 0.9),
    *(Box(x, y, x + 0.75, y + 0.75) for x in (0.0, 0.25) for y in (0.0, 0.25)),
    Box(0.0, 0.1, 0.8, 0.9), Box(0.2, 0.1, 1.0, 0.9), Box(0.1, 0.0, 0.9, 0.8), Box(0.1, 0.2, 0.9, 1.0),
)


def _ascend(similarity, value: float, box: Box, params: FitParams) -> tuple[Box, float]:
    """Greedy ascent: move one side at a time while that makes the keyframes more alike; the
    coarse steps on every other sample (half the cost), the finest on all of them."""
    for k, step in enumerate(params.steps):
        every = 1 if k == len(params.steps) - 1 else 2
        value = similarity(box, every)
        improved = True
        while improved:
            improved = False
            for moved in _moves(box, step, params.min_side):
                v = similarity(moved, every)
                if v > value + 1e-4:
                    box, value, improved = moved, v, True
    return box, value


def _moves(box: Box, step: float, min_side: float) -> list[Box]:
    """The box with one side moved in or out by ``step`` (kept inside the frame, not too small)."""
    sides = [box.left, box.top, box.right, box.bottom]
    out = []
    for i in range(4):
        for d in (-step, step):
            s = list(sides)
            s[i] = min(1.0, max(0.0, s[i] + d))
            b = Box(*s)
            if b.right - b.left >= min_side and b.bottom - b.top >= min_side and s != sides:
                out.append(b)
    return out


def fitted_pairs(query_times_ms: np.ndarray, query_vectors: np.ndarray, keyframes: Keyframes, box: Box, *,
                 slope: float, offset_ms: float, params: FitParams = FitParams()) -> list[tuple[int, int, float]]:
    """(query ms, reference ms, similarity) for every query row whose reference time on the line
    lies between two keyframes: the fitted keyframes' descriptors interpolated to that time."""
    ref_ms = np.array([t for t, _ in keyframes], np.float64)
    described = np.stack([descriptor.describe(box.crop(p)) for _, p in keyframes])
    tr = slope * query_times_ms.astype(np.float64) + offset_ms
    if len(ref_ms) == 1:  # one keyframe: it stands for the time around it
        described, ref_ms = np.vstack([described, described]), np.array([ref_ms[0], ref_ms[0] + 1.0])
    # the keyframes before and after (the first two / last two outside them: the nearest is used)
    i = np.clip(np.searchsorted(ref_ms, tr), 1, len(ref_ms) - 1)
    t0, t1 = ref_ms[i - 1], ref_ms[i]
    ok = (t1 - t0 <= 2 * params.max_gap_ms) & (tr >= ref_ms[0] - params.max_gap_ms) & (tr <= ref_ms[-1] + params.max_gap_ms)
    ok &= np.minimum(np.abs(tr - t0), np.abs(t1 - tr)) <= params.max_gap_ms
    a = np.clip((tr - t0) / np.maximum(t1 - t0, 1), 0, 1)[:, None]
    mixed = (1 - a) * described[i - 1] + a * described[i]
    mixed /= np.maximum(np.linalg.norm(mixed, axis=1, keepdims=True), 1e-9)
    sims = np.einsum("ij,ij->i", mixed, query_vectors)
    keep = np.flatnonzero(ok)
    return [(int(query_times_ms[k]), int(round(tr[k])), float(sims[k])) for k in keep]
