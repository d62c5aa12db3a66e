"""Find the picture inside pirate padding: black bars, pillarboxes and blurred borders.

Works on the whole clip at once: bars are where, over all sampled frames, rows/columns are either
nearly flat (solid bars) or carry far less edge energy than the centre (blurred copies of the
picture behind it). Returns a box in relative coordinates so it applies at any resolution.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class Box:
    """Relative content box: left, top, right, bottom in [0, 1]."""

    left: float = 0.0
    top: float = 0.0
    right: float = 1.0
    bottom: float = 1.0

    def crop(self, image: np.ndarray) -> np.ndarray:
        h, w = image.shape[:2]
        x0, x1 = int(round(self.left * w)), int(round(self.right * w))
        y0, y1 = int(round(self.top * h)), int(round(self.bottom * h))
        return image[y0:y1, x0:x1]

    @property
    def area(self) -> float:
        return (self.right - self.left) * (self.bottom - self.top)


FULL = Box()


def _edge_profile(energy: np.ndarray, flat: np.ndarray, ratio: float) -> tuple[int, int]:
    """First and last index whose edge energy reaches ``ratio`` of the central level."""
    n = len(energy)
    centre = float(np.median(energy[n // 4 : n - n // 4])) if n >= 4 else float(energy.mean())
    if centre <= 0:
        return 0, n
    live = (energy >= ratio * centre) & ~flat
    idx = np.flatnonzero(live)
    if len(idx) == 0:
        return 0, n
    return int(idx[0]), int(idx[-1]) + 1


def _symmetric(start: int, end: int, length: int) -> tuple[int, int]:
    margin = min(start, length - end)
    if margin <= 0:
        return 0, length
    # Sobel bleeds one pixel into the bar; a small inset keeps the bar edge out of the picture.
    return margin + 1, length - margin - 1


def content_box(frames: list[np.ndarray], *, ratio: float = 0.25, min_keep: float = 0.3) -> Box:
    """Estimate the content region shared by all frames of a clip (grey uint8 images)."""
    if not frames:
        return FULL
    stack = np.stack([f.astype(np.float32) for f in frames[:: max(1, len(frames) // 40)]])
    h, w = stack.shape[1:]
    grad = np.zeros((h, w), np.float32)
    for image in stack:
        gx = np.abs(cv2.Sobel(image, cv2.CV_32F, 1, 0, ksize=3))
        gy = np.abs(cv2.Sobel(image, cv2.CV_32F, 0, 1, ksize=3))
        grad += gx + gy
    grad /= len(stack)
    spread = stack.std(axis=(0,))  # temporal variation per pixel
    col_flat = (stack.std(axis=1).mean(axis=0) < 2.0) & (spread.mean(axis=0) < 2.0)
    row_flat = (stack.std(axis=2).mean(axis=0) < 2.0) & (spread.mean(axis=1) < 2.0)
    x0, x1 = _edge_profile(grad.mean(axis=0), col_flat, ratio)
    y0, y1 = _edge_profile(grad.mean(axis=1), row_flat, ratio)
    # Pirate pads are symmetric; a one-sided quiet band is more likely sky or a wall than a
    # border, so only the part both sides agree on is trimmed.
    x0, x1 = _symmetric(x0, x1, w)
    y0, y1 = _symmetric(y0, y1, h)
    if (x1 - x0) < min_keep * w or (y1 - y0) < min_keep * h:
        return FULL
    box = Box(x0 / w, y0 / h, x1 / w, y1 / h)
    return box if box.area < 0.97 else FULL


BAND_MIN, BAND_MAX = 0.1, 0.45  # a caption bar or text plate reaches this far into the picture
BAND_COVER = 0.7  # share of the width along which the bar's edge must stand still
BAND_STRICTNESS = (4.0, 2.0)  # edge threshold, times the clip's typical vertical gradient
PLATE_MIN = 0.05  # two steady edges this far apart on one side: a plate between them


@dataclass(frozen=True)
class Band:
    """A caption bar or text plate burned over a clip: ``rows`` (top, bottom, shares of the
    frame's height) it covers, ``beside`` the picture beyond its inner edge."""

    rows: tuple[float, float]
    beside: Box


def find_band(frames: list[np.ndarray], box: Box = FULL) -> Band | None:
    """A caption bar or text plate over the clip, or ``None``: a bar's inner edge is a horizontal
    step that stays put along most of the width while the picture under and beside it moves.

    A text plate that does not touch the frame's edge (a darkened strip over the upper quarter)
    has two such edges; the picture kept is beyond the inner one (the lowest edge near the top,
    the highest near the bottom). A half-transparent plate over busy footage is a weaker step
    than 4x the clip's typical gradient, so the looser level is tried when the strict one finds
    nothing (issue 23: text-plate copies of the weak-transform sets).
    """
    if len(frames) < 2:
        return None
    picked = [box.crop(f).astype(np.float32) for f in frames[:: max(1, len(frames) // 16)]]
    gy = [np.abs(cv2.Sobel(f, cv2.CV_32F, 0, 1, ksize=3)) for f in picked]
    typical = float(np.median(gy[len(gy) // 2]))
    height = box.bottom - box.top
    for factor in BAND_STRICTNESS:
        found = _band(gy, max(40.0, factor * typical))
        if found is not None:
            (y0, y1), inner = found
            return Band((box.top + y0 * height, box.top + y1 * height),
                        Box(box.left, box.top + inner.top * height, box.right, box.top + inner.bottom * height))
    return None


def _band(gy: list[np.ndarray], threshold: float) -> tuple[tuple[float, float], Box] | None:
    """The rows of the best-covered bar whose inner edge is steady over ``threshold`` and the
    picture beside it, in shares of ``gy``'s height."""
    count = np.zeros(gy[0].shape, np.int32)
    for g in gy:
        count += g > threshold
    steady = count * 10 >= 8 * len(gy)  # edge in 80 % of the frames
    h = steady.shape[0]
    # the row and its neighbours (the step may straddle two rows after scaling)
    rows = np.maximum.reduce([steady[:-2], steady[1:-1], steady[2:]]).mean(axis=1)
    edges = [(y / h, float(rows[y - 1])) for y in range(1, h - 1) if rows[y - 1] >= BAND_COVER]
    top = [(at, cover) for at, cover in edges if at <= BAND_MAX]
    bottom = [(at, cover) for at, cover in edges if 1 - at <= BAND_MAX]
    bands = []
    inner = max((a for a, _ in top), default=0.0)
    if inner >= BAND_MIN:  # a bar or plate at the top: keep what is below its lowest edge
        outer = min(a for a, _ in top)
        start = outer if inner - outer >= PLATE_MIN else 0.0
        bands.append((max(c for _, c in top), (start, inner), Box(0.0, inner + 1.5 / h, 1.0, 1.0)))
    inner = min((a for a, _ in bottom), default=1.0)
    if 1 - inner >= BAND_MIN:  # at the bottom: keep what is above its highest edge
        outer = max(a for a, _ in bottom)
        end = outer if outer - inner >= PLATE_MIN else 1.0
        bands.append((max(c for _, c in bottom), (inner, end), Box(0.0, 0.0, 1.0, inner - 1.5 / h)))
    if not bands:
        return None
    _, covered, beside = max(bands, key=lambda b: b[0])
    return covered, beside


def lifted(grey: np.ndarray, rows: tuple[float, float]) -> np.ndarray:
    """The picture with a half-transparent plate over ``rows`` undone as far as statistics
    allow: the band's grey levels stretched to the mean and spread of the picture around it
    (a plate darkens what is under it; its edges and the darkening are what make the copy's
    descriptor differ, far more than the thin text strokes on it)."""
    h = grey.shape[0]
    y0, y1 = int(round(rows[0] * h)), int(round(rows[1] * h))
    if y1 - y0 < 2 or y1 - y0 > h - 2:
        return grey
    out = grey.astype(np.float32)
    band = out[y0:y1]
    rest = np.concatenate([out[:y0], out[y1:]])
    band_mean, band_std = cv2.meanStdDev(band)
    rest_mean, rest_std = cv2.meanStdDev(rest)
    scale = float(rest_std[0, 0]) / max(float(band_std[0, 0]), 1.0)
    out[y0:y1] = (band - float(band_mean[0, 0])) * scale + float(rest_mean[0, 0])
    return np.clip(out, 0, 255).astype(np.uint8)
