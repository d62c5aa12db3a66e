"""A generated audio test set: speech (espeak-ng) and synthesized music, with pirate edits.

The video benchmark clips have no sound, so the audio path is judged on media made here: every
reference is rendered to a file, every query is a real encoded file made from it (AAC re-encode
at a low bitrate, added noise, resampling speed-ups that shift pitch and tempo together, short
excerpts, a muted copy), plus unregistered distractors. Deterministic for a given seed.
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

RATE = 22050
SENTENCES = (
    "The heir returns to the family on the night of the engagement party and nobody knows him.",
    "She signed the contract without reading it, and now the company belongs to her rival.",
    "Three years ago he was a delivery driver; tonight he owns the tallest tower in the city.",
    "Do not underestimate the quiet girl in the corner, she has been planning this for years.",
)
DISTRACTOR_SENTENCES = (
    "The weather tomorrow will be cloudy in the north with light rain along the coast.",
    "Add two cups of flour, a pinch of salt and stir slowly until the dough is smooth.",
    "The train to the airport leaves every fifteen minutes from platform number four.",
)


@dataclass(frozen=True)
class AudioCase:
    query: Path
    reference: Path | None  # None: must match nothing
    transform: str


def speech(text: str, voice: str = "en-us") -> np.ndarray:
    """espeak-ng's rendering of ``text`` as float32 mono at ``RATE``."""
    if shutil.which("espeak-ng") is None:
        raise RuntimeError("espeak-ng is not installed (apt-get install espeak-ng)")
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "speech.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", str(wav), text], check=True)
        return read(wav)


def music(seed: int, seconds: float = 12.0) -> np.ndarray:
    """A melody of harmonic notes on a pentatonic scale over a kick drum, float32 at ``RATE``."""
    rng = np.random.default_rng(seed)
    out = np.zeros(int(seconds * RATE), np.float32)
    scale = 220.0 * 2 ** (np.array([0, 2, 4, 7, 9, 12, 14, 16, 19, 21]) / 12)
    t = 0.0
    while t < seconds - 0.2:
        length = float(rng.choice([0.25, 0.375, 0.5]))
        n = int(length * RATE)
        start = int(t * RATE)
        tt = np.arange(n) / RATE
        f = float(rng.choice(scale))
        tone = sum(np.sin(2 * np.pi * f * k * tt) / k for k in (1, 2, 3))
        env = np.minimum(1.0, tt / 0.01) * np.exp(-3.0 * tt)
        out[start : start + n] += (0.3 * tone * env)[: len(out) - start]
        t += length
    for beat in np.arange(0, seconds, 0.5):
        start = int(beat * RATE)
        tt = np.arange(int(0.12 * RATE)) / RATE
        kick = 0.5 * np.sin(2 * np.pi * (60 + 60 * np.exp(-30 * tt)) * tt) * np.exp(-25 * tt)
        out[start : start + len(kick)] += kick[: len(out) - start]
    return (out / np.abs(out).max() * 0.8).astype(np.float32)


def read(path: Path) -> np.ndarray:
    """Decode any audio file to float32 mono at ``RATE`` (PyAV)."""
    resampler = av.AudioResampler(format="flt", layout="mono", rate=RATE)
    chunks = []
    with av.open(str(path)) as container:
        for frame in container.decode(audio=0):
            chunks.extend(f.to_ndarray().reshape(-1) for f in resampler.resample(frame))
    chunks.extend(f.to_ndarray().reshape(-1) for f in resampler.resample(None))
    return np.concatenate(chunks).astype(np.float32)


def write(path: Path, samples: np.ndarray, *, codec: str = "pcm_s16le", bitrate: int | None = None,
          picture: bool = False) -> Path:
    """Encode ``samples``; ``picture`` adds a black H.264 picture (a copy whose image is hidden)."""
    samples = np.clip(samples, -1.0, 1.0).astype(np.float32)
    with av.open(str(path), "w") as container:
        video = None
        if picture:
            video = container.add_stream("libx264", rate=10)
            video.width, video.height, video.pix_fmt = 160, 120, "yuv420p"
        stream = container.add_stream(codec, rate=RATE, layout="mono")
        if bitrate:
            stream.bit_rate = bitrate
        fmt = "s16" if codec.startswith("pcm") else "fltp"
        data = (samples * 32767).astype(np.int16) if fmt == "s16" else samples
        for start in range(0, len(data), 1024):
            frame = av.AudioFrame.from_ndarray(data[None, start : start + 1024], format=fmt, layout="mono")
            frame.sample_rate = RATE
            frame.pts = start
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
        if video is not None:
            black = av.VideoFrame.from_ndarray(np.zeros((120, 160, 3), np.uint8), format="rgb24")
            for i in range(int(len(samples) / RATE * 10)):
                frame = black.reformat(format="yuv420p")
                frame.pts = i
                for packet in video.encode(frame):
                    container.mux(packet)
            for packet in video.encode(None):
                container.mux(packet)
    return path


def speed_up(samples: np.ndarray, factor: float) -> np.ndarray:
    """Play ``factor`` times faster by resampling (pitch and tempo together)."""
    n = int(len(samples) / factor)
    return np.interp(np.linspace(0, len(samples) - 1, n), np.arange(len(samples)), samples).astype(np.float32)


def with_noise(samples: np.ndarray, snr_db: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    power = float(np.mean(samples**2))
    noise = rng.normal(0, np.sqrt(power / 10 ** (snr_db / 10)), len(samples))
    return (samples + noise).astype(np.float32)


def build(
    folder: Path, seed: int = 7, *, speeches: int = len(SENTENCES), songs: int = 2
) -> tuple[list[Path], list[AudioCase]]:
    """Write references and queries under ``folder``; returns (reference files, query cases)."""
    folder.mkdir(parents=True, exist_ok=True)
    sources = [speech(s) for s in SENTENCES[:speeches]] + [music(seed + k) for k in range(songs)]
    refs, cases = [], []
    for i, src in enumerate(sources):
        ref = write(folder / f"ref{i}.wav", src)
        refs.append(ref)
        mid = len(src) // 2
        edits = {
            "reencode_aac_32k": (src, {"codec": "aac", "bitrate": 32000}),
            "noise_5db": (with_noise(src, 5.0, seed + i), {}),
            "speed_1.1": (speed_up(src, 1.1), {"codec": "aac", "bitrate": 64000}),
            "speed_1.25": (speed_up(src, 1.25), {}),
            "speed_0.8": (speed_up(src, 0.8), {}),
            "speed_1.15": (speed_up(src, 1.15), {}),
            "excerpt_4s": (src[mid - 2 * RATE : mid + 2 * RATE], {"codec": "aac", "bitrate": 48000}),
            "hidden_picture": (src, {"codec": "aac", "bitrate": 64000, "picture": True}),
        }
        for name, (samples, opts) in edits.items():
            suffix = ".mp4" if opts.get("picture") else (".m4a" if opts.get("codec") == "aac" else ".wav")
            query = write(folder / f"q{i}_{name}{suffix}", samples, **opts)
            cases.append(AudioCase(query, ref, name))
        cases.append(AudioCase(write(folder / f"q{i}_muted.wav", np.zeros_like(src)), None, "muted"))
    for j, text in enumerate(DISTRACTOR_SENTENCES):
        cases.append(AudioCase(write(folder / f"d{j}.m4a", speech(text), codec="aac"), None, "distractor"))
    cases.append(AudioCase(write(folder / "d_music.wav", music(seed + 99)), None, "distractor"))
    return refs, cases


def soundtrack(bgm: np.ndarray, lines: list[tuple[float, np.ndarray]], *, bgm_gain: float = 0.35) -> np.ndarray:
    """An episode's sound as dramas mix it: background music under dialogue lines placed at the
    given seconds (music alone where nobody speaks)."""
    out = bgm_gain * bgm.astype(np.float32)
    for at, line in lines:
        start = int(at * RATE)
        out[start : start + len(line)] += line[: max(0, len(out) - start)]
    return (out / max(1.0, float(np.abs(out).max()))).astype(np.float32)


def to_rate(samples: np.ndarray, rate: int) -> np.ndarray:
    """``samples`` (at ``RATE``) resampled to ``rate`` for a video's sound track."""
    n = int(len(samples) * rate / RATE)
    return np.interp(np.linspace(0, len(samples) - 1, n), np.arange(len(samples)), samples).astype(np.float32)
