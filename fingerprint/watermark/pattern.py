"""The keyed watermark pattern: spread-spectrum chips in DWT detail bands of a normalised frame.

Every frame is resized (whatever its size or aspect) to a ``grid`` × ``grid`` luma image; the
watermark lives in that image's wavelet detail coefficients at ``levels`` — low-to-mid spatial
frequencies that survive re-encoding and down-scaling. A key-seeded permutation gives a quarter of
those coefficients to a *pilot* (a known ±1 sequence used to find flips, crops and scale at
detection time) and spreads each codeword bit over an equal share of the rest, scattered across
the whole frame so that a crop or an overlay removes a little of every bit instead of whole bits.
The same pattern is added to every frame, so a detector averages frames: content moves and cancels,
the mark adds up, and dropped or retimed frames change nothing.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pywt

from fingerprint.watermark.payload import CODE_BITS

ALGORITHM = "dwt-ss-pilot"
VERSION = 1


@dataclass(frozen=True)
class WatermarkParams:
    """Everything that changes what a mark looks like; stored with (ALGORITHM, VERSION)."""

    grid: int = 128
    wavelet: str = "db2"
    levels: tuple[int, ...] = (2,)
    pilot_share: float = 0.25
    strength: float = 5.0  # amplitude of one coefficient, in 8-bit luma units (orthonormal DWT)

    def as_dict(self) -> dict[str, object]:
        return {"algorithm": ALGORITHM, "version": VERSION, "grid": self.grid,
                "wavelet": self.wavelet, "levels": list(self.levels),
                "pilot_share": self.pilot_share, "strength": self.strength}


def _rng(key: bytes, purpose: bytes) -> np.random.Generator:
    digest = hashlib.sha256(b"dramaguard/watermark/v1\0" + purpose + b"\0" + key).digest()
    return np.random.default_rng(np.frombuffer(digest, dtype=np.uint64))


def key_tag(key: bytes) -> bytes:
    """A public-safe digest of the key that seeds the payload CRC (never the key itself)."""
    return hashlib.sha256(b"dramaguard/watermark/tag\0" + key).digest()[:8]


@dataclass(frozen=True)
class Pattern:
    """The chips of one key under one set of params; build once, use for many frames."""

    key: bytes = field(repr=False)
    params: WatermarkParams

    @cached_property
    def _layout(self) -> tuple[list, list[tuple[int, str]]]:
        """The wavedec2 coefficient template and the (level, band) slots that carry the mark."""
        p = self.params
        depth = max(p.levels)
        coeffs = pywt.wavedec2(np.zeros((p.grid, p.grid)), p.wavelet, mode="periodization",
                               level=depth)
        slots = [(level, band) for level in p.levels for band in range(3)]
        return coeffs, slots

    @property
    def size(self) -> int:
        coeffs, slots = self._layout
        depth = len(coeffs) - 1
        return sum(coeffs[depth - level + 1][band].size for level, band in slots)

    @cached_property
    def _assignment(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per carrier coefficient: ±1 chip, and the bit it carries (-1 = pilot)."""
        rng = _rng(self.key, b"chips")
        chips = rng.choice(np.array([-1.0, 1.0]), size=self.size)
        n_pilot = int(round(self.size * self.params.pilot_share))
        order = rng.permutation(self.size)
        owner = np.empty(self.size, dtype=np.int64)
        owner[order[:n_pilot]] = -1
        payload_slots = order[n_pilot:]
        owner[payload_slots] = np.arange(payload_slots.size) % CODE_BITS
        if payload_slots.size < CODE_BITS:
            raise ValueError("grid/levels leave fewer carrier coefficients than codeword bits")
        return chips, owner, np.bincount(owner[owner >= 0], minlength=CODE_BITS)

    def carriers(self, image: np.ndarray) -> np.ndarray:
        """The carrier coefficients of a grid × grid image, flattened in a fixed order."""
        coeffs = pywt.wavedec2(image, self.params.wavelet, mode="periodization",
                               level=max(self.params.levels))
        depth = len(coeffs) - 1
        _, slots = self._layout
        return np.concatenate([coeffs[depth - lv + 1][band].ravel() for lv, band in slots])

    def _image(self, values: np.ndarray) -> np.ndarray:
        """Inverse of :meth:`carriers`: a grid × grid image from carrier coefficient values."""
        template, slots = self._layout
        coeffs = [np.zeros_like(template[0])] + [
            tuple(np.zeros_like(b) for b in detail) for detail in template[1:]
        ]
        depth = len(coeffs) - 1
        start = 0
        for level, band in slots:
            detail = list(coeffs[depth - level + 1])
            n = detail[band].size
            detail[band] = values[start:start + n].reshape(detail[band].shape)
            coeffs[depth - level + 1] = tuple(detail)
            start += n
        return pywt.waverec2(coeffs, self.params.wavelet, mode="periodization")

    def mark(self, bits: np.ndarray) -> np.ndarray:
        """The spatial watermark (float32 grid × grid, luma units) carrying codeword ``bits``."""
        chips, owner, _ = self._assignment
        signs = np.where(owner < 0, 1.0, 0.0)
        payload = owner >= 0
        signs[payload] = np.where(bits[owner[payload]] > 0, 1.0, -1.0)
        return self._image(self.params.strength * chips * signs).astype(np.float32)

    @cached_property
    def pilot(self) -> np.ndarray:
        """The pilot alone as a spatial image: what detection searches for."""
        chips, owner, _ = self._assignment
        return self._image(np.where(owner < 0, chips, 0.0)).astype(np.float32)

    def soft_bits(self, image: np.ndarray) -> np.ndarray:
        """Per codeword bit, the mean chip-correlation of ``image`` (sign = bit value)."""
        chips, owner, counts = self._assignment
        values = self.carriers(image) * chips
        payload = owner >= 0
        sums = np.bincount(owner[payload], weights=values[payload], minlength=CODE_BITS)
        return sums / counts
