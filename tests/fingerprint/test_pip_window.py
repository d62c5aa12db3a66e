"""A picture-in-picture window over busy, moving footage (issue 23: PiP, the weak transform).

Both pictures are the series benchmark's rendered sets (strong texture everywhere), encoded and
decoded for real: the pasted window's sides are a step between two moving textures, weaker than
four times the clip's typical gradient, so only the looser pass of the window finder sees them.
"""
from __future__ import annotations

from pathlib import Path

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
