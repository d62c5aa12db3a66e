"""Find a picture-in-picture window: the episode shrunk into a box over another picture.

Pirates paste the episode over a background (another video, a still, or a blurred copy of the
episode itself, AugLy's "blurred border"). The box's sides are straight step edges that stay put
while the content moves, so over the whole clip they survive a temporal median of the gradient
where content edges do not. Candidate sides are the columns/rows with the most persistent edge
pixels; a box is accepted only when every side that is not the frame's own edge is covered along
(nearly) its whole length, which rejects the static straight lines of ordinary scenes (car
windows, dashboards) that cover one or two sides only.
"""
from __future__ import annotations

import cv2
import numpy as np

from fingerprint.borders import Box

MIN_SIDE = 0.2  # a window narrower/shorter than this share of the frame is not worth describing
MIN_AREA, MAX_AREA = 0.06, 0.85
CANDIDATES = 8  # strongest line positions tried per axis


def _lines(strong: np.ndarray, min_len: float) -> list[int]:
    """Columns of ``strong`` (h, w) with the most edge pixels, 3 px apart, away from the frame edge."""
    counts = strong.sum(axis=0)
    kept: list[int] = []
    for x in np.argsort(-counts, kind="stable"):
        if counts[x] < min_len or len(kept) >= CANDIDATES:
            break
        if 2 <= x < strong.shape[1] - 2 and all(abs(int(x) - k) > 3 for k in kept):
            kept.append(int(x))
    return kept


def find_window(frames: list[np.ndarray], *, min_cover: float = 0.85) -> Box | None:
    """The inner window of a clip (grey uint8 frames of one size), or ``None`` when there is none."""
    if len(frames) < 2:
        return None
    stack = [f.astype(np.float32) for f in frames[:: max(1, len(frames) // 24)]]
    h, w = stack[0].shape
    gx = np.median(np.stack([np.abs(cv2.Sobel(f, cv2.CV_32F, 1, 0, ksize=3)) for f in stack]), 0)
    gy = np.median(np.stack([np.abs(cv2.Sobel(f, cv2.CV_32F, 0, 1, ksize=3)) for f in stack]), 0)
    # "strong" is relative to the clip's own texture so noisy or sharp clips are not all edge
    thr = max(40.0, 4.0 * float(np.median(np.concatenate([gx.ravel(), gy.ravel()]))))
    sx = cv2.dilate((gx > thr).astype(np.uint8), np.ones((1, 3), np.uint8)).astype(bool)
    sy = cv2.dilate((gy > thr).astype(np.uint8), np.ones((3, 1), np.uint8)).astype(bool)
    xs = _lines(sx, 0.15 * h)
    ys = _lines(sy.T, 0.15 * w)
    cum_x = np.vstack([np.zeros((1, w)), np.cumsum(sx, axis=0)])  # rows summed per column
    cum_y = np.hstack([np.zeros((h, 1)), np.cumsum(sy, axis=1)])  # columns summed per row
    best: tuple[float, tuple[int, int, int, int]] | None = None
    # None stands for "this side is the frame's own edge" (a window touching the border)
    for x0 in [None, *xs]:
        for x1 in [None, *xs]:
            a, b = (0 if x0 is None else x0), (w if x1 is None else x1)
            if b - a < MIN_SIDE * w:
                continue
            for y0 in [None, *ys]:
                for y1 in [None, *ys]:
                    c, d = (0 if y0 is None else y0), (h if y1 is None else y1)
                    if d - c < MIN_SIDE * h or not MIN_AREA <= (b - a) * (d - c) / (w * h) <= MAX_AREA:
                        continue
                    sides = [
                        (cum_x[d, x] - cum_x[c, x]) / (d - c) for x in (x0, x1) if x is not None
                    ] + [(cum_y[y, b] - cum_y[y, a]) / (b - a) for y in (y0, y1) if y is not None]
                    if len(sides) < 3 or min(sides) < min_cover:
                        continue
                    # mean, not sum: a side on the frame's edge is no weaker evidence than a
                    # drawn one (a window touching the top must not lose to a horizon line)
                    score = sum(sides) / len(sides) + 0.01 * (b - a) * (d - c) / (w * h)
                    if best is None or score > best[0]:
                        best = (score, (a, c, b, d))
    if best is None:
        return None
    a, c, b, d = best[1]
    # inset by the edge's own width so the window's outline is not part of the picture
    return Box((a + 2 * (a > 0)) / w, (c + 2 * (c > 0)) / h, (b - 2 * (b < w)) / w, (d - 2 * (d < h)) / h)
