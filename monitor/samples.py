"""Generated sample media: small vertical "episodes" and pirate-style copies of them.

Used by the demo, the tests and the benchmarks so they need no downloaded media. Episodes are a
camera panning over random textured scenes with moving figures; scene cuts every few seconds.
Pirate edits: mirror, crop/zoom, pad to 16:9, speed change, re-encode, compilations.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

WIDTH, HEIGHT, FPS = 360, 640, 24

Transform = Callable[[np.ndarray], np.ndarray]


def _texture(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """Smooth random colour field with some detail (a 'set' the camera pans over)."""
    base = rng.random((height // 32 + 2, width // 32 + 2, 3)).astype(np.float32)
    field = cv2.resize(base, (width, height), interpolation=cv2.INTER_CUBIC)
    detail = cv2.resize(rng.random((height // 6, width // 6, 3)).astype(np.float32), (width, height))
    image = np.clip(0.75 * field + 0.25 * detail, 0, 1) * 255
    return image.astype(np.uint8)


def episode_frames(seed: int, seconds: float, size: tuple[int, int] = (WIDTH, HEIGHT)) -> Iterator[np.ndarray]:
    """RGB frames of one synthetic episode: scenes of 2–4 s, panning camera, moving figures."""
    rng = np.random.default_rng(seed)
    width, height = size
    total = int(seconds * FPS)
    frame_no = 0
    while frame_no < total:
        scene_len = int(rng.uniform(2.0, 4.0) * FPS)
        backdrop = _texture(rng, height + 200, width + 200)
        figures = [
            (rng.uniform(0.2, 0.8), rng.uniform(0.2, 0.8), rng.uniform(-0.01, 0.01),
             rng.uniform(-0.01, 0.01), int(rng.uniform(25, 70)), tuple(int(c) for c in rng.integers(0, 255, 3)))
            for _ in range(int(rng.integers(2, 5)))
        ]
        dx, dy = rng.uniform(-2, 2), rng.uniform(-2, 2)
        for i in range(min(scene_len, total - frame_no)):
            ox = int(np.clip(100 + dx * i, 0, 200))
            oy = int(np.clip(100 + dy * i, 0, 200))
            frame = backdrop[oy : oy + height, ox : ox + width].copy()
            for x, y, vx, vy, r, colour in figures:
                cx = int(((x + vx * i) % 1.0) * width)
                cy = int(((y + vy * i) % 1.0) * height)
                cv2.ellipse(frame, (cx, cy), (r, int(r * 1.6)), 0, 0, 360, colour, -1)
                cv2.circle(frame, (cx, cy - int(r * 1.9)), int(r * 0.6), colour, -1)
            yield frame
            frame_no += 1


def write_video(
    path: Path,
    frames: Iterator[np.ndarray],
    *,
    fps: float = FPS,
    crf: int = 23,
    audio: np.ndarray | None = None,
    audio_rate: int = 8000,
) -> Path:
    """Encode RGB frames as H.264 MP4 (moov first, so ranged sampling works), with an optional
    mono float32 sound track (AAC)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rate = Fraction(fps).limit_denominator(1001)
    with av.open(str(path), "w", options={"movflags": "faststart"}) as container:
        stream = None
        sound = container.add_stream("aac", rate=audio_rate, layout="mono") if audio is not None else None
        for frame in frames:
            if stream is None:
                stream = container.add_stream("libx264", rate=rate)
                stream.height, stream.width = frame.shape[0] & ~1, frame.shape[1] & ~1
                stream.pix_fmt = "yuv420p"
                stream.options = {"crf": str(crf), "preset": "veryfast"}
            frame = frame[: stream.height, : stream.width]
            for packet in stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")):
                container.mux(packet)
        if stream is not None:
            for packet in stream.encode():
                container.mux(packet)
        if sound is not None:
            _encode_audio(container, sound, np.clip(audio, -1, 1).astype(np.float32), audio_rate)
    return path


def _encode_audio(container, stream, samples: np.ndarray, rate: int) -> None:
    for start in range(0, len(samples), 1024):
        frame = av.AudioFrame.from_ndarray(samples[None, start : start + 1024], format="fltp", layout="mono")
        frame.sample_rate, frame.pts = rate, start
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode(None):
        container.mux(packet)


def read_frames(path: Path) -> tuple[list[np.ndarray], float]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        fps = float(stream.average_rate or FPS)
        return [f.to_ndarray(format="rgb24") for f in container.decode(stream)], fps


def make_episode(path: Path, seed: int, seconds: float = 12.0) -> Path:
    return write_video(path, episode_frames(seed, seconds))


# -- pirate edits ----------------------------------------------------------------------------
def hflip(frame: np.ndarray) -> np.ndarray:
    return frame[:, ::-1]


def crop(fraction: float) -> Transform:
    def apply(frame: np.ndarray) -> np.ndarray:
        h, w = frame.shape[:2]
        dy, dx = int(h * fraction / 2), int(w * fraction / 2)
        return cv2.resize(frame[dy : h - dy, dx : w - dx], (w, h))

    return apply


def pad_16x9(frame: np.ndarray) -> np.ndarray:
    h, w = frame.shape[:2]
    out_w = int(h * 16 / 9) & ~1
    canvas = np.zeros((h, out_w, 3), np.uint8)
    x = (out_w - w) // 2
    canvas[:, x : x + w] = frame
    return cv2.resize(canvas, (640, 360))


def pirate_copy(
    src: Path, dst: Path, *, transforms: tuple[Transform, ...] = (), speed: float = 1.0, crf: int = 30
) -> Path:
    """Re-encode ``src`` with per-frame ``transforms`` and a playback ``speed`` factor."""
    frames, fps = read_frames(src)
    count = int(len(frames) / speed)
    picked = (frames[min(int(i * speed), len(frames) - 1)] for i in range(count))

    def edited() -> Iterator[np.ndarray]:
        for frame in picked:
            for transform in transforms:
                frame = transform(frame)
            yield np.ascontiguousarray(frame)

    return write_video(dst, edited(), fps=fps, crf=crf)


def compilation(sources: list[Path], dst: Path) -> Path:
    """Episodes glued into one "full series" video."""

    def chained() -> Iterator[np.ndarray]:
        for src in sources:
            yield from read_frames(src)[0]

    return write_video(dst, chained(), crf=28)
