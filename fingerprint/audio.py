"""Audio → spectral-peak landmarks: the second, independent signal of a copy.

Pirates flip, crop and cover the picture but rarely replace the sound. The track is decoded with
PyAV to 8 kHz mono, peaks of the log spectrogram are paired into landmarks ``(f1, f2 - f1, dt)``
hashed with the anchor's time (Wang's Shazam scheme, as in dejavu). A copy played faster by
resampling (pitch and tempo together, the usual pirate "speed-up") scales every frequency by
``a`` and every time by ``1/a``; the matcher undoes that by re-describing the query at a few
rates, so the reference side stays one plain fingerprint.

A registered episode's landmarks are also tagged dialogue or music (:mod:`fingerprint.speech`):
a landmark whose two peaks both lie in speech is dialogue, any other is music (version 2; rows of
version 1 have no tags and count as music, the kind that can never claim alone).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from fingerprint.errors import DecodeError
from fingerprint.speech import SpeechParams, inside, speech_segments

ALGORITHM = "peak-landmarks"
VERSION = 2
MUSIC, DIALOGUE = 0, 1  # landmark kinds
RATE = 8000
WINDOW = 512  # 64 ms
HOP = 256  # 32 ms: the landmark time unit
FRAME_MS = HOP * 1000 / RATE


@dataclass(frozen=True)
class AudioParams:
    peak_freq: int = 15  # neighbourhood half-size of a peak, bins
    peak_time: int = 7  # and frames
    peaks_per_second: int = 30
    fan_out: int = 6
    max_dt: int = 48  # frames (~1.5 s)
    max_df: int = 80  # bins

    def as_dict(self) -> dict:
        return {"rate": RATE, "window": WINDOW, "hop": HOP, **self.__dict__}


@dataclass
class AudioFingerprint:
    """Landmark hashes and their anchor times (ms); empty for silent or muted media. ``kinds``
    (uint8, :data:`MUSIC` or :data:`DIALOGUE` per landmark) only for registered references."""

    hashes: np.ndarray  # int64 (n,)
    times_ms: np.ndarray  # int64 (n,)
    duration_ms: int
    algorithm: str = ALGORITHM
    version: int = VERSION
    params: dict = field(default_factory=dict)
    kinds: np.ndarray | None = None

    def dialogue(self) -> np.ndarray:
        """Per landmark: is it dialogue? (untagged fingerprints: none is)"""
        if self.kinds is None:
            return np.zeros(len(self.hashes), bool)
        return self.kinds == DIALOGUE

    def __len__(self) -> int:
        return len(self.hashes)


def decode_audio(path: Path) -> np.ndarray | None:
    """The first audio stream as float32 mono samples at ``RATE``; ``None`` when there is none."""
    import av

    try:
        container = av.open(str(path))
    except (av.FFmpegError, ValueError) as exc:
        raise DecodeError(str(path), f"not a readable media file ({exc})") from exc
    with container:
        if not container.streams.audio:
            return None
        resampler = av.AudioResampler(format="flt", layout="mono", rate=RATE)
        chunks = []
        try:
            for frame in container.decode(container.streams.audio[0]):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().reshape(-1))
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
        except av.FFmpegError as exc:
            if not chunks:
                raise DecodeError(str(path), f"corrupt audio ({exc})") from exc
    return np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)


def spectrogram(samples: np.ndarray) -> np.ndarray:
    """Log-magnitude spectrogram, shape (frames, WINDOW // 2 + 1)."""
    if len(samples) < WINDOW:
        return np.zeros((0, WINDOW // 2 + 1), np.float32)
    frames = np.lib.stride_tricks.sliding_window_view(samples, WINDOW)[::HOP] * np.hanning(WINDOW).astype(np.float32)
    return np.log1p(1000.0 * np.abs(np.fft.rfft(frames, axis=1))).astype(np.float32)


def peaks(spec: np.ndarray, params: AudioParams) -> tuple[np.ndarray, np.ndarray]:
    """(frame, bin) of local maxima that stand out, strongest first, capped per second."""
    if spec.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    kernel = np.ones((2 * params.peak_time + 1, 2 * params.peak_freq + 1), np.uint8)
    local_max = (spec == cv2.dilate(spec, kernel)) & (spec > spec.mean() + spec.std())
    t, f = np.nonzero(local_max)
    keep = int(params.peaks_per_second * len(spec) * HOP / RATE) + 1
    order = np.argsort(-spec[t, f], kind="stable")[:keep]
    order = order[np.argsort(t[order], kind="stable")]
    return t[order].astype(np.int64), f[order].astype(np.int64)


def landmarks(
    t: np.ndarray, f: np.ndarray, params: AudioParams
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pair each peak (sorted by frame) with the next ``fan_out`` peaks of its target zone
    (1..max_dt frames later, within max_df bins): (hash, anchor frame, target frame), by anchor
    then target. Array code, not a loop over pairs: a query is described at 25 speeds."""
    t, f = np.asarray(t, np.int64), np.asarray(f, np.int64)
    empty = np.zeros(0, np.int64)
    if len(t) < 2:
        return empty, empty, empty
    anchor = np.arange(len(t))
    ends = np.searchsorted(t, t + params.max_dt, side="right")  # past the last peak in reach
    width = int((ends - anchor).max()) - 1
    if width < 1:
        return empty, empty, empty
    later = anchor[:, None] + np.arange(1, width + 1)[None, :]
    reach = later < ends[:, None]
    later = np.minimum(later, len(t) - 1)
    dt, df = t[later] - t[:, None], f[later] - f[:, None]
    ok = reach & (dt >= 1) & (np.abs(df) <= params.max_df)
    ok &= np.cumsum(ok, axis=1) <= params.fan_out
    i, k = np.nonzero(ok)
    j, dt, df = later[i, k], dt[i, k], df[i, k]
    # frequencies to 4-bin units (62 Hz): a speed between two steps still hashes the same
    hashes = ((f[i] >> 2) << 16) | (((df + 128) >> 2) << 8) | dt
    return hashes, t[i], t[j]


def describe_samples(
    samples: np.ndarray, params: AudioParams = AudioParams(), speech: SpeechParams | None = None
) -> AudioFingerprint:
    """Landmarks of ``samples``; with ``speech``, each tagged dialogue or music (references)."""
    t, f = peaks(spectrogram(samples), params)
    hashes, anchors, targets = landmarks(t, f, params)
    kinds, described = None, params.as_dict()
    if speech is not None:
        segments = speech_segments(samples, RATE, speech)
        both = inside(anchors * FRAME_MS, segments) & inside(targets * FRAME_MS, segments)
        kinds = np.where(both, DIALOGUE, MUSIC).astype(np.uint8)
        described = {**described, "speech": speech.as_dict()}
    return AudioFingerprint(
        hashes=hashes,
        times_ms=np.round(anchors * FRAME_MS).astype(np.int64),
        duration_ms=int(len(samples) * 1000 / RATE),
        params=described,
        kinds=kinds,
    )


def fingerprint_audio(
    path: Path, params: AudioParams = AudioParams(), speech: SpeechParams | None = SpeechParams()
) -> AudioFingerprint:
    """Landmarks of a file's sound (tagged dialogue or music unless ``speech`` is None); an empty
    fingerprint for a file without an audio stream."""
    samples = decode_audio(Path(path))
    if samples is None:
        return AudioFingerprint(np.zeros(0, np.int64), np.zeros(0, np.int64), 0, params=params.as_dict(),
                                kinds=np.zeros(0, np.uint8))
    return describe_samples(samples, params, speech)


# 0.75× … 1.5× in steps of 2^(1/24) (≈3 %): a copy between two steps is at most 1.5 % off, which
# the 4-bin frequency units of the hash absorb
SPEEDS = tuple(float(2 ** (k / 24)) for k in range(-10, 15))


def query_views(
    path: Path, params: AudioParams = AudioParams(), speeds: tuple[float, ...] = SPEEDS
) -> list[tuple[float, AudioFingerprint]]:
    """A query's landmarks as heard at each speed a pirate may have applied, undone; empty when
    the file has no sound. The reference side is never re-described."""
    samples = decode_audio(Path(path))
    if samples is None or len(samples) == 0:
        return []
    return [(speed, describe_samples(resample_rate(samples, speed), params)) for speed in speeds]


def resample_rate(samples: np.ndarray, factor: float) -> np.ndarray:
    """The track as if played ``factor`` times slower by resampling (undoes a pitch+tempo speed-up
    of ``factor``): linear interpolation is enough for peak positions."""
    n = int(len(samples) * factor)
    if n < 2:
        return samples
    return np.interp(np.linspace(0, len(samples) - 1, n), np.arange(len(samples)), samples).astype(
        np.float32
    )
