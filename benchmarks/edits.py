"""Pirate-style edits of real clips with PyAV (FFmpeg's libraries) and OpenCV, no AugLy.

A clip is read as (time s, RGB frame) pieces, pieces are cut, joined and edited per frame, and
written as H.264 at a fixed frame rate (frames resampled by presentation time, as a re-encode
does). What :mod:`benchmarks.series_set` and :mod:`benchmarks.weak_set` build their sets from.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

Edit = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Piece:
    """Seconds ``start``–``end`` of ``path`` (``end`` None: to its end)."""

    path: Path
    start: float = 0.0
    end: float | None = None


def frames(piece: Piece, fps: int) -> Iterator[np.ndarray]:
    """The piece's frames resampled to ``fps``: each output tick shows the latest source frame."""
    with av.open(str(piece.path)) as src:
        stream = src.streams.video[0]
        tick, prev, t = 0, None, 0.0
        for frame in src.decode(stream):
            t = float(frame.time or 0.0)
            stop = t if piece.end is None else min(t, piece.end)
            while prev is not None and piece.start + tick / fps < stop:
                yield prev
                tick += 1
            if piece.end is not None and t >= piece.end:
                return
            prev = frame.to_ndarray(format="rgb24")
        if prev is not None:  # the last frame lasts one source frame
            stop = t + 1 / float(stream.average_rate or fps)
            stop = stop if piece.end is None else min(stop, piece.end)
            while piece.start + tick / fps < stop:
                yield prev
                tick += 1


def duration(path: Path) -> float:
    with av.open(str(path)) as src:
        stream = src.streams.video[0]
        if stream.duration and stream.time_base:
            return float(stream.duration * stream.time_base)
        return float(src.duration or 0) / 1e6


def write(out: Path, pieces: Iterable[Piece], *, size: tuple[int, int] = (320, 240), fps: int = 25,
          edit: Edit | None = None, crf: int = 23) -> list[tuple[float, float]]:
    """Join ``pieces`` into ``out`` (each scaled to ``size``, then ``edit``ed); returns each
    piece's (start, end) in the output, seconds."""
    placed: list[tuple[float, float]] = []

    def stream() -> Iterator[np.ndarray]:
        index = 0
        for piece in pieces:
            start = index
            for image in frames(piece, fps):
                image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
                yield edit(image) if edit is not None else image
                index += 1
            placed.append((round(start / fps, 3), round(index / fps, 3)))

    encode(out, stream(), fps=fps, crf=crf)
    return placed


def encode(out: Path, images: Iterable[np.ndarray], *, fps: int = 25, crf: int = 23) -> int:
    """H.264 of RGB frames at ``fps`` (sides cut to even); returns the frame count."""
    out.parent.mkdir(parents=True, exist_ok=True)
    index = 0
    with av.open(str(out), "w") as dst:
        stream = None
        for image in images:
            if stream is None:
                stream = dst.add_stream("libx264", rate=fps)
                stream.height, stream.width = (d - d % 2 for d in image.shape[:2])
                stream.pix_fmt, stream.options = "yuv420p", {"crf": str(crf), "preset": "veryfast"}
            image = np.ascontiguousarray(image[: stream.height, : stream.width])
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts, frame.time_base = index, Fraction(1, fps)
            for packet in stream.encode(frame):
                dst.mux(packet)
            index += 1
        if stream is not None:
            for packet in stream.encode():
                dst.mux(packet)
    return index


# -- edits (each a function of one RGB frame; ``pip`` also takes the next background frame) -------
def crop(share: float, *, dx: float = 0.0, dy: float = 0.0, keep_size: bool = True) -> Edit:
    """Cut ``share`` of each side's length away; ``dx``/``dy`` in [-1, 1] move the window off
    centre (1: against the right/bottom edge); ``keep_size`` scales back up (crop + scale)."""

    def apply(image: np.ndarray) -> np.ndarray:
        h, w = image.shape[:2]
        ch, cw = int(round(h * (1 - share))), int(round(w * (1 - share)))
        y0 = int(round((h - ch) / 2 * (1 + dy)))
        x0 = int(round((w - cw) / 2 * (1 + dx)))
        out = image[y0 : y0 + ch, x0 : x0 + cw]
        return cv2.resize(out, (w, h), interpolation=cv2.INTER_LINEAR) if keep_size else out

    return apply


def hflip(image: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(image[:, ::-1])


def chain(*edits: Edit) -> Edit:
    def apply(image: np.ndarray) -> np.ndarray:
        for edit in edits:
            image = edit(image)
        return image

    return apply


def text_bar(image: np.ndarray) -> np.ndarray:
    """A caption band over the lower fifth, as re-uploads add."""
    out = image.copy()
    h, w = out.shape[:2]
    out[int(h * 0.8):] = (out[int(h * 0.8):] * 0.3).astype(np.uint8)
    cv2.putText(out, "EP FULL HD 1080P", (8, h - 12), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 0), 2)
    return out


def scale(share: float) -> Edit:
    """Shrink the picture to ``share`` of its sides (a low-resolution re-upload)."""

    def apply(image: np.ndarray) -> np.ndarray:
        h, w = image.shape[:2]
        return cv2.resize(image, (max(2, int(w * share)), max(2, int(h * share))), interpolation=cv2.INTER_AREA)

    return apply


def pad_to(aspect: float, colour: tuple[int, int, int] = (0, 0, 0)) -> Edit:
    """Pad the picture to ``aspect`` (width / height) with ``colour``, centred: a vertical
    episode re-uploaded as 16:9 gets wide side bars."""

    def apply(image: np.ndarray) -> np.ndarray:
        h, w = image.shape[:2]
        width = max(w, int(round(h * aspect)))
        out = np.empty((h, width, 3), np.uint8)
        out[:] = colour
        x = (width - w) // 2
        out[:, x : x + w] = image
        return out

    return apply


def pip(background: Iterator[np.ndarray], share: float, x: float, y: float) -> Edit:
    """The picture shrunk to ``share`` of its sides and pasted at (``x``, ``y``) (share of the free
    room) over the next frame of ``background`` (frames of the output's size), which moves."""

    def apply(image: np.ndarray) -> np.ndarray:
        out = cv2.resize(next(background), (image.shape[1], image.shape[0]), interpolation=cv2.INTER_AREA)
        h, w = out.shape[:2]
        small = cv2.resize(image, (int(w * share), int(h * share)), interpolation=cv2.INTER_AREA)
        y0, x0 = int((h - small.shape[0]) * y), int((w - small.shape[1]) * x)
        out[y0 : y0 + small.shape[0], x0 : x0 + small.shape[1]] = small
        return out

    return apply


def overlay_text(lines: list[str], *, at: float = 0.45, size: float = 1.0,
                 colour: tuple[int, int, int] = (255, 255, 255), box: bool = False) -> Edit:
    """Large burned-in text over the picture (AugLy's overlay_text), starting at height share
    ``at``; ``box``: on a dark half-transparent plate."""

    def apply(image: np.ndarray) -> np.ndarray:
        out = image.copy()
        h, w = out.shape[:2]
        scale_ = size * w / 300
        step = int(40 * scale_)
        y0 = int(h * at)
        if box:
            y1 = min(h, y0 + step * len(lines) + step // 2)
            out[max(0, y0 - step) : y1] = (out[max(0, y0 - step) : y1] * 0.45).astype(np.uint8)
        for k, line in enumerate(lines):
            cv2.putText(out, line, (int(w * 0.04), y0 + k * step), cv2.FONT_HERSHEY_DUPLEX, scale_, colour,
                        max(1, int(2 * scale_)))
        return out

    return apply


def box_crop(left: float, top: float, right: float, bottom: float) -> Edit:
    """Keep the box (shares of width and height), scaled back to the frame's size (AugLy's crop)."""

    def apply(image: np.ndarray) -> np.ndarray:
        h, w = image.shape[:2]
        out = image[int(round(top * h)) : int(round(bottom * h)), int(round(left * w)) : int(round(right * w))]
        return cv2.resize(out, (w, h), interpolation=cv2.INTER_LINEAR)

    return apply
