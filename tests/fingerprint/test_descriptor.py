"""Descriptor properties the matcher relies on."""
from __future__ import annotations

import numpy as np

from monitor import samples
from fingerprint import descriptor
from fingerprint.borders import content_box


def _picture(seed: int = 3) -> np.ndarray:
    rgb = next(iter(samples.episode_frames(seed, 0.1)))
    return rgb.mean(axis=2).astype(np.uint8)


def test_mirror_of_descriptor_equals_descriptor_of_mirror():
    grey = _picture()
    flipped = descriptor.describe(np.ascontiguousarray(grey[:, ::-1]))
    assert np.allclose(descriptor.mirrored(descriptor.describe(grey)[None])[0], flipped, atol=1e-4)
    assert float(descriptor.describe(grey) @ flipped) < 0.9  # the picture is not symmetric


def test_brightness_and_contrast_do_not_change_the_descriptor():
    grey = _picture().astype(np.float32)
    edited = np.clip(grey * 0.7 + 40, 0, 255).astype(np.uint8)
    assert float(descriptor.describe(grey.astype(np.uint8)) @ descriptor.describe(edited)) > 0.98


def test_different_pictures_are_far_apart():
    assert float(descriptor.describe(_picture(3)) @ descriptor.describe(_picture(4))) < 0.7


def test_black_bars_are_found_and_trimmed():
    frames = []
    for rgb in samples.episode_frames(9, 1.0, size=(90, 160)):
        canvas = np.zeros((160, 284), np.uint8)
        canvas[:, 97:187] = rgb.mean(axis=2)
        frames.append(canvas)
    box = content_box(frames)
    assert abs(box.left - 97 / 284) < 0.02 and abs(box.right - 187 / 284) < 0.02
    assert box.top < 0.02 and box.bottom > 0.98


def test_unpadded_video_keeps_the_whole_frame():
    frames = [rgb.mean(axis=2).astype(np.uint8) for rgb in samples.episode_frames(9, 1.0, size=(90, 160))]
    assert content_box(frames).area > 0.97
