"""Find a picture-in-picture window: the episode shrunk into a box over another picture.

Pirates paste the episode over a background (another video, a still, or a blurred copy of the
episode itself, AugLy's "blurred border"). The box's sides are straight step edges that stay put
while the content moves, so over the whole clip they survive a temporal median of the gradient
where content edges do not. Candidate sides are the columns/rows with the most persistent edge
pixels; a box is accepted only when every side that is not the frame's own edge is covered along
(nearly) its whole length, which rejects the static straight lines of ordinary scenes (car
windows, dashboards) that cover one or two sides only. A box drawn on all four sides may be a
little less covered (``FOUR_SIDES_SLACK``), tried only when no box passes at the full cover: a
window floating over textured real footage loses a stretch of a side to it (issue 23:
`benchmarks.real_weak_set`, PiP windows mid-picture on real clips 9/12 → 10/12; `weak_set` seed 25's PiP over busy
footage found).
"""
from __future__ import annotations

import cv2
import numpy as np

from fingerprint.borders import Box

MIN_SIDE = 0.2  # a window narrower/shorter than this share of the frame is not worth describing
MIN_AREA, MAX_AREA = 0.06, 0.85
CANDIDATES = 8  # strongest line positions tried per axis
SAMPLES = 16  # frames whose gradients are compared (enough for content to move)
FOUR_SIDES_SLACK = 0.05  # cover a window drawn on all four sides may lack (benchmarks.real_weak_set)


def _steady(gradients: list[np.ndarray], threshold: float) -> np.ndarray:
    """Pixels whose gradient magnitude exceeds ``threshold`` in at least half of the frames
    (a temporal median test, counted instead of sorted: much faster)."""
    count = np.zeros(gradients[0].shape, np.int32)
    for g in gradients:
        count += np.abs(g) > threshold
    return count * 2 >= len(gradients)


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


def _pairs(lines: list[int], length: int) -> np.ndarray:
    """(start, end, start drawn?, end drawn?) of every span between candidate lines or edges."""
    ends = [(0, False)] + [(x, True) for x in lines] + [(length, False)]
    rows = [
        (s, e, ds, de)
        for s, ds in ends
        for e, de in ends
        if e - s >= MIN_SIDE * length
    ]
    return np.asarray(rows, dtype=np.int64).reshape(-1, 4)


def find_window(frames: list[np.ndarray], *, min_cover: float = 0.85,
                strictness: tuple[float, ...] = (4.0, 2.0)) -> Box | None:
    """The inner window of a clip (grey uint8 frames of one size), or ``None`` when there is none.

    "Strong" is relative to the clip's own texture (``strictness`` times its typical gradient),
    so that noisy or sharp clips are not all edge; the looser levels are tried only when the
    stricter one finds no window: over busy, textured footage a pasted window's sides are a step
    between two moving textures, weaker than 4x the typical gradient in most frames (issue 23:
    PiP copies of the weak-transform set 1/4 found at 4x, 4/4 at 2x).
    """
    if len(frames) < 2:
        return None
    stack = [f.astype(np.float32) for f in frames[:: max(1, len(frames) // SAMPLES)]]
    gx = [cv2.Sobel(f, cv2.CV_32F, 1, 0, ksize=3) for f in stack]
    gy = [cv2.Sobel(f, cv2.CV_32F, 0, 1, ksize=3) for f in stack]
    middle = len(stack) // 2
    typical = float(np.median(np.abs(np.concatenate([gx[middle].ravel(), gy[middle].ravel()]))))
    for factor in strictness:
        threshold = max(40.0, factor * typical)
        # four drawn sides are stronger evidence than three: each may be a little less covered
        # (a window floating over textured real footage, its sides lost in it here and there)
        window = (_window(gx, gy, threshold, min_cover)
                  or _window(gx, gy, threshold, min_cover - FOUR_SIDES_SLACK, sides=4))
        if window is not None:
            return window
    return None


def _window(gx: list[np.ndarray], gy: list[np.ndarray], thr: float, min_cover: float, sides: int = 3) -> Box | None:
    """The best box whose drawn sides (at least ``sides``) are steady edges (gradient over
    ``thr``) along ``min_cover`` of their length."""
    h, w = gx[0].shape
    kernel_x, kernel_y = np.ones((1, 3), np.uint8), np.ones((3, 1), np.uint8)
    sx = cv2.dilate(_steady(gx, thr).astype(np.uint8), kernel_x).astype(bool)  # 1 px wobble
    sy = cv2.dilate(_steady(gy, thr).astype(np.uint8), kernel_y).astype(bool)
    xs = _lines(sx, 0.15 * h)
    ys = _lines(sy.T, 0.15 * w)
    cum_x = np.vstack([np.zeros((1, w)), np.cumsum(sx, axis=0)])  # rows summed per column
    cum_y = np.hstack([np.zeros((h, 1)), np.cumsum(sy, axis=1)])  # columns summed per row
    # every box whose sides are candidate lines or the frame's own edges (a window may touch
    # the border), scored all at once: arrays of shape (x spans, y spans)
    x_pairs = _pairs(xs, w)
    y_pairs = _pairs(ys, h)
    if not len(x_pairs) or not len(y_pairs):
        return None
    (a, b, lx0, lx1), (c, d, ly0, ly1) = x_pairs.T, y_pairs.T
    span_y = (d - c).astype(np.float64)
    span_x = (b - a).astype(np.float64)
    left = (cum_x[d[None, :], a[:, None]] - cum_x[c[None, :], a[:, None]]) / span_y
    bx, dy = np.minimum(b, w - 1), np.minimum(d, h - 1)  # a frame edge is never "drawn"
    right = (cum_x[d[None, :], bx[:, None]] - cum_x[c[None, :], bx[:, None]]) / span_y
    top = ((cum_y[c, :][:, b] - cum_y[c, :][:, a]) / span_x).T
    bottom = ((cum_y[dy, :][:, b] - cum_y[dy, :][:, a]) / span_x).T
    real = np.stack(np.broadcast_arrays(lx0[:, None], lx1[:, None], ly0[None, :], ly1[None, :]))
    cover = np.stack([left, right, top, bottom])
    drawn = real.sum(axis=0)
    weakest = np.where(real, cover, np.inf).min(axis=0)
    # mean, not sum: a side on the frame's edge is no weaker evidence than a drawn one (a
    # window touching the top must not lose to a horizon line inside it)
    mean = np.where(real, cover, 0).sum(axis=0) / np.maximum(drawn, 1)
    area = span_x[:, None] * span_y[None, :] / (w * h)
    ok = (drawn >= sides) & (weakest >= min_cover) & (area >= MIN_AREA) & (area <= MAX_AREA)
    if not ok.any():
        return None
    score = np.where(ok, mean + 0.01 * area, -np.inf)
    i, j = np.unravel_index(int(np.argmax(score)), score.shape)
    a, b, c, d = int(a[i]), int(b[i]), int(c[j]), int(d[j])
    # inset by the edge's own width so the window's outline is not part of the picture
    inset = 2
    return Box(
        (a + inset * (a > 0)) / w,
        (c + inset * (c > 0)) / h,
        (b - inset * (b < w)) / w,
        (d - inset * (d < h)) / h,
    )
