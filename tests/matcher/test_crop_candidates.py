"""The crop-grid index: a box crop no grid box equals still ranks its episode first, along the
right line, and the grid box it names starts a crop fit that finds the crop."""
from __future__ import annotations

import cv2
import numpy as np

from fingerprint import descriptor
from fingerprint.borders import Box
from matcher.crop_candidates import GRID, CropCandidates, coarse, describe_grid
from matcher.crop_fit import fit_crop


def _clip(seed: int, seconds: int = 6) -> list[tuple[int, np.ndarray]]:
    """Keyframes (1/s) of a clip with a cut every second: smooth random shots, 120x90 grey."""
    rng = np.random.default_rng(seed)
    shots = []
    for s in range(seconds):
        shot = cv2.GaussianBlur(rng.uniform(0, 255, (90, 120)).astype(np.float32), (0, 0), 4)
        shots.append((1000 * s, cv2.normalize(shot, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)))
    return shots


def test_the_grid_covers_sides_from_six_tenths_to_whole():
    assert len(GRID) == 99 and Box() not in GRID
    assert abs(min(b.right - b.left for b in GRID) - 0.6) < 1e-9 and all(0 <= b.left and b.right <= 1 + 1e-9 for b in GRID)


def test_coarse_keeps_fifteen_unit_coefficients():
    v = coarse(np.random.default_rng(0).normal(size=(4, descriptor.DIM)).astype(np.float32))
    assert v.shape == (4, 15) and np.allclose(np.linalg.norm(v, axis=1), 1)


def test_a_box_crop_ranks_its_episode_first_and_the_fit_finds_the_box():
    episodes = {e: _clip(e) for e in range(1, 6)}
    index = CropCandidates({e: describe_grid(k) for e, k in episodes.items()})
    assert len(index) == 5 * 6 * len(GRID)
    box = Box(0.17, 0.24, 0.78, 0.96)  # no grid box: the nearest is a few hundredths off
    # the copy starts 2 s into episode 3, its frames every 250 ms (between keyframes too)
    times = np.arange(0, 3000, 250)
    scene = episodes[3]
    frames = [scene[min(len(scene) - 1, (t + 2000) // 1000)][1] for t in times]
    vectors = np.stack([descriptor.describe(cv2.resize(box.crop(f), (120, 90))) for f in frames])
    [best, *_] = index.search(times, vectors)
    assert best.episode_id == 3 and not best.flipped and abs(best.offset_ms - 2000) <= 500
    fit = fit_crop(times, vectors, scene, slope=1.0, offset_ms=best.offset_ms, starts=(best.box,))
    assert fit is not None and fit.similarity > 0.9
    assert max(abs(a - b) for a, b in zip((fit.box.left, fit.box.top, fit.box.right, fit.box.bottom),
                                          (box.left, box.top, box.right, box.bottom))) < 0.06


def test_a_mirrored_copy_is_proposed_flipped_and_an_excluded_episode_not_at_all():
    episodes = {e: _clip(e) for e in range(1, 4)}
    index = CropCandidates({e: describe_grid(k) for e, k in episodes.items()})
    frames = [cv2.flip(Box(0.0, 0.0, 0.75, 0.75).crop(p), 1) for _, p in episodes[2]]
    vectors = np.stack([descriptor.describe(f) for f in frames])
    times = np.arange(len(frames)) * 1000
    [best, *_] = index.search(times, vectors, every=1)
    assert best.episode_id == 2 and best.flipped
    assert all(c.episode_id != 2 for c in index.search(times, vectors, exclude={2}, every=1))
    assert CropCandidates({}).search(times, vectors) == []
