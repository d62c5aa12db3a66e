"""Per-transform behaviour on real pirated copies from ../shared/bench/dev (fingerprint + matcher).

Each case names the edit it locks in; a regression on one kind of edit fails that case by name.
References are fingerprinted once into an in-memory FAISS index, queries are matched as the
service does (search one sampled frame in three, verify against the stored originals) in both
orientations, and the decision uses the operating threshold from the settings.
"""
from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import av
import pytest

from dramaguard.settings import Settings
from fingerprint import fingerprint_video
from fingerprint.descriptor import DIM
from matcher.index import FaissFrameIndex
from matcher.match import MatchParams, QueryMatcher

pytestmark = pytest.mark.bench

NOTIFY = Settings().matcher.notify_score
STEP = 250

# query → the edit it stands for (transform chains as in truth.jsonl)
COPIES = {
    "q0004.mp4": "hflip (+ time_crop, heavy re-encode)",
    "q0013.mp4": "hflip + crop + re-encode",
    "q0019.mp4": "crop + speed",
    "q0023.mp4": "pillarbox (black bars) + grayscale",
    "q0014.mp4": "blurred border (window off-centre, touching the top)",
    "q0017.mp4": "hflip + blurred border",
    "q0008.mp4": "speed",
    "q0021.mp4": "speed + colour + re-encode",
    "q0002.mp4": "picture-in-picture + hflip + time_crop",
    "q0016.mp4": "picture-in-picture over a still",
    "q0020.mp4": "crop + inserted in a longer video",
    "q0005.mp4": "time_crop + inserted in a longer video (compilation episode)",
}
NEGATIVES = ["q0028.mp4", "q0029.mp4", "q0030.mp4", "q0031.mp4", "q0032.mp4"]
HARD_NEGATIVES = ["q0033.mp4", "q0034.mp4", "q0035.mp4"]


@pytest.fixture(scope="module")
def library(bench_dir: Path):
    """Fingerprinted references in an index, their durations, names and the bench truth."""
    index = FaissFrameIndex(None, DIM)
    names, durations, originals = {}, {}, {}
    for episode_id, path in enumerate(sorted((bench_dir / "refs").glob("*.mp4")), start=1):
        fp = fingerprint_video(path, reference=True)
        index.add(episode_id, fp.times_ms, fp.vectors)
        names[episode_id] = f"refs/{path.name}"
        durations[episode_id] = fp.duration_ms
        originals[episode_id] = (fp.times_ms, fp.vectors)
    truth = {
        t["query"]: t
        for t in map(json.loads, (bench_dir / "truth.jsonl").read_text().splitlines())
    }
    matcher = QueryMatcher(index, MatchParams(), references=lambda ids: {e: originals[e] for e in ids})
    return matcher, names, durations, truth


def _matches(library, path: Path):
    matcher, names, durations, _ = library
    found = matcher.match(fingerprint_video(path), durations, step_ms=STEP)
    return [(names[m.episode_id], m) for m in found]


def _iou(a, b) -> float:
    inter = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    union = max(a[1], b[1]) - min(a[0], b[0])
    return inter / union if union > 0 else 0.0


@pytest.mark.parametrize("query", sorted(COPIES))
def test_copy_is_found_above_the_notice_threshold_with_its_segment(library, bench_dir, query):
    truth = library[3][f"queries/{query}"]
    found = _matches(library, bench_dir / "queries" / query)
    assert found, f"{query} ({COPIES[query]}) not found"
    name, top = found[0]
    assert name == truth["reference"], f"{query} ({COPIES[query]}) matched {name}"
    assert top.score >= NOTIFY, f"{query} ({COPIES[query]}) scored {top.score:.3f} < {NOTIFY}"
    seg = max(top.alignment.segments, key=lambda s: s.query_end_ms - s.query_start_ms)
    expected = truth["segments"][0]
    q_iou = _iou((seg.query_start_ms / 1000, seg.query_end_ms / 1000), expected["query"])
    r_iou = _iou((seg.ref_start_ms / 1000, seg.ref_end_ms / 1000), expected["ref"])
    assert q_iou > 0.5 and r_iou > 0.5, f"{query}: segment IoU query {q_iou:.2f}, ref {r_iou:.2f}"


@pytest.mark.parametrize("query", NEGATIVES + HARD_NEGATIVES)
def test_distractors_and_hard_negatives_stay_below_the_notice_threshold(library, bench_dir, query):
    above = [(n, round(m.score, 3)) for n, m in _matches(library, bench_dir / "queries" / query) if m.score >= NOTIFY]
    assert not above, f"{query} would trigger notices: {above}"


def _concatenate(parts: list[Path], out: Path) -> list[float]:
    """Re-encode clips one after another into ``out``; returns each part's start in seconds."""
    starts, offset = [], Fraction(0)
    fps = 25
    with av.open(str(out), "w") as dst:
        stream = dst.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        index = 0
        for part in parts:
            starts.append(float(offset))
            with av.open(str(part)) as src:
                first = None
                for frame in src.decode(video=0):
                    first = frame.time if first is None else first
                    image = frame.reformat(width=320, height=240, format="yuv420p")
                    # resample onto the output grid by presentation time
                    while index / fps <= float(offset) + frame.time - first:
                        image.pts = index
                        image.time_base = Fraction(1, fps)
                        for packet in stream.encode(image):
                            dst.mux(packet)
                        index += 1
            offset = Fraction(index, fps)
        for packet in stream.encode():
            dst.mux(packet)
    return starts


def test_a_compilation_yields_one_match_per_episode_at_its_offset(library, bench_dir, tmp_path):
    parts = [bench_dir / "refs" / "bikes.mp4", bench_dir / "refs" / "carphone_pristine.mp4",
             bench_dir / "refs" / "pattern-hd-no-bar.mp4"]
    video = tmp_path / "full_series.mp4"
    starts = _concatenate(parts, video)
    found = {name: m for name, m in _matches(library, video) if m.score >= NOTIFY}
    assert set(found) == {f"refs/{p.name}" for p in parts}
    for part, start in zip(parts, starts):
        seg = max(found[f"refs/{part.name}"].alignment.segments, key=lambda s: s.frames)
        assert abs(seg.query_start_ms / 1000 - start) < 0.6, (part.name, seg, start)
        assert seg.ref_start_ms < 600


def test_searching_one_frame_in_three_then_verifying_decides_as_searching_all(library, bench_dir):
    """The search stage only shortlists: on every dev query (the 3-s copies included) the
    two-stage matches are matches of searching every frame with the exact index, with the same
    orientation and score, and none scoring 0.4 or more is missed (weaker look-alikes may be)."""
    matcher, _, durations, _ = library
    every_frame = QueryMatcher(matcher.index, MatchParams(search_every=1))
    for path in sorted((bench_dir / "queries").glob("*.mp4")):
        fp = fingerprint_video(path)
        staged = {(m.episode_id, m.flipped): m.score for m in matcher.match(fp, durations, step_ms=STEP)}
        direct = {(m.episode_id, m.flipped): m.score for m in every_frame.match(fp, durations, step_ms=STEP)}
        assert staged.keys() <= direct.keys(), path.name
        # the same score up to float32 summation order (BLAS kernels differ between CPUs)
        assert all(abs(score - direct[key]) < 1e-5 for key, score in staged.items()), path.name
        # 0.4 (verify_from), not 0.3: with the references' shifted views the direct search also
        # finds two mirrored chance lines of wrong episodes on q0005 (0.35, 0.31) that the
        # two-stage path does not verify (issue 23)
        assert {key for key, score in direct.items() if score >= 0.4} <= staged.keys(), path.name
