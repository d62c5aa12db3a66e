"""Decoding with PyAV for the watermark: open with clear errors, iterate luma planes."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import av
import numpy as np

from fingerprint.watermark.errors import WatermarkError

MAX_PIXELS = 8192 * 8192


@contextmanager
def open_video(path: Path) -> Iterator[av.container.InputContainer]:
    """Open ``path`` for reading; anything that is not a decodable video is a WatermarkError."""
    if not path.is_file():
        raise WatermarkError(str(path), "no such file")
    if path.stat().st_size == 0:
        raise WatermarkError(str(path), "empty file (0 bytes)")
    try:
        container = av.open(str(path), mode="r", timeout=30)
    except (av.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise WatermarkError(str(path), f"not a readable media file ({exc})") from exc
    with container:
        if not container.streams.video:
            raise WatermarkError(str(path), "no video stream")
        ctx = container.streams.video[0].codec_context
        if ctx.width <= 0 or ctx.height <= 0 or ctx.width * ctx.height > MAX_PIXELS:
            raise WatermarkError(str(path), f"unusable resolution {ctx.width}x{ctx.height}")
        container.streams.video[0].thread_type = "AUTO"
        yield container


def iter_luma(
    path: Path,
    *,
    start_s: float | None = None,
    end_s: float | None = None,
    interval_ms: int = 0,
    max_frames: int | None = None,
) -> Iterator[np.ndarray]:
    """Luma planes (uint8, H × W) of frames in [start_s, end_s], at least ``interval_ms`` apart."""
    with open_video(path) as container:
        stream = container.streams.video[0]
        next_ms, produced = None, 0
        try:
            for frame in container.decode(stream):
                time_ms = round(frame.time * 1000) if frame.time is not None else None
                if time_ms is not None:
                    if start_s is not None and time_ms < start_s * 1000:
                        continue
                    if end_s is not None and time_ms > end_s * 1000:
                        break
                    if next_ms is not None and time_ms < next_ms:
                        continue
                    next_ms = time_ms + interval_ms
                yield frame.to_ndarray(format="gray")
                produced += 1
                if max_frames is not None and produced >= max_frames:
                    break
        except av.FFmpegError as exc:
            if produced == 0:
                raise WatermarkError(str(path), f"corrupt video ({exc})") from exc
        if produced == 0:
            raise WatermarkError(str(path), "no decodable video frames in the requested range")
