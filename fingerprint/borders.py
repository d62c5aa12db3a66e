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


BAND_MIN, BAND_MAX = 0.1, 0.35  # a caption bar covers this share of the picture's height
BAND_COVER = 0.7  # share of the width along which the bar's edge must stand still


def caption_band(frames: list[np.ndarray], box: Box = FULL) -> Box | None:
    """The picture above a caption bar burned over its bottom (or below one over its top), or
    ``None``: a bar's inner edge is a horizontal step that stays put along most of the width
    while the picture under and beside it moves (grey uint8 frames of one size)."""
    if len(frames) < 2:
        return None
    picked = [box.crop(f).astype(np.float32) for f in frames[:: max(1, len(frames) // 16)]]
    h = picked[0].shape[0]
    gy = [np.abs(cv2.Sobel(f, cv2.CV_32F, 0, 1, ksize=3)) for f in picked]
    typical = float(np.median(gy[len(gy) // 2]))
    threshold = max(40.0, 4.0 * typical)
    count = np.zeros(gy[0].shape, np.int32)
    for g in gy:
        count += g > threshold
    steady = count * 10 >= 8 * len(gy)  # edge in 80 % of the frames
    # the row and its neighbours (the step may straddle two rows after scaling)
    rows = np.maximum.reduce([steady[:-2], steady[1:-1], steady[2:]]).mean(axis=1)
    best: tuple[float, Box] | None = None
    for y in range(1, h - 1):
        cover, at = float(rows[y - 1]), y / h
        if cover < BAND_COVER:
            continue
        if BAND_MIN <= 1 - at <= BAND_MAX:  # a bar at the bottom: keep what is above
            band = Box(0.0, 0.0, 1.0, at - 1.5 / h)
        elif BAND_MIN <= at <= BAND_MAX:  # a bar at the top: keep what is below
            band = Box(0.0, at + 1.5 / h, 1.0, 1.0)
        else:
            continue
        if best is None or cover > best[0]:
            best = (cover, band)
    if best is None:
        return None
    inner = best[1]
    height = box.bottom - box.top
    return Box(box.left, box.top + inner.top * height, box.right, box.top + inner.bottom * height)
