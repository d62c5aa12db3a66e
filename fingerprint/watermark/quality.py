"""Transparency figures: PSNR and SSIM (Wang et al. 2004, Gaussian window) on 8-bit luma."""
from __future__ import annotations

import cv2
import numpy as np

_C1 = (0.01 * 255) ** 2
_C2 = (0.03 * 255) ** 2


def mse(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))


def psnr_db(mean_squared_error: float) -> float:
    return float("inf") if mean_squared_error == 0 else 10 * np.log10(255**2 / mean_squared_error)


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Mean SSIM of two luma images (11×11 Gaussian window, σ = 1.5, as in the paper)."""
    x, y = a.astype(np.float64), b.astype(np.float64)

    def blur(img: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(img, (11, 11), 1.5)

    mx, my = blur(x), blur(y)
    vx, vy, cxy = blur(x * x) - mx * mx, blur(y * y) - my * my, blur(x * y) - mx * my
    num = (2 * mx * my + _C1) * (2 * cxy + _C2)
    den = (mx * mx + my * my + _C1) * (vx + vy + _C2)
    return float(np.mean(num / den))
