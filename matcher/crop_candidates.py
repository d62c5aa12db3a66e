"""Which episode a box crop may come from, when the index has no hit for it at all.

A box crop stretched back to the frame (AugLy's crop: any box, another aspect ratio) looks like
none of a reference's stored views: on real footage most such copies get no index hit above
0.55 on the reference they come from, so :mod:`matcher.crop_fit` has no line to fit along.
This index proposes one: every stored keyframe (one per second) described under a grid of
boxes (sides 0.6-1, position steps of 0.15), by the *coarse* part of the frame descriptor
(the 4x4 lowest DCT frequencies), which forgives a box a few percent off the copy's. Its hits
are only candidates: an episode is believed only when the crop fit finds a box along the
proposed line that makes its keyframes look like the copy (median similarity 0.85), and is
then aligned and scored as any other evidence. Pure: arrays in, ranked candidates out.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import faiss
import numpy as np

from fingerprint import descriptor
from fingerprint.borders import Box
from matcher.align import Alignment, Segment
from matcher.crop_fit import Keyframes
from matcher.match import Match


def _axis(sides: tuple[float, ...], step: float) -> list[tuple[float, float]]:
    """(start, side) along one axis: each side at starts ``step`` or less apart."""
    out = []
    for side in sides:
        n = max(1, int(round((1 - side) / step)) + 1)
        out += [((1 - side) * i / max(n - 1, 1), side) for i in range(n)]
    return out


_AXIS = _axis((0.6, 0.75, 0.9, 1.0), 0.15)
GRID = tuple(Box(x, y, x + w, y + h) for x, w in _AXIS for y, h in _AXIS if (w, h) != (1.0, 1.0))
COARSE = 4  # DCT frequencies kept per axis: low enough that a box a little off still matches
_KEEP = np.array([v * descriptor.BLOCK + u - 1 for v in range(COARSE) for u in range(COARSE) if u or v])
# what a stored grid was described with: another grid or descriptor makes stored ones stale
GRID_VERSION = f"crop-grid-{len(GRID)}b-{COARSE}c-{descriptor.DIM}d-v1"


def coarse(vectors: np.ndarray) -> np.ndarray:
    """The lowest frequencies of frame descriptors, renormalised (float32, ``(n, 15)``)."""
    kept = np.ascontiguousarray(vectors[:, _KEEP], dtype=np.float32)
    return kept / np.maximum(np.linalg.norm(kept, axis=1, keepdims=True), 1e-9)


CropGrid = tuple[np.ndarray, np.ndarray, np.ndarray]  # (times ms, box index, coarse vectors)


def describe_grid(keyframes: Keyframes) -> CropGrid:
    """(times ms, box index into :data:`GRID`, coarse vectors) of every keyframe under every box."""
    if not keyframes:
        return np.zeros(0, np.int64), np.zeros(0, np.int16), np.zeros((0, len(_KEEP)), np.float32)
    vectors = [descriptor.describe(box.crop(picture)) for _, picture in keyframes for box in GRID]
    times = np.repeat(np.array([t for t, _ in keyframes], np.int64), len(GRID))
    boxes = np.tile(np.arange(len(GRID), dtype=np.int16), len(keyframes))
    return times, boxes, coarse(np.stack(vectors))


@dataclass(frozen=True)
class Candidate:
    episode_id: int
    flipped: bool
    offset_ms: float  # reference time minus query time, at normal speed
    box: Box  # the grid box of the best hit: where the crop fit starts
    support: float  # summed best similarity per query frame

    def as_match(self) -> Match:
        """A score-0 match along the candidate's line, only for :meth:`QueryMatcher.refit` to try."""
        offset = int(self.offset_ms)
        line = Alignment(1.0, self.offset_ms, (Segment(0, 0, offset, offset, 0, 0.0),), 0, 0.0, 0.0, 0.0)
        return Match(self.episode_id, 0.0, self.flipped, line)


class CropCandidates:
    """Every episode's keyframes under the grid, searchable by a copy's whole-picture frames."""

    def __init__(self, grids: Mapping[int, CropGrid]) -> None:
        parts = [(e, g) for e, g in grids.items() if len(g[0])]
        self.episodes = np.concatenate([np.full(len(g[0]), e, np.int64) for e, g in parts]) if parts else np.zeros(0, np.int64)
        self.times = np.concatenate([g[0] for _, g in parts]) if parts else np.zeros(0, np.int64)
        self.boxes = np.concatenate([g[1] for _, g in parts]) if parts else np.zeros(0, np.int16)
        self.index = faiss.IndexFlatIP(len(_KEEP))
        if parts:
            self.index.add(np.concatenate([g[2] for _, g in parts]))

    def __len__(self) -> int:
        return self.index.ntotal

    def search(self, times_ms: np.ndarray, vectors: np.ndarray, *, exclude=(), neighbours: int = 10,
               limit: int = 3, every: int = 2) -> list[Candidate]:
        """The ``limit`` episodes (and orientations) best supported by the copy's frames (every
        ``every``-th): per frame, each episode's best hit among the ``neighbours`` nearest rows."""
        if len(self) == 0 or len(vectors) == 0:
            return []
        t = np.asarray(times_ms)[::every]
        found: list[Candidate] = []
        for flipped, rows in ((False, vectors[::every]), (True, descriptor.mirrored(vectors[::every]))):
            sims, ids = self.index.search(coarse(rows), min(neighbours, len(self)))
            best: dict[int, dict[int, tuple[float, int]]] = {}  # episode → query row → (sim, grid row)
            for q in range(len(ids)):
                for sim, j in zip(sims[q], ids[q]):
                    e = int(self.episodes[j]) if j >= 0 else -1
                    if e < 0 or e in exclude:
                        continue
                    if q not in best.setdefault(e, {}) or sim > best[e][q][0]:
                        best[e][q] = (float(sim), int(j))
            for e, per_row in best.items():
                hits = sorted(per_row.items(), key=lambda kv: -kv[1][0])
                offsets = [float(self.times[j] - t[q]) for q, (_, j) in hits[: max(3, len(hits) // 2)]]
                top = hits[0][1][1]
                found.append(Candidate(e, flipped, float(np.median(offsets)), GRID[int(self.boxes[top])],
                                       sum(s for s, _ in per_row.values())))
        found.sort(key=lambda c: -c.support)
        out, seen = [], set()
        for c in found:  # one orientation per episode: the better supported
            if c.episode_id not in seen:
                seen.add(c.episode_id)
                out.append(c)
        return out[:limit]
