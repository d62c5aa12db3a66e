"""Video made at test time with PyAV, and pirate-style copies of it (shared with benchmarks/).

Real files decoded by the real decoder: a textured, moving picture (so that frames differ as in
real footage), and a transcoder that re-encodes with a per-frame edit, a new size and frame drops.
"""
from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

FrameOp = Callable[[np.ndarray], np.ndarray]  # RGB uint8 → RGB uint8


def write_textured_video(
    path: Path, *, width: int = 320, height: int = 240, frames: int = 48, fps: int = 24,
    seed: int = 0, crf: int = 12,
) -> Path:
    """A panning, zooming random texture with a moving bright disc; H.264 at ``crf``."""
    rng = np.random.default_rng(seed)
    base = cv2.GaussianBlur(rng.uniform(0, 255, (height * 2, width * 2, 3)), (0, 0), 3.0)
    base = cv2.normalize(base, None, 20, 235, cv2.NORM_MINMAX).astype(np.uint8)
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"crf": str(crf), "preset": "veryfast"}
        for i in range(frames):
            x, y = (i * 3) % width, (i * 2) % height
            image = np.ascontiguousarray(base[y:y + height, x:x + width])
            centre = (int(width * (0.2 + 0.6 * i / frames)), height // 2)
            cv2.circle(image, centre, height // 6, (250, 240, 200), -1)
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def transcode(
    src: Path, dst: Path, *, op: FrameOp | None = None, scale: float = 1.0, crf: int = 23,
    speed: float = 1.0,
) -> Path:
    """Re-encode ``src`` like a pirate: edit each frame, resize, drop frames to play ``speed``×."""
    with av.open(str(src)) as source, av.open(str(dst), mode="w") as sink:
        vin = source.streams.video[0]
        rate = vin.average_rate or Fraction(25)
        stream = None
        kept, due = 0, 0.0
        for index, frame in enumerate(source.decode(vin)):
            if index < due:
                continue  # speed-up: this frame is dropped, the rest play at the same rate
            due += speed
            image = frame.to_ndarray(format="rgb24")
            if op is not None:
                image = op(image)
            if scale != 1.0:
                size = (max(2, round(image.shape[1] * scale)), max(2, round(image.shape[0] * scale)))
                image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
            image = np.ascontiguousarray(image[: image.shape[0] // 2 * 2, : image.shape[1] // 2 * 2])
            if stream is None:
                stream = sink.add_stream("libx264", rate=rate)
                stream.width, stream.height, stream.pix_fmt = image.shape[1], image.shape[0], "yuv420p"
                stream.options = {"crf": str(crf), "preset": "veryfast"}
            out = av.VideoFrame.from_ndarray(image, format="rgb24")
            out.pts = kept
            out.time_base = 1 / rate
            kept += 1
            sink.mux(stream.encode(out))
        if stream is not None:
            sink.mux(stream.encode(None))
    return dst


def crop(share: float, *, left_part: float = 0.3, top_part: float = 0.6) -> FrameOp:
    """Cut ``share`` of each axis, unevenly (``left_part`` of it on the left, the rest right)."""
    def apply(image: np.ndarray) -> np.ndarray:
        h, w = image.shape[:2]
        cut_w, cut_h = round(w * share), round(h * share)
        x0, y0 = round(cut_w * left_part), round(cut_h * top_part)
        return image[y0:h - (cut_h - y0), x0:w - (cut_w - x0)]
    return apply


def hflip(image: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(image[:, ::-1])


def brightness(delta: int) -> FrameOp:
    def apply(image: np.ndarray) -> np.ndarray:
        return np.clip(image.astype(np.int16) + delta, 0, 255).astype(np.uint8)
    return apply


def overlay(image: np.ndarray) -> np.ndarray:
    """A channel logo (semi-transparent box + disc) and a caption, as re-uploaders add."""
    out = image.copy()
    h, w = out.shape[:2]
    logo = out.copy()
    cv2.rectangle(logo, (w - w // 4, h // 20), (w - w // 40, h // 20 + h // 8), (255, 40, 40), -1)
    cv2.circle(logo, (w // 10, h - h // 8), max(4, h // 12), (255, 255, 255), -1)
    out = cv2.addWeighted(logo, 0.6, out, 0.4, 0)
    cv2.putText(out, "FREE EP 1-80 @drama", (w // 20, h // 2), cv2.FONT_HERSHEY_SIMPLEX,
                max(0.4, w / 500), (255, 255, 0), max(1, w // 200), cv2.LINE_AA)
    return out


def chain(*ops: FrameOp) -> FrameOp:
    def apply(image: np.ndarray) -> np.ndarray:
        for op in ops:
            image = op(image)
        return image
    return apply
