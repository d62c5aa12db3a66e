"""A half-transparent text plate over the upper part of a copy (not touching the frame's edge)
is found from its two steady edges, and the copy's picture with the plate lifted meets the
reference far better than the copy as it is."""
from __future__ import annotations

import numpy as np
import pytest

from benchmarks.edits import Piece, overlay_text, write
from fingerprint import fingerprint_video
from fingerprint.borders import find_band, lifted
from fingerprint.extract import VIEWS, FingerprintParams
from fingerprint.media import sample_frames
from tests.fingerprint.test_shifted_views import _best_similarity

pytestmark = pytest.mark.bench

PLATE = overlay_text(["FULL EPISODE", "HD 1080P", "EP 1-80"], at=0.2, size=0.8, colour=(255, 230, 0), box=True)


def _plated(bench_dir, tmp_path):
    source = bench_dir / "refs" / "bikes.mp4"
    copy = tmp_path / "plated.mp4"
    write(copy, [Piece(source)], size=(272, 480), edit=PLATE)
    return source, copy


def test_the_plate_is_found_between_its_two_edges(bench_dir, tmp_path):
    _, copy = _plated(bench_dir, tmp_path)
    band = find_band([f.grey for f in sample_frames(copy, interval_ms=250, max_side=256)])
    assert band is not None
    top, bottom = band.rows
    # overlay_text darkens from one text line above ``at`` to half a line under the last
    assert 0.05 < top < 0.15 and 0.35 < bottom < 0.45, band
    assert abs(band.beside.top - bottom) < 0.02


def test_lifting_restores_the_grey_levels_under_the_plate():
    rng = np.random.default_rng(1)
    picture = rng.integers(60, 200, (200, 100)).astype(np.uint8)
    plated = picture.copy()
    plated[40:90] = (plated[40:90] * 0.45).astype(np.uint8)
    back = lifted(plated, (0.2, 0.45))
    assert abs(float(back[40:90].mean()) - float(picture.mean())) < 8
    assert np.array_equal(back[:40], picture[:40])


def test_a_plated_copy_meets_the_reference_through_the_lifted_view(bench_dir, tmp_path):
    source, copy = _plated(bench_dir, tmp_path)
    reference = fingerprint_video(source, reference=True)
    query = fingerprint_video(copy)
    assert VIEWS.index("lifted") in set(query.views.tolist())
    without = _best_similarity(fingerprint_video(copy, FingerprintParams(caption=False)), reference)
    plain = query.whole_views()  # full + centre: the copy without the band's views
    assert _best_similarity(plain, reference) < without + 0.01
    assert _best_similarity(query, reference) > max(0.9, without + 0.05), without


def test_siblings_are_compared_by_the_whole_picture_only(bench_dir):
    ref = fingerprint_video(bench_dir / "refs" / "bikes.mp4", reference=True)
    whole = ref.whole_views()
    kinds = {VIEWS[v] for v in whole.views.tolist()}
    assert kinds <= {"full", "centre", "window"} and "full" in kinds
    assert len(whole) * 3 == len(ref)  # two of the six views per frame
    assert set(whole.times_ms.tolist()) == set(ref.times_ms.tolist())
