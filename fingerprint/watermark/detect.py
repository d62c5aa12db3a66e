"""Blind detection: average the normalised frames, find the pilot, read and decode the bits.

The suspect's frames are resized to a ``2 × grid`` square, high-passed and averaged. The pilot is
then searched for over both orientations (pirates mirror), per-axis scales (a crop of up to
``max_crop`` of each axis, or a re-framing) and offsets (cv2.matchTemplate), coarse then fine. The
best few placements are mapped back onto the embedding grid and their bits decoded; only a word
that passes Reed–Solomon *and* the keyed CRC counts, so unmarked video yields None.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from fingerprint.watermark.pattern import Pattern, WatermarkParams, key_tag
from fingerprint.watermark.payload import CODE_BITS, WatermarkPayload, decode_bits, encode_bits
from fingerprint.watermark.video import iter_luma

log = logging.getLogger(__name__)

_SEARCH = 2  # search grid = _SEARCH × embedding grid, for sub-cell offsets


@dataclass(frozen=True)
class DetectOptions:
    max_crop: float = 0.12  # largest share of an axis a crop may have removed
    coarse_step: float = 0.03
    fine_step: float = 0.01
    candidates: int = 3  # placements decoded, best pilot scores first
    interval_ms: int = 0  # sample frames at least this far apart (0: every frame)
    max_frames: int = 750  # ~30 s at 25 fps: plenty of averaging, bounded time
    work_factor: float = 1.5  # residuals are taken on a (work_factor × grid) square
    denoise: int = 3  # median kernel (search-grid pixels): the residual keeps texture, not scenes
    clip: float = 1.5  # residuals beyond this many mean-absolute-residuals are content edges


@dataclass(frozen=True)
class Placement:
    """Where the suspect sits in the original frame: its visible share and offset per axis."""

    flipped: bool
    scale_x: float
    scale_y: float
    offset_x: float  # share of the original's width cut on the left
    offset_y: float
    pilot: float  # normalised correlation with the pilot


@dataclass(frozen=True)
class Detection:
    payload: WatermarkPayload
    confidence: float  # correlation of the soft bits with the decoded codeword (1 = perfect)
    bit_errors: int  # raw bit errors that Reed–Solomon corrected
    bit_error_rate: float
    placement: Placement
    frames: int


@dataclass(frozen=True)
class Reading:
    """Soft bits read at one candidate placement (before error correction)."""

    placement: Placement
    soft_bits: np.ndarray


@dataclass(frozen=True)
class Evidence:
    """What detection needs from a video, independent of the key: its averaged residual."""

    average: np.ndarray
    frames: int


def detect_video(
    path: Path,
    key: bytes,
    *,
    start_s: float | None = None,
    end_s: float | None = None,
    params: WatermarkParams = WatermarkParams(),
    options: DetectOptions = DetectOptions(),
) -> Detection | None:
    """Read the watermark of ``path`` (optionally only the matched range); None if there is none.

    Raises WatermarkError when the file cannot be decoded.
    """
    return detect(gather_video(path, start_s=start_s, end_s=end_s, params=params,
                               options=options), key, params=params, options=options)


def gather_video(
    path: Path,
    *,
    start_s: float | None = None,
    end_s: float | None = None,
    params: WatermarkParams = WatermarkParams(),
    options: DetectOptions = DetectOptions(),
) -> Evidence:
    frames = iter_luma(path, start_s=start_s, end_s=end_s,
                       interval_ms=options.interval_ms, max_frames=options.max_frames)
    return gather(frames, params=params, options=options)


def gather(
    frames: Iterable[np.ndarray],
    *,
    params: WatermarkParams = WatermarkParams(),
    options: DetectOptions = DetectOptions(),
) -> Evidence:
    """Average decoded luma frames (uint8, any size) into the evidence detection reads."""
    average, count = _average_residual(frames, params.grid * options.work_factor, options)
    size = params.grid * _SEARCH
    return Evidence(cv2.resize(average, (size, size), interpolation=cv2.INTER_LINEAR), count)


def read(
    evidence: Evidence,
    key: bytes,
    *,
    params: WatermarkParams = WatermarkParams(),
    options: DetectOptions = DetectOptions(),
) -> list[Reading]:
    """Soft bits at the best pilot placements, best first (for detection and for measuring BER)."""
    if evidence.frames == 0:
        return []
    pattern = Pattern(key, params)
    return [Reading(place, pattern.soft_bits(_to_grid(evidence.average, place, params.grid)))
            for place in _placements(evidence.average, pattern, options)]


def detect(
    evidence: Evidence,
    key: bytes,
    *,
    params: WatermarkParams = WatermarkParams(),
    options: DetectOptions = DetectOptions(),
) -> Detection | None:
    """The first placement whose bits decode and pass the keyed CRC, or None."""
    tag = key_tag(key)
    for reading in read(evidence, key, params=params, options=options):
        soft = reading.soft_bits
        decoded = decode_bits(soft, tag)
        if decoded is None:
            continue
        signs = encode_bits(decoded.payload, tag).astype(np.float64) * 2 - 1
        confidence = float(soft @ signs / (np.linalg.norm(soft) * np.sqrt(CODE_BITS) + 1e-12))
        log.debug("watermark found at %s", reading.placement)
        return Detection(decoded.payload, confidence, decoded.corrected_bits,
                         decoded.corrected_bits / CODE_BITS, reading.placement, evidence.frames)
    return None


def _average_residual(
    frames: Iterable[np.ndarray], size: float, options: DetectOptions
) -> tuple[np.ndarray, int]:
    """Mean of the frames' denoising residuals on a size × size grid, each clipped and whitened.

    The residual (frame minus its median-filtered self) strips most of the picture and keeps the
    mark's fine texture; clipping tames edges; unit variance stops one busy frame from dominating.
    """
    size = round(size)
    total = np.zeros((size, size), dtype=np.float64)
    count = 0
    for luma in frames:
        img = cv2.resize(luma, (size, size), interpolation=cv2.INTER_AREA)
        residual = img.astype(np.float32) - cv2.medianBlur(img, options.denoise)
        limit = options.clip * float(np.mean(np.abs(residual))) + 1e-3
        residual = np.clip(residual, -limit, limit)
        total += residual / (float(residual.std()) + 1e-3)
        count += 1
    return (total / max(count, 1)).astype(np.float32), count


def _pilot_map(search: np.ndarray, pilot: np.ndarray, sx: float, sy: float) -> np.ndarray:
    size = pilot.shape[0]
    template = cv2.resize(search, (round(size * sx), round(size * sy)),
                          interpolation=cv2.INTER_AREA)
    return cv2.matchTemplate(pilot, template, cv2.TM_CCOEFF_NORMED)


def _placements(average: np.ndarray, pattern: Pattern, options: DetectOptions) -> list[Placement]:
    """The best pilot placements: coarse scale grid, then refined around each coarse winner."""
    size = average.shape[0]
    pilot = cv2.resize(pattern.pilot, (size, size), interpolation=cv2.INTER_LINEAR)
    low = 1.0 - options.max_crop
    coarse = np.unique(np.clip(np.append(np.arange(1.0, low - 1e-9, -options.coarse_step), low),
                               low, 1.0))
    found: list[Placement] = []
    for flipped in (False, True):
        search = np.ascontiguousarray(average[:, ::-1]) if flipped else average
        best = _best(search, pilot, flipped, [(sx, sy) for sx in coarse for sy in coarse])
        half = options.coarse_step / 2
        fine = [(sx, sy)
                for sx in np.arange(best.scale_x - half, best.scale_x + half + 1e-9,
                                    options.fine_step)
                for sy in np.arange(best.scale_y - half, best.scale_y + half + 1e-9,
                                    options.fine_step)
                if low - 1e-9 <= sx <= 1.0 + 1e-9 and low - 1e-9 <= sy <= 1.0 + 1e-9]
        found.append(_best(search, pilot, flipped, fine + [(best.scale_x, best.scale_y)]))
    found.sort(key=lambda p: p.pilot, reverse=True)
    return found[: options.candidates]


def _best(
    search: np.ndarray, pilot: np.ndarray, flipped: bool, scales: list[tuple[float, float]]
) -> Placement:
    size = pilot.shape[0]
    best: Placement | None = None
    for sx, sy in scales:
        sx, sy = min(float(sx), 1.0), min(float(sy), 1.0)
        scores = _pilot_map(search, pilot, sx, sy)
        _, peak, _, (ox, oy) = cv2.minMaxLoc(scores)
        if best is None or peak > best.pilot:
            best = Placement(flipped, sx, sy, ox / size, oy / size, float(peak))
    assert best is not None
    return best


def _to_grid(average: np.ndarray, place: Placement, grid: int) -> np.ndarray:
    """Map the averaged suspect back onto the embedding grid; unseen parts stay zero."""
    search = average[:, ::-1] if place.flipped else average
    ratio = grid / search.shape[0]
    matrix = np.array([[place.scale_x * ratio, 0, place.offset_x * grid],
                       [0, place.scale_y * ratio, place.offset_y * grid]], dtype=np.float64)
    return cv2.warpAffine(np.ascontiguousarray(search), matrix, (grid, grid),
                          flags=cv2.INTER_AREA, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
