"""Which decoded frames a sampling grid keeps, and how a kept frame becomes small pictures.

The full decode (``decode="full"``, the path before issue 24) decodes every frame and keeps the
first one at or after each grid point, converted by swscale. The fast decode skips the frames
nothing else needs (B-frames), so a grid point's frame is whichever decoded frame lies nearest
it, before or after; its grey picture is the luma plane itself, read without a copy and shrunk
with OpenCV's area filter, expanded from video range to full range exactly as swscale's
``gray`` output is (so absolute thresholds — borders, information — read the same values).
"""
from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from fingerprint.decoding import Grid

# 8-bit formats whose first plane is the luma picture (PyAV names)
_LUMA_FIRST = {"yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p", "yuv440p",
               "yuvj440p", "yuv411p", "yuvj411p", "nv12", "nv21", "gray"}
_FULL_RANGE = {"yuvj420p", "yuvj422p", "yuvj444p", "yuvj440p", "yuvj411p", "gray"}
# video range (16–235) → full range (0–255), rounded and clipped as swscale does
_EXPAND = np.clip(np.round((np.arange(256) - 16) * 255 / 219), 0, 255).astype(np.uint8)


class GridPicker:
    """The frames one grid keeps, offered in presentation order.

    ``nearest=False``: the first frame at or after each grid point. ``nearest=True``: the decoded
    frame nearest each grid point (one frame is held back until the next one shows which is
    nearer). Either way a frame serves one grid point at most and a gap in the stream skips the
    grid points inside it, so both keep one frame per grid point of the stream's span.
    """

    def __init__(self, grid: Grid, *, nearest: bool):
        self.grid, self.nearest = grid, nearest
        self.next_ms = 0
        self._held: tuple[int, Any] | None = None
        self._last: tuple[int, Any] | None = None  # the latest frame offered (``grid.last``)
        self._kept_ms = -1  # the latest time kept

    def offer(self, time_ms: int, frame: Any) -> list[tuple[int, Any]]:
        """The (time, frame) pairs to keep now that ``frame`` has been decoded."""
        if self.grid.last:
            self._last = (time_ms, frame)
        kept = self._offer(time_ms, frame)
        if kept:
            self._kept_ms = max(self._kept_ms, kept[-1][0])
        return kept

    def _offer(self, time_ms: int, frame: Any) -> list[tuple[int, Any]]:
        step, kept = self.grid.interval_ms, []
        while time_ms >= self.next_ms:
            point, held = self.next_ms, self._held
            self._held = None
            if held is not None and point - held[0] < time_ms - point:
                kept.append(held)
                self.next_ms = point + step
                continue
            kept.append((time_ms, frame))
            self.next_ms = (time_ms // step + 1) * step
            return kept
        if self.nearest:
            self._held = (time_ms, frame)
        return kept

    def finish(self, end_ms: int) -> list[tuple[int, Any]]:
        """At the end of the stream: the held frame, if the stream had a frame (decoded or
        skipped) at or after the pending grid point, ending at ``end_ms``, and the held frame is
        within half a step of it."""
        held, self._held = self._held, None
        kept = []
        if held is not None and self.next_ms <= end_ms and self.next_ms - held[0] <= self.grid.interval_ms / 2:
            kept.append(held)
            self._kept_ms = max(self._kept_ms, held[0])
        # the stream's end, where a copy of the episode's end ends too: a crop fitted on the
        # keyframes (matcher.crop_fit) otherwise extrapolates up to a step past the last one
        if self._last is not None and self._last[0] > self._kept_ms + self.grid.interval_ms / 4:
            kept.append(self._last)
        self._last = None
        return kept


def grey_picture(frame, size: tuple[int, int], *, fast: bool) -> np.ndarray:
    """The frame as a grey picture of ``size`` (width, height)."""
    name = frame.format.name
    if not fast or name not in _LUMA_FIRST:
        return frame.reformat(width=size[0], height=size[1], format="gray").to_ndarray()
    plane = frame.planes[0]
    rows = np.frombuffer(plane, np.uint8, count=plane.line_size * plane.height)
    luma = rows.reshape(plane.height, plane.line_size)[:, : plane.width]
    small = cv2.resize(luma, size, interpolation=cv2.INTER_AREA)
    if name in _FULL_RANGE or frame.color_range == 2:  # AVCOL_RANGE_JPEG: already full range
        return small
    return cv2.LUT(small, _EXPAND)


def rgb_picture(frame, size: tuple[int, int]) -> np.ndarray:
    """The frame in colour at ``size``: swscale straight to the small size (only evidence
    keyframes need it, a few per second at most)."""
    return frame.reformat(width=size[0], height=size[1], format="rgb24").to_ndarray()
