"""A burned-in caption bar (bottom or top, darkened or opaque) is found from its steady inner
edge, and a copy's picture beside it becomes one more query view that meets the reference."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from benchmarks.edits import Piece, text_bar, write
from fingerprint import fingerprint_video
from fingerprint.borders import content_box, find_band
from fingerprint.extract import FingerprintParams
from fingerprint.media import sample_frames
from tests.fingerprint.test_shifted_views import _best_similarity

pytestmark = pytest.mark.bench


def bar(share: float, *, top: bool = False, opaque: bool = False):
    def edit(image: np.ndarray) -> np.ndarray:
        out = image.copy()
        h = out.shape[0]
        rows = slice(0, int(h * share)) if top else slice(h - int(h * share), h)
        out[rows] = 16 if opaque else (out[rows] * 0.3).astype(np.uint8)
        cv2.putText(out, "EP FULL HD", (8, int(h * share) - 8 if top else h - 8),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 0), 2)
        return out

    return edit


def greys(path):
    return [f.grey for f in sample_frames(path, interval_ms=250, max_side=256)]


@pytest.mark.parametrize(("share", "top", "opaque"), [(0.15, False, True), (0.2, False, False),
                                                      (0.25, True, False), (0.2, True, True)])
def test_the_bar_is_found_where_it_was_burned(bench_dir, tmp_path, share, top, opaque):
    copy = tmp_path / "captioned.mp4"
    write(copy, [Piece(bench_dir / "refs" / "bikes.mp4", 0, 6)], edit=bar(share, top=top, opaque=opaque))
    frames = greys(copy)
    found = find_band(frames, content_box(frames))
    assert found is not None
    band = found.beside
    edge = band.top if top else 1 - band.bottom
    assert abs(edge - share) < 0.03, band


def test_no_bar_in_the_registered_episodes(bench_dir):
    for ref in sorted((bench_dir / "refs").glob("*.mp4")):
        frames = greys(ref)
        assert find_band(frames, content_box(frames)) is None, ref.name


def test_a_captioned_copy_meets_the_reference(bench_dir, tmp_path):
    source = bench_dir / "refs" / "bikes.mp4"
    copy = tmp_path / "captioned.mp4"
    write(copy, [Piece(source)], edit=text_bar)
    reference = fingerprint_video(source, reference=True)
    without = _best_similarity(fingerprint_video(copy, FingerprintParams(caption=False)), reference)
    query = fingerprint_video(copy)
    assert query.params["caption"] is True
    assert _best_similarity(query, reference) > without + 0.1, without
