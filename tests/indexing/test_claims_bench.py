"""Claims on real clips: a copy of an episode also lines up with a shorter episode that contains
a few seconds of the same footage; the scan reports one claim, never the second episode."""
from __future__ import annotations

import pytest

from benchmarks.edits import Piece, write
from indexing.catalogue import Services
from dramaguard.settings import Settings

pytestmark = pytest.mark.bench


@pytest.fixture(scope="module")
def scanned(bench_dir, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("claims")
    refs = bench_dir / "refs"
    # a "spin-off" episode of another work: 4 s of the compilation's footage between its own shots
    spinoff = tmp / "spinoff.mp4"
    write(spinoff, [Piece(refs / "bikes.mp4", 0, 4), Piece(refs / "compilation_ep1.mp4", 20, 24),
                    Piece(refs / "carphone_pristine.mp4")])
    settings = Settings(home=tmp / "home")
    with Services.open(settings) as services:
        for path, work in ((refs / "compilation_ep1.mp4", "series"), (spinoff, "spinoff")):
            [result] = services.register_files([path], work=work)
            assert result.error is None
        # q0001: the whole compilation, cropped
        yield services, services.scan_file(bench_dir / "queries" / "q0001.mp4", min_score=0.0)


def test_registration_marks_the_shared_seconds_and_the_pair_is_an_overlap(scanned):
    services, report = scanned
    spinoff = next(m for m in report.matches if m.reference == "spinoff.mp4")
    [(start, end)] = services.shared_footage[spinoff.episode_id]
    assert abs(start - 4000) < 600 and abs(end - 8000) < 600
    assert spinoff.claim == "overlap" and spinoff.score == 0.0


def test_without_overlaps_the_stronger_claim_explains_the_lookalike_seconds(scanned, bench_dir):
    services, _ = scanned
    shared, services.shared_footage = services.shared_footage, {}
    try:
        report = services.scan_file(bench_dir / "queries" / "q0001.mp4", min_score=0.0)
    finally:
        services.shared_footage = shared
    by_ref = {m.reference: m for m in report.matches}
    assert set(by_ref) == {"compilation_ep1.mp4", "spinoff.mp4"}, report.matches
    main, other = by_ref["compilation_ep1.mp4"], by_ref["spinoff.mp4"]
    notify = services.settings.matcher.notify_score
    assert main.claim == "claim" and main.score >= notify
    # the pair alone would have cited the spin-off in a notice
    assert other.pair_score >= notify, other
    assert other.claim == "explained" and other.score == 0.0
    assert other.explained_by == [main.episode_id]
    assert report.matches[0] is main


def test_the_default_scan_lists_claims_only(scanned, bench_dir):
    services, _ = scanned
    report = services.scan_file(bench_dir / "queries" / "q0001.mp4")
    assert [m.reference for m in report.matches] == ["compilation_ep1.mp4"]
