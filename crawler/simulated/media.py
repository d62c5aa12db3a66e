"""Synthetic MP4s for the simulated platform, tests, benchmarks (H.264 + AAC)."""

from __future__ import annotations

import io
from pathlib import Path

import av
import numpy as np


def make_video(
    path: Path,
    seconds: float,
    *,
    seed: int = 0,
    fps: int = 25,
    size: tuple[int, int] = (160, 120),
    faststart: bool = True,
    gop: int = 25,
    fragmented: bool = False,
) -> Path:
    """Write a video whose picture depends on ``seed``; ``faststart`` puts ``moov`` first,
    ``fragmented`` writes fragmented MP4 (an empty ``moov``, samples indexed in ``moof`` boxes)."""
    rng = np.random.default_rng(seed)
    width, height = size
    base = rng.integers(0, 255, (height // 8 + 1, width // 8 + 1, 3), dtype=np.uint8)
    options = {"movflags": "+faststart"} if faststart else {}
    if fragmented:
        options = {"movflags": "frag_keyframe+empty_moov+default_base_moof"}
    sample_rate, hop = 22050, 1024
    with av.open(str(path), "w", format="mp4", options=options) as container:
        video = container.add_stream(
            "libx264", rate=fps, options={"g": str(gop), "preset": "ultrafast", "crf": "28"}
        )
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        audio = container.add_stream("aac", rate=sample_rate)
        audio_pts = 0
        for i in range(int(seconds * fps)):
            tile = np.roll(base, i // 4, axis=1).repeat(8, 0).repeat(8, 1)[:height, :width]
            noise = rng.integers(0, 24, (height, width, 3), dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(tile // 2 + noise + (i % 60), format="rgb24")
            for packet in video.encode(frame):
                container.mux(packet)
            while audio_pts < (i + 1) * sample_rate / fps:
                t = (audio_pts + np.arange(hop)) / sample_rate
                tone = (0.2 * np.sin(2 * np.pi * (220 + 20 * (seed % 10)) * t)).astype(np.float32)
                samples = av.AudioFrame.from_ndarray(tone[None, :], format="fltp", layout="mono")
                samples.sample_rate, samples.pts = sample_rate, audio_pts
                audio_pts += hop
                for packet in audio.encode(samples):
                    container.mux(packet)
        for stream in (video, audio):
            for packet in stream.encode():
                container.mux(packet)
    return path


def probe_duration(data: bytes) -> float | None:
    """Duration of uploaded bytes, or None when they are not a readable video."""
    try:
        with av.open(io.BytesIO(data)) as container:
            return (container.duration or 0) / av.time_base
    except av.FFmpegError:
        return None
