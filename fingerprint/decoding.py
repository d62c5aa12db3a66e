"""What every decoder backend shares: limits, the sampled frame, the sampling grid, and opening
a file with PyAV behind the checks that refuse decoder bombs before any frame is allocated."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from fingerprint.errors import DecodeError


MAX_DAMAGED_PACKETS = 200

DecodeMode = Literal["fast", "full"]
DECODE_MODES: tuple[str, ...] = ("fast", "full")


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


@dataclass(frozen=True)
class Grid:
    """One sampling request: a frame every ``interval_ms`` (ms on the presentation clock), scaled
    so its longer side is at most ``max_side``, in colour too when ``colour``, and the stream's
    last frame too when ``last`` (and it lies over a quarter step past the last grid frame).
    Several grids are served by one decode (the fingerprint's and the evidence keyframes')."""

    interval_ms: int
    max_side: int
    colour: bool = False
    last: bool = False


def check_file(path: Path, limits: DecodeLimits) -> None:
    if not path.exists():
        raise DecodeError(str(path), "no such file")
    if not path.is_file():
        raise DecodeError(str(path), "not a regular file")
    size = path.stat().st_size
    if size == 0:
        raise DecodeError(str(path), "empty file (0 bytes)")
    if size > limits.max_file_bytes:
        raise DecodeError(str(path), f"file too large ({size} bytes > {limits.max_file_bytes})")


def open_video(path: Path, limits: DecodeLimits):
    """Open ``path`` with PyAV and vet its first video stream's header against ``limits``.

    Only headers are read, so a decoder bomb (a tiny file declaring 16000×16000 frames) is refused
    before any frame is allocated. Returns the open container (the caller closes it) and stream.
    """
    import av

    check_file(path, limits)
    try:
        container = av.open(str(path), mode="r", timeout=30)
    except (av.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        why = reason(exc)
        if "end of file" in why.lower():
            raise DecodeError(str(path), "truncated media file (it ends inside its header)") from exc
        raise DecodeError(str(path), f"not a readable media file ({why})") from exc
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


def scaled_size(width: int, height: int, max_side: int) -> tuple[int, int]:
    scale = min(1.0, max_side / max(width, height))
    return max(2, round(width * scale)) & ~1, max(2, round(height * scale)) & ~1


def reason(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc)
    return text.split(":")[-1].strip() if text else type(exc).__name__
