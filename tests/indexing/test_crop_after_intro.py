"""A crop of a series episode whose only index hits are the intro all episodes share: the
refits along the intro's lines fail, and the crop grid must still be allowed to propose the
episode (with its own line and box), not skip it as already tried."""
from __future__ import annotations

import pytest

from benchmarks import edits
from benchmarks.series_set import FPS, H, W, Series
from dramaguard.settings import Settings
from indexing import scanning
from indexing.catalogue import Services

CROP = edits.crop(0.25, dx=0.6, dy=-1.0)  # a quarter off, against the top, right of centre


@pytest.fixture(scope="module")
def series(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("series")
    ceo = Series("ceo returns", 127, 3)
    refs = []
    for n in (1, 2, 3):
        frames, _ = ceo.episode(n)
        refs.append(tmp / f"ceo_returns_ep{n}.mp4")
        edits.encode(refs[-1], frames, fps=FPS, crf=18)
    copy = tmp / "copy.mp4"
    edits.write(copy, [edits.Piece(refs[2])], size=(W, H), fps=FPS, edit=CROP, crf=26)
    with Services.open(Settings(home=tmp / "home")) as services:
        results = services.register_files(refs, work="ceo returns", holder="studio-a", episode_start=1)
        assert all(r.error is None for r in results)
        yield services, copy


def test_the_crop_grid_proposes_an_episode_matched_only_on_its_intro(series, monkeypatch):
    services, copy = series
    notify = services.settings.matcher.notify_score
    [claim] = [m for m in services.scan_file(copy, min_score=0.0).matches if m.claim == "claim"]
    assert claim.reference == "ceo_returns_ep3.mp4" and claim.score >= notify
    assert claim.query_end - claim.query_start > 20 and claim.ref_start < 0.5
    monkeypatch.setattr(scanning, "CROP_CANDIDATES", 0)  # the refits alone
    before = services.scan_file(copy, min_score=0.0)
    assert not [m for m in before.matches if m.claim == "claim" and m.score >= notify], before.matches
