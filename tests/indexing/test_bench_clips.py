"""Real clips from ../shared/bench/dev: register the references, scan a spread of pirated copies."""
from __future__ import annotations

import json

import pytest

from indexing.catalogue import Services
from dramaguard.settings import Settings

pytestmark = pytest.mark.bench

# query → (reference, kinds of edit) for a spread of transform kinds
COPIES = {
    "q0001.mp4": "crop",
    "q0004.mp4": "time_crop + hflip + encoding_quality",
    "q0006.mp4": "time_crop + pad_to_16x9 + speed",
    "q0008.mp4": "speed",
    "q0012.mp4": "color_jitter",
    "q0018.mp4": "logo + scale + encoding_quality",
    "q0020.mp4": "crop + insert_in_longer",
    "q0023.mp4": "grayscale + pillarbox",
}


@pytest.fixture(scope="module")
def registered(bench_dir, tmp_path_factory):
    settings = Settings(home=tmp_path_factory.mktemp("bench-home"))
    refs = sorted((bench_dir / "refs").glob("*.mp4"))
    with Services.open(settings) as services:
        results = services.register_files(refs, work="bench")
        assert not [r for r in results if r.error]
        truth = {
            t["query"].split("/")[-1]: t
            for t in map(json.loads, (bench_dir / "truth.jsonl").read_text().splitlines())
        }
        yield services, truth


def _iou(a, b) -> float:
    inter = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    union = max(a[1], b[1]) - min(a[0], b[0])
    return inter / union if union > 0 else 0.0


@pytest.mark.parametrize("query", sorted(COPIES))
def test_copy_is_found_with_its_segment(registered, bench_dir, query):
    services, truth = registered
    expected = truth[query]
    report = services.scan_file(bench_dir / "queries" / query)
    assert report.error is None
    assert report.matches, f"{query} ({COPIES[query]}) not found"
    top = report.matches[0]
    assert top.reference == expected["reference"].split("/")[-1]
    segment = expected["segments"][0]
    assert _iou((top.query_start, top.query_end), segment["query"]) > 0.6
    assert _iou((top.ref_start, top.ref_end), segment["ref"]) > 0.6


@pytest.mark.parametrize("query", ["q0028.mp4", "q0029.mp4", "q0030.mp4", "q0031.mp4", "q0032.mp4"])
def test_distractors_stay_below_the_notice_threshold(registered, bench_dir, query):
    services, _ = registered
    report = services.scan_file(bench_dir / "queries" / query)
    assert report.error is None
    assert all(m.score < services.settings.matcher.notify_score for m in report.matches)
