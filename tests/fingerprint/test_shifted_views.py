"""References get windows shifted against each edge; an off-centre crop of a copy meets one."""
from __future__ import annotations

import numpy as np
import pytest

from benchmarks.edits import Piece, crop, write
from fingerprint import fingerprint_video
from fingerprint.extract import FingerprintParams

pytestmark = pytest.mark.bench


def _best_similarity(query, reference) -> float:
    """Median over query frames of the best similarity to the reference frame at the same time."""
    best = []
    for t in np.unique(query.times_ms):
        q = query.vectors[query.times_ms == t]
        r = reference.vectors[np.abs(reference.times_ms - t) <= 125]
        if len(r):
            best.append(float((q @ r.T).max()))
    return float(np.median(best))


def test_reference_rows_carry_four_more_views_and_say_so(bench_dir):
    path = bench_dir / "refs" / "bikes.mp4"
    plain, ref = fingerprint_video(path), fingerprint_video(path, reference=True)
    assert len(ref) == 3 * len(plain)  # whole, centre + four shifted windows per frame
    assert ref.params["shift"] == 0.15 and "shift" not in plain.params
    off = fingerprint_video(path, FingerprintParams(shift=0.0), reference=True)
    assert len(off) == len(plain) and off.params["shift"] == 0.0


def test_an_off_centre_crop_meets_a_shifted_window(bench_dir, tmp_path):
    source = bench_dir / "refs" / "bikes.mp4"
    copy = tmp_path / "off_centre.mp4"
    write(copy, [Piece(source)], size=(320, 240), edit=crop(0.2, dx=-1.0, dy=0.3))
    query = fingerprint_video(copy)
    without = _best_similarity(query, fingerprint_video(source, FingerprintParams(shift=0.0), reference=True))
    with_shift = _best_similarity(query, fingerprint_video(source, reference=True))
    assert with_shift > without + 0.15, (without, with_shift)  # measured 0.55 -> 0.88
