"""Per-frame descriptor: low-frequency 2-D DCT of the normalised grey picture.

The DCT basis makes mirroring free: a horizontal flip multiplies coefficient (v, u) by (-1)**u,
so a query is searched in both orientations without decoding twice. Coefficients are taken from
a zero-mean, unit-variance 32x32 image (insensitive to brightness, contrast and colour changes,
grey-scale conversion and mild blur), DC dropped, then L2-normalised for inner-product search.
"""
from __future__ import annotations

import cv2
import numpy as np

GRID = 32
BLOCK = 8
DIM = BLOCK * BLOCK - 1
# horizontal frequency index of each kept coefficient (row-major BLOCK x BLOCK, DC removed)
_U = np.tile(np.arange(BLOCK), BLOCK)[1:]
FLIP_SIGNS = np.where(_U % 2 == 1, -1.0, 1.0).astype(np.float32)


def information(grey: np.ndarray) -> float:
    """Standard deviation of the picture: near zero for black, flat or faded-out frames."""
    # OpenCV's one-pass statistics: numpy's std costs more than the descriptor itself
    return float(cv2.meanStdDev(grey)[1][0, 0])


def describe(grey: np.ndarray) -> np.ndarray:
    """Descriptor of one grey image (any size): float32 vector of length ``DIM``, unit norm."""
    small = cv2.resize(grey, (GRID, GRID), interpolation=cv2.INTER_AREA).astype(np.float32)
    mean, std = (float(v[0, 0]) for v in cv2.meanStdDev(small))  # numpy's mean/std cost 2x the rest
    small -= mean
    if std > 0:
        small /= std
    coeffs = cv2.dct(small)[:BLOCK, :BLOCK].reshape(-1)[1:]
    norm = float(np.linalg.norm(coeffs))
    return (coeffs / norm if norm > 0 else coeffs).astype(np.float32)


def mirrored(vectors: np.ndarray) -> np.ndarray:
    """Descriptors of the horizontally flipped pictures, computed from the originals."""
    return vectors * FLIP_SIGNS
