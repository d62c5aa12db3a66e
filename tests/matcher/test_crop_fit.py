"""The crop fit on real clips: a box crop's box is found on the reference's keyframes along the
copy's line, another clip's keyframes fit no box, and the fitted pairs lie on the line."""
from __future__ import annotations

import numpy as np
import pytest

from benchmarks.edits import Piece, box_crop, write
from fingerprint import fingerprint_video
from fingerprint.descriptor import mirrored
from fingerprint.extract import VIEWS
from fingerprint.media import sample_frames
from matcher.crop_fit import fit_crop, fitted_pairs

pytestmark = pytest.mark.bench

BOX = (0.05, 0.2, 0.8, 0.9)  # AugLy-style: off centre, another aspect ratio


def keyframes(path):
    """What registration keeps: one frame a second, small, as grey pictures."""
    return [(f.time_ms, f.grey) for f in sample_frames(path, interval_ms=1000, max_side=120)]


def whole_rows(fp):
    whole = fp.views == VIEWS.index("full")
    return fp.times_ms[whole], fp.vectors[whole]


@pytest.fixture(scope="module")
def cropped(bench_dir, tmp_path_factory):
    source = bench_dir / "refs" / "compilation_ep1.mp4"
    copy = tmp_path_factory.mktemp("crop") / "box.mp4"
    write(copy, [Piece(source, 10, 30)], size=(320, 240), edit=box_crop(*BOX))
    return source, copy


def test_the_box_is_found_along_the_line(cropped):
    source, copy = cropped
    times, vectors = whole_rows(fingerprint_video(copy))
    fit = fit_crop(times, vectors, keyframes(source), slope=1.0, offset_ms=10_000)
    assert fit is not None
    found = (fit.box.left, fit.box.top, fit.box.right, fit.box.bottom)
    assert np.abs(np.subtract(found, BOX)).max() <= 0.06, found
    assert fit.similarity >= 0.9 > fit.uncropped + 0.05


def test_a_wrong_line_or_another_clip_fits_no_box(cropped, bench_dir):
    source, copy = cropped
    times, vectors = whole_rows(fingerprint_video(copy))
    assert fit_crop(times, vectors, keyframes(source), slope=1.0, offset_ms=35_000) is None
    other = bench_dir / "refs" / "bikes.mp4"
    assert fit_crop(times, vectors, keyframes(other), slope=1.0, offset_ms=0) is None
    assert fit_crop(times, mirrored(vectors), keyframes(source), slope=1.0, offset_ms=10_000) is None


def test_fitted_pairs_follow_the_line_and_are_alike(cropped):
    source, copy = cropped
    times, vectors = whole_rows(fingerprint_video(copy))
    frames = keyframes(source)
    fit = fit_crop(times, vectors, frames, slope=1.0, offset_ms=10_000)
    pairs = np.asarray(fitted_pairs(times, vectors, frames, fit.box, slope=1.0, offset_ms=10_000))
    assert len(pairs) >= 0.9 * len(times)
    assert np.allclose(pairs[:, 1] - pairs[:, 0], 10_000, atol=1)
    assert np.median(pairs[:, 2]) >= 0.85  # a clip cut every 2-5 s: pairs across a cut mix two shots
