"""A picture-in-picture window over busy, moving footage (issue 23: PiP, the weak transform).

Both pictures are the series benchmark's rendered sets (strong texture everywhere), encoded and
decoded for real: the pasted window's sides are a step between two moving textures, weaker than
four times the clip's typical gradient, so only the looser pass of the window finder sees them.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from benchmarks import edits
from benchmarks.series_set import FPS, H, W, Series, Shot, render_shot
from benchmarks.weak_set import background
from fingerprint.media import sample_frames
from fingerprint.windows import find_window


def _pip_copy(path: Path) -> Path:
    series = Series("pip test", 5, 1)
    shot = render_shot(series.sets, Shot(1, 77, 6.0))
    edit = edits.pip(background(9), 0.55, 0.7, 0.6)
    edits.encode(path, (edit(frame) for frame in shot), fps=FPS, crf=26)
    return path


def test_a_window_over_busy_footage_is_found(tmp_path):
    greys = [f.grey for f in sample_frames(_pip_copy(tmp_path / "pip.mp4"), interval_ms=250, max_side=256)]
    h, w = greys[0].shape
    x0, y0 = int((W - int(W * 0.55)) * 0.7) / W, int((H - int(H * 0.55)) * 0.6) / H
    x1, y1 = x0 + 0.55, y0 + 0.55
    assert find_window(greys, strictness=(4.0,)) is None  # the strict pass alone misses it
    box = find_window(greys)
    assert box is not None
    assert abs(box.left - x0) < 0.03 and abs(box.right - x1) < 0.03
    assert abs(box.top - y0) < 0.03 and abs(box.bottom - y1) < 0.03


def test_busy_footage_without_a_window_gets_none(tmp_path):
    series = Series("no window", 6, 1)
    path = tmp_path / "plain.mp4"
    edits.encode(path, render_shot(series.sets, Shot(2, 78, 6.0)), fps=FPS, crf=26)
    assert find_window([f.grey for f in sample_frames(path, interval_ms=250, max_side=256)]) is None


def _noisy_window(box: tuple[int, int, int, int], lost: float) -> list[np.ndarray]:
    """Bright moving noise in ``box`` over dark moving noise; the lowest ``lost`` share of the
    window's left side blends into the background (a side lost in textured footage)."""
    rng = np.random.default_rng(3)
    x0, y0, x1, y1 = box
    frames = []
    for _ in range(16):
        frame = rng.integers(0, 70, (128, 128)).astype(np.uint8)
        frame[y0:y1, x0:x1] = rng.integers(150, 256, (y1 - y0, x1 - x0))
        n = int(lost * (y1 - y0))
        frame[y1 - n : y1, x0 : x0 + 4] = rng.integers(0, 70, (n, 4))
        frames.append(frame)
    return frames


def test_a_window_drawn_on_four_sides_may_lack_a_little_more_of_one(monkeypatch):
    from fingerprint import windows

    floating = _noisy_window((32, 32, 96, 96), lost=0.22)
    box = find_window(floating)
    assert box is not None and abs(box.left - 0.25) < 0.04 and abs(box.bottom - 0.75) < 0.04
    # against the frame's top edge only three sides are drawn: the same loss is too much
    assert find_window(_noisy_window((32, 0, 96, 64), lost=0.22)) is None
    monkeypatch.setattr(windows, "FOUR_SIDES_SLACK", 0.0)
    assert find_window(floating) is None
