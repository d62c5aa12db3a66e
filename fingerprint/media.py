"""Decoding: sample grey frames on a fixed millisecond grid from a video file.

PyAV is the default backend (FFmpeg, exact presentation times); OpenCV is the fallback for files
PyAV refuses. Both sit behind the :class:`VideoSource` protocol, and both serve several grids
from one decode (the fingerprint's grey frames and the evidence's colour keyframes).

``decode="fast"`` (issue 24; the default, see ``FingerprintSettings.decode``) decodes only what the
grids need: one thread (the process pool is the parallelism), no frame that nothing references
(``skip_frame="NONREF"``; ``"BIDIR"`` was faster but decoded wrong pictures where P-frames
reference B-frames), the decoded frame nearest each grid point, and the luma plane shrunk by
OpenCV instead of a full-size swscale (:mod:`fingerprint.grid`). ``decode="full"`` (the
path before issue 24, kept for comparison): every frame, frame threads, the first frame at or after each grid point,
swscale.
"""
from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import ClassVar, Protocol

import numpy as np

from fingerprint.decoding import (
    DECODE_MODES,
    MAX_DAMAGED_PACKETS,
    DecodeLimits,
    DecodeMode,
    Grid,
    SampledFrame,
    check_file,
    open_video,
    reason,
    scaled_size,
)
from fingerprint.errors import DecodeError
from fingerprint.grid import GridPicker, grey_picture, rgb_picture

__all__ = ["DECODE_MODES", "DecodeLimits", "DecodeMode", "Grid", "OpenCVSource", "PyAVSource",
           "SampledFrame", "VideoSource", "duration_ms", "frames_at", "probe_video", "sample_frames",
           "sample_grids"]

log = logging.getLogger(__name__)

# OpenCV's bundled FFmpeg prints every damaged packet to stderr; our errors say it once, clearly.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")

FAST_THREADS = 1  # CPU per file is what counts: the pool (or Ray) runs one file per core
FAST_SKIP = "NONREF"  # frames no other frame references: skipping them changes no other picture
FAST_OPTIONS: dict[str, str] = {}  # decoder options (AVCodecContext) for the fast decode


class VideoSource(Protocol):
    """A decoder backend: for each grid, frames at least ``interval_ms`` apart (with their colour
    picture too when the grid asks: evidence keyframes are shown as the viewer saw them)."""

    name: ClassVar[str]

    def sample_grids(
        self, path: Path, grids: Sequence[Grid], *, limits: DecodeLimits, decode: DecodeMode = "fast"
    ) -> list[list[SampledFrame]]: ...


class _Backend:
    def sample(
        self, path: Path, *, interval_ms: int, max_side: int, limits: DecodeLimits, colour: bool = False,
        decode: DecodeMode = "fast",
    ) -> Iterator[SampledFrame]:
        """One grid's frames."""
        yield from self.sample_grids(path, [Grid(interval_ms, max_side, colour)], limits=limits, decode=decode)[0]


def probe_video(path: Path, limits: DecodeLimits) -> tuple[int, int]:
    """(width, height) of a readable video within ``limits``; :class:`DecodeError` otherwise."""
    container, stream = open_video(path, limits)
    with container:
        return stream.codec_context.width, stream.codec_context.height


class _Reader:
    """Decoded frames (``None`` for a damaged packet) and the last packet's start (ms), skipped
    frames included: a grid point at or before it lies inside the stream."""

    def __init__(self, container, stream, path: Path):
        self.container, self.stream, self.path = container, stream, path
        self.end_ms = 0

    def __iter__(self) -> Iterator:
        import av

        base = self.stream.time_base
        # integer arithmetic, not Fraction objects per packet (3 % of the fast decode's CPU)
        num, den = (base.numerator * 1000, base.denominator) if base is not None else (0, 1)
        try:
            for packet in self.container.demux(self.stream):
                if packet.pts is not None and num:
                    self.end_ms = max(self.end_ms, _rounded_ms(packet.pts * num, den))
                try:
                    yield from packet.decode()
                except av.FFmpegError:
                    yield None
        except av.FFmpegError as exc:  # the container itself breaks off (truncation)
            log.info("%s: container ends early: %s", self.path, reason(exc))


def _rounded_ms(numerator: int, denominator: int) -> int:
    """round(numerator / denominator) as ``round`` does it (half to even), in integers."""
    q, r = divmod(numerator, denominator)
    return q + (2 * r > denominator or (2 * r == denominator and q % 2 == 1))


class PyAVSource(_Backend):
    """FFmpeg through PyAV; frame times from pts × time base (robust to frame-rate changes)."""

    name: ClassVar[str] = "pyav"

    def sample_grids(
        self, path: Path, grids: Sequence[Grid], *, limits: DecodeLimits, decode: DecodeMode = "fast"
    ) -> list[list[SampledFrame]]:
        if decode not in DECODE_MODES:
            raise ValueError(f"decode must be one of {DECODE_MODES}, not {decode!r}")
        fast = decode == "fast"
        container, stream = open_video(path, limits)
        with container:
            context = stream.codec_context
            sizes = [scaled_size(context.width, context.height, g.max_side) for g in grids]
            pickers = [GridPicker(g, nearest=fast) for g in grids]
            out: list[list[SampledFrame]] = [[] for _ in grids]
            if fast:
                context.thread_count = FAST_THREADS
                context.skip_frame = FAST_SKIP
                if FAST_OPTIONS:
                    context.options = {**context.options, **FAST_OPTIONS}
            deadline = time.monotonic() + limits.max_decode_s
            damaged = produced = 0
            reader = _Reader(container, stream, path)
            for frame in reader:
                if frame is None:  # a damaged packet: skip it, the decoder resyncs at the next one
                    damaged += 1
                    if damaged > MAX_DAMAGED_PACKETS and produced == 0:
                        raise DecodeError(str(path), "corrupt video (no packet decodes)")
                    continue
                if time.monotonic() > deadline:
                    raise DecodeError(str(path), f"decoding took longer than {limits.max_decode_s:.0f} s")
                if frame.pts is None or frame.time is None:
                    continue
                time_ms = int(round(frame.time * 1000))
                if time_ms > limits.max_duration_ms:
                    raise DecodeError(str(path), "stream longer than the duration limit")
                for i, picker in enumerate(pickers):
                    for kept_ms, kept in picker.offer(time_ms, frame):
                        out[i].append(_picture(kept_ms, kept, sizes[i], grids[i], fast))
                        produced += 1
            for i, picker in enumerate(pickers):
                out[i] += [_picture(t, f, sizes[i], grids[i], fast) for t, f in picker.finish(reader.end_ms)]
            if damaged:
                log.warning("%s: skipped %d damaged packets", path, damaged)
            if not out[0]:
                raise DecodeError(str(path), "no decodable video frames (truncated or corrupt)")
        return out


def _picture(time_ms: int, frame, size: tuple[int, int], grid: Grid, fast: bool) -> SampledFrame:
    return SampledFrame(time_ms, grey_picture(frame, size, fast=fast), rgb_picture(frame, size) if grid.colour else None)


class OpenCVSource(_Backend):
    """OpenCV's own FFmpeg build; used when PyAV cannot open a file (every frame, either mode)."""

    name: ClassVar[str] = "opencv"

    def sample_grids(
        self, path: Path, grids: Sequence[Grid], *, limits: DecodeLimits, decode: DecodeMode = "fast"
    ) -> list[list[SampledFrame]]:
        import cv2

        check_file(path, limits)
        capture = cv2.VideoCapture(str(path))
        if not capture.isOpened():
            raise DecodeError(str(path), "OpenCV cannot open it as video")
        try:
            width = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH))
            height = int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
            if width * height > limits.max_pixels:
                raise DecodeError(str(path), f"absurd resolution {width}x{height}")
            sizes = [scaled_size(max(width, 2), max(height, 2), g.max_side) for g in grids]
            pickers = [GridPicker(g, nearest=False) for g in grids]
            out: list[list[SampledFrame]] = [[] for _ in grids]
            time_ms = 0
            while True:
                ok, image = capture.read()
                if not ok:
                    break
                time_ms = int(round(capture.get(cv2.CAP_PROP_POS_MSEC)))
                if time_ms > limits.max_duration_ms:
                    raise DecodeError(str(path), "stream longer than the duration limit")
                for i, picker in enumerate(pickers):
                    out[i] += [_bgr_picture(t, kept, sizes[i], grids[i]) for t, kept in picker.offer(time_ms, image)]
            for i, picker in enumerate(pickers):
                out[i] += [_bgr_picture(t, kept, sizes[i], grids[i]) for t, kept in picker.finish(time_ms)]
            if not out[0]:
                raise DecodeError(str(path), "no decodable video frames")
        finally:
            capture.release()
        return out


def _bgr_picture(time_ms: int, image: np.ndarray, size: tuple[int, int], grid: Grid) -> SampledFrame:
    import cv2

    grey = cv2.resize(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), size, interpolation=cv2.INTER_AREA)
    rgb = cv2.resize(cv2.cvtColor(image, cv2.COLOR_BGR2RGB), size, interpolation=cv2.INTER_AREA) if grid.colour else None
    return SampledFrame(time_ms, grey, rgb)


SOURCES: tuple[VideoSource, ...] = (PyAVSource(), OpenCVSource())


def sample_grids(
    path: Path, grids: Sequence[Grid], *, limits: DecodeLimits = DecodeLimits(), decode: DecodeMode = "fast"
) -> list[list[SampledFrame]]:
    """Each grid's frames from one decode, with the first backend that can open the file;
    errors name the file."""
    first_error: DecodeError | None = None
    for source in SOURCES:
        try:
            return source.sample_grids(Path(path), grids, limits=limits, decode=decode)
        except DecodeError as exc:
            if first_error is None:
                first_error = exc
            if exc.reason in _FINAL_REASONS or exc.reason.startswith(_FINAL_PREFIXES):
                break
            log.debug("%s backend refused %s: %s", source.name, path, exc.reason)
    assert first_error is not None
    raise first_error


def sample_frames(
    path: Path, *, interval_ms: int, max_side: int, limits: DecodeLimits = DecodeLimits(), colour: bool = False,
    decode: DecodeMode = "fast",
) -> list[SampledFrame]:
    """One grid's frames (see :func:`sample_grids`). ``colour`` keeps each frame's RGB picture as
    well (evidence keyframes)."""
    return sample_grids(path, [Grid(interval_ms, max_side, colour)], limits=limits, decode=decode)[0]


def frames_at(
    path: Path, times_ms: Sequence[int], *, max_side: int, limits: DecodeLimits = DecodeLimits(),
    colour: bool = True,
) -> dict[int, SampledFrame]:
    """The decoded frame nearest each of ``times_ms`` (in colour too), each found by seeking to
    the keyframe before it and decoding forward: a GOP or two per time, not the whole file.
    :class:`DecodeError` when PyAV cannot open or seek the file (the caller decodes it whole)."""
    import av

    container, stream = open_video(Path(path), limits)
    found: dict[int, SampledFrame] = {}
    with container:
        context = stream.codec_context
        size = scaled_size(context.width, context.height, max_side)
        context.thread_count = FAST_THREADS
        context.skip_frame = "NONREF"
        deadline = time.monotonic() + limits.max_decode_s
        for target in sorted(set(times_ms)):
            try:
                container.seek(int(target / 1000 / stream.time_base), stream=stream, backward=True)
            except (av.FFmpegError, ValueError, TypeError) as exc:
                raise DecodeError(str(path), f"cannot seek ({reason(exc)})") from exc
            context.flush_buffers()
            best = None
            for frame in _Reader(container, stream, Path(path)):
                if time.monotonic() > deadline:
                    raise DecodeError(str(path), f"decoding took longer than {limits.max_decode_s:.0f} s")
                if frame is None or frame.time is None:
                    continue
                time_ms = int(round(frame.time * 1000))
                if best is None or abs(time_ms - target) < abs(best[0] - target):
                    best = (time_ms, frame)
                if time_ms >= target:
                    break
            if best is not None:
                grey = grey_picture(best[1], size, fast=True)
                found[target] = SampledFrame(best[0], grey, rgb_picture(best[1], size) if colour else None)
    if not found:
        raise DecodeError(str(path), "no decodable video frames near the requested times")
    return found


_FINAL_REASONS = {"no such file", "not a regular file", "empty file (0 bytes)", "audio-only media"}
_FINAL_PREFIXES = ("file too large", "absurd resolution", "stream longer")


def duration_ms(frames: list[SampledFrame], interval_ms: int) -> int:
    """Duration estimate from the sampled frames: last frame time plus one grid step."""
    return frames[-1].time_ms + interval_ms if frames else 0
