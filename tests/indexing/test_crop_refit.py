"""Scanning a box crop of a registered clip that no stored view matches: the crop is fitted on
the episode's stored keyframes and the copy is claimed whole; an unrelated clip under the same
crop claims nothing."""
from __future__ import annotations

import pytest

from benchmarks.edits import Piece, box_crop, write
from dramaguard.settings import Settings
from indexing import scanning
from indexing.catalogue import Services
from storage import references

pytestmark = pytest.mark.bench

BOX = (0.0, 0.25, 0.75, 1.0)  # a quarter cut away against the top-right corner


@pytest.fixture(scope="module")
def services(bench_dir, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("refit")
    refs = bench_dir / "refs"
    with Services.open(Settings(home=tmp / "home")) as services:
        results = services.register_files([refs / "compilation_ep1.mp4", refs / "carphone_pristine.mp4"], work="w")
        assert all(r.error is None for r in results)
        yield services


def test_stored_keyframes_load_small_grey_and_in_order(services):
    episode_id = next(iter(services._catalogue))
    frames = references.load_keyframes(services.settings.home, episode_id)
    assert len(frames) >= 3 and [t for t, _ in frames] == sorted(t for t, _ in frames)
    assert all(p.ndim == 2 and max(p.shape) <= 120 for _, p in frames)
    assert references.load_keyframes(services.settings.home, 10**9) == ()


def test_a_box_crop_is_claimed_whole_after_the_fit(services, bench_dir, tmp_path, monkeypatch):
    copy = tmp_path / "crop.mp4"
    write(copy, [Piece(bench_dir / "refs" / "compilation_ep1.mp4", 5, 25)], size=(320, 240), edit=box_crop(*BOX))
    notify = services.settings.matcher.notify_score
    report = services.scan_file(copy, min_score=0.0)
    [claim] = [m for m in report.matches if m.claim == "claim"]
    assert claim.reference == "compilation_ep1.mp4" and claim.score >= notify
    assert claim.query_end - claim.query_start >= 18 and abs(claim.ref_start - 5) < 1
    monkeypatch.setattr(scanning, "REFIT_CANDIDATES", 0)  # the same scan without the fit
    monkeypatch.setattr(scanning, "CROP_CANDIDATES", 0)
    before = services.scan_file(copy, min_score=0.0)
    assert all(m.score < notify or m.query_end - m.query_start < 10 for m in before.matches), before.matches


def test_an_unregistered_clip_under_the_crop_claims_nothing(services, bench_dir, tmp_path):
    copy = tmp_path / "other.mp4"
    write(copy, [Piece(bench_dir / "refs" / "bikes.mp4")], size=(320, 240), edit=box_crop(*BOX))
    report = services.scan_file(copy, min_score=0.0)
    assert not [m for m in report.matches if m.claim == "claim"], report.matches


def test_a_crop_with_no_index_hit_is_found_by_the_crop_grid(services, bench_dir, tmp_path, monkeypatch):
    """An AugLy-style box (another aspect ratio) of a short clip: no stored view gets a hit above
    the weak floor on it, so only the crop-grid index proposes the episode for the fit."""
    copy = tmp_path / "box.mp4"
    write(copy, [Piece(bench_dir / "refs" / "carphone_pristine.mp4")], size=(176, 144),
          edit=box_crop(0.172, 0.244, 0.784, 0.963))
    notify = services.settings.matcher.notify_score
    monkeypatch.setattr(scanning, "CROP_CANDIDATES", 0)
    assert not [m for m in services.scan_file(copy, min_score=0.0).matches if m.score >= notify]
    monkeypatch.setattr(scanning, "CROP_CANDIDATES", 3)
    [claim] = [m for m in services.scan_file(copy, min_score=0.0).matches if m.claim == "claim"]
    assert claim.reference == "carphone_pristine.mp4" and claim.score >= notify
    assert claim.query_end - claim.query_start >= 3


def test_a_crop_of_a_still_shot_cites_the_whole_reference_span(services, bench_dir, tmp_path):
    """A talking head fits a half-speed line about as well as the true one: the claim must cite
    the copy's own reference seconds (the whole 4-s clip), not half of them, and end at the
    clip's end (its last frame is a stored keyframe)."""
    source = bench_dir / "refs" / "carphone_pristine.mp4"
    copy = tmp_path / "corner.mp4"
    write(copy, [Piece(source)], size=(176, 144), edit=box_crop(0.25, 0.25, 1.0, 1.0), crf=26)
    episode_id = next(e for e, info in services._catalogue.items() if info[4] < 10)
    last_keyframe = references.load_keyframes(services.settings.home, episode_id)[-1][0]
    assert last_keyframe > services._catalogue[episode_id][4] * 1000 - 500
    report = services.scan_file(copy, min_score=0.0)
    [claim] = [m for m in report.matches if m.claim == "claim"]
    assert claim.reference == "carphone_pristine.mp4"
    assert claim.ref_start < 0.3 and claim.ref_end - claim.ref_start > 3.5, claim
    assert claim.ref_end <= services._catalogue[episode_id][4] + 0.01
