"""The fingerprinting stage's unit of work: one file → its picture and sound fingerprints.

``_fingerprint_job`` is a plain top-level function so a process pool or a Ray task can run it;
it returns a decode error as a value instead of raising it, so one bad file never stops a batch.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from fingerprint import DecodeError, FingerprintParams, VideoFingerprint, fingerprint_video
from fingerprint.extract import fingerprint_frames
from fingerprint.audio import AudioFingerprint, fingerprint_audio
from fingerprint.speech import SpeechParams
from fingerprint.media import DecodeLimits, Grid, sample_grids
from matcher.crop_candidates import CropGrid, describe_grid
from storage import references

log = logging.getLogger(__name__)


def sha256_file(path: Path, chunk: int = 1 << 20) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


@dataclass(frozen=True)
class EpisodePrints:
    """Both fingerprints of one file: the picture's (required) and the sound's (may be empty);
    for a registration also the small reference keyframes kept for evidence pictures."""

    video: VideoFingerprint
    audio: AudioFingerprint
    keyframes: list[tuple[int, np.ndarray]] = field(default_factory=list)  # (time ms, colour image)
    crop_grid: CropGrid | None = None  # the keyframes under the crop grid (matcher.crop_candidates)


def _fingerprint_job(path: str, params: FingerprintParams, limits: DecodeLimits, keyframes: bool = False):
    """Process-pool entry point: returns the fingerprints or the decode error, never raises it.

    ``keyframes`` (registration) keeps the evidence keyframes from the same decode as the
    fingerprint's frames (a second grid: colour, one a second), inside the pool.
    """
    try:
        if keyframes:  # a registration: a reference gets its shifted views too
            grids = [Grid(params.interval_ms, params.max_side),
                     Grid(references.INTERVAL_MS, references.MAX_SIDE, colour=True, last=True)]
            frames, evidence = sample_grids(Path(path), grids, limits=limits, decode=params.decode)
            video = fingerprint_frames(frames, params, reference=True)
        else:
            video = fingerprint_video(Path(path), params, limits)
    except DecodeError as exc:
        return exc
    try:
        # a registration tags its landmarks dialogue or music; a scan's are never stored
        audio = fingerprint_audio(Path(path), speech=SpeechParams() if keyframes else None)
    except DecodeError as exc:  # a damaged sound track never costs the picture's registration
        log.warning("audio not fingerprinted: %s", exc)
        audio = AudioFingerprint(np.zeros(0, np.int64), np.zeros(0, np.int64), 0)
    if not keyframes:
        return EpisodePrints(video, audio)
    kept = [(f.time_ms, f.rgb if f.rgb is not None else f.grey) for f in evidence]
    # described here, in the pool: the registering process only stores it (docs/scaling.md)
    grid = describe_grid([(t, references.small_grey(picture)) for t, picture in kept])
    return EpisodePrints(video, audio, kept, grid)
