"""Decoding: sample grey frames on a fixed millisecond grid from a video file.

PyAV is the default backend (threaded FFmpeg decoding, exact presentation times); OpenCV is the
fallback for files PyAV refuses. Both sit behind the :class:`VideoSource` protocol.
"""
from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Protocol

import numpy as np

from fingerprint.errors import DecodeError

log = logging.getLogger(__name__)

# OpenCV's bundled FFmpeg prints every damaged packet to stderr; our errors say it once, clearly.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")

MAX_DAMAGED_PACKETS = 200


@dataclass(frozen=True)
class DecodeLimits:
    """Refuse decoder bombs before spending time on them."""

    max_pixels: int = 8192 * 8192
    max_duration_ms: int = 4 * 3600 * 1000
    max_file_bytes: int = 4 * 1024**3
    max_decode_s: float = 600.0  # wall clock; stops endless or pathologically slow streams


@dataclass(frozen=True)
class SampledFrame:
    time_ms: int
    grey: np.ndarray  # uint8, (height, width), already downscaled
    rgb: np.ndarray | None = None  # uint8, (height, width, 3): only when sampled with colour=True


class VideoSource(Protocol):
    """A decoder backend: yields grey frames at least ``interval_ms`` apart (with their colour
    picture too when ``colour``: evidence keyframes are shown as the viewer saw them)."""

    name: ClassVar[str]

    def sample(
        self, path: Path, *, interval_ms: int, max_side: int, limits: DecodeLimits, colour: bool = False
    ) -> Iterator[SampledFrame]: ...


def _check_file(path: Path, limits: DecodeLimits) -> None:
    if not path.exists():
        raise DecodeError(str(path), "no such file")
    if not path.is_file():
        raise DecodeError(str(path), "not a regular file")
    size = path.stat().st_size
    if size == 0:
        raise DecodeError(str(path), "empty file (0 bytes)")
    if size > limits.max_file_bytes:
        raise DecodeError(str(path), f"file too large ({size} bytes > {limits.max_file_bytes})")


def _open_video(path: Path, limits: DecodeLimits):
    """Open ``path`` with PyAV and vet its first video stream's header against ``limits``.

    Only headers are read, so a decoder bomb (a tiny file declaring 16000×16000 frames) is refused
    before any frame is allocated. Returns the open container (the caller closes it) and stream.
    """
    import av

    _check_file(path, limits)
    try:
        container = av.open(str(path), mode="r", timeout=30)
    except (av.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        reason = _reason(exc)
        if "end of file" in reason.lower():
            raise DecodeError(str(path), "truncated media file (it ends inside its header)") from exc
        raise DecodeError(str(path), f"not a readable media file ({reason})") from exc
    try:
        if not container.streams.video:
            kind = "audio-only media" if container.streams.audio else "no video stream"
            raise DecodeError(str(path), kind)
        stream = container.streams.video[0]
        if stream.codec_context is None:
            raise DecodeError(str(path), "video stream with an unknown or damaged codec")
        stream.thread_type = "AUTO"
        width, height = stream.codec_context.width, stream.codec_context.height
        if width <= 0 or height <= 0:
            raise DecodeError(str(path), "video stream has no dimensions")
        if width * height > limits.max_pixels:
            raise DecodeError(str(path), f"absurd resolution {width}x{height}")
    except BaseException:
        container.close()
        raise
    return container, stream


def probe_video(path: Path, limits: DecodeLimits) -> tuple[int, int]:
    """(width, height) of a readable video within ``limits``; :class:`DecodeError` otherwise."""
    container, stream = _open_video(path, limits)
    with container:
        return stream.codec_context.width, stream.codec_context.height


def _scaled_size(width: int, height: int, max_side: int) -> tuple[int, int]:
    scale = min(1.0, max_side / max(width, height))
    return max(2, round(width * scale)) & ~1, max(2, round(height * scale)) & ~1


class PyAVSource:
    """FFmpeg through PyAV; frame times from pts × time base (robust to frame-rate changes)."""

    name: ClassVar[str] = "pyav"

    def sample(
        self, path: Path, *, interval_ms: int, max_side: int, limits: DecodeLimits, colour: bool = False
    ) -> Iterator[SampledFrame]:
        container, stream = _open_video(path, limits)
        with container:
            width, height = stream.codec_context.width, stream.codec_context.height
            out_w, out_h = _scaled_size(width, height, max_side)
            next_ms = 0
            produced = 0
            deadline = time.monotonic() + limits.max_decode_s
            damaged = 0
            for frame in self._frames(container, stream, path):
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
                if time_ms < next_ms:
                    continue
                next_ms = (time_ms // interval_ms + 1) * interval_ms
                grey = frame.reformat(width=out_w, height=out_h, format="gray").to_ndarray()
                rgb = frame.reformat(width=out_w, height=out_h, format="rgb24").to_ndarray() if colour else None
                produced += 1
                yield SampledFrame(time_ms, grey, rgb)
            if damaged:
                log.warning("%s: skipped %d damaged packets", path, damaged)
            if produced == 0:
                raise DecodeError(str(path), "no decodable video frames (truncated or corrupt)")


    @staticmethod
    def _frames(container, stream, path: Path) -> Iterator:
        """Decoded frames, with ``None`` in place of each packet the decoder rejects."""
        import av

        try:
            for packet in container.demux(stream):
                try:
                    yield from packet.decode()
                except av.FFmpegError:
                    yield None
        except av.FFmpegError as exc:  # the container itself breaks off (truncation)
            log.info("%s: container ends early: %s", path, _reason(exc))


class OpenCVSource:
    """OpenCV's own FFmpeg build; used when PyAV cannot open a file."""

    name: ClassVar[str] = "opencv"

    def sample(
        self, path: Path, *, interval_ms: int, max_side: int, limits: DecodeLimits, colour: bool = False
    ) -> Iterator[SampledFrame]:
        import cv2

        _check_file(path, limits)
        capture = cv2.VideoCapture(str(path))
        if not capture.isOpened():
            raise DecodeError(str(path), "OpenCV cannot open it as video")
        try:
            width = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH))
            height = int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
            if width * height > limits.max_pixels:
                raise DecodeError(str(path), f"absurd resolution {width}x{height}")
            out_w, out_h = _scaled_size(max(width, 2), max(height, 2), max_side)
            next_ms, produced = 0, 0
            while True:
                ok, image = capture.read()
                if not ok:
                    break
                time_ms = int(round(capture.get(cv2.CAP_PROP_POS_MSEC)))
                if time_ms > limits.max_duration_ms:
                    raise DecodeError(str(path), "stream longer than the duration limit")
                if time_ms < next_ms:
                    continue
                next_ms = (time_ms // interval_ms + 1) * interval_ms
                grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
                grey = cv2.resize(grey, (out_w, out_h), interpolation=cv2.INTER_AREA)
                rgb = (cv2.resize(cv2.cvtColor(image, cv2.COLOR_BGR2RGB), (out_w, out_h), interpolation=cv2.INTER_AREA)
                       if colour else None)
                produced += 1
                yield SampledFrame(time_ms, grey, rgb)
            if produced == 0:
                raise DecodeError(str(path), "no decodable video frames")
        finally:
            capture.release()


SOURCES: tuple[VideoSource, ...] = (PyAVSource(), OpenCVSource())


def sample_frames(
    path: Path, *, interval_ms: int, max_side: int, limits: DecodeLimits = DecodeLimits(), colour: bool = False
) -> list[SampledFrame]:
    """Sample with the first backend that can open the file; errors name the file. ``colour``
    keeps each frame's RGB picture as well (evidence keyframes)."""
    first_error: DecodeError | None = None
    for source in SOURCES:
        try:
            return list(
                source.sample(path, interval_ms=interval_ms, max_side=max_side, limits=limits, colour=colour)
            )
        except DecodeError as exc:
            if first_error is None:
                first_error = exc
            if exc.reason in _FINAL_REASONS or exc.reason.startswith(_FINAL_PREFIXES):
                break
            log.debug("%s backend refused %s: %s", source.name, path, exc.reason)
    assert first_error is not None
    raise first_error


_FINAL_REASONS = {"no such file", "not a regular file", "empty file (0 bytes)", "audio-only media"}
_FINAL_PREFIXES = ("file too large", "absurd resolution", "stream longer")


def _reason(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc)
    return text.split(":")[-1].strip() if text else type(exc).__name__


def duration_ms(frames: list[SampledFrame], interval_ms: int) -> int:
    """Duration estimate from the sampled frames: last frame time plus one grid step."""
    return frames[-1].time_ms + interval_ms if frames else 0

