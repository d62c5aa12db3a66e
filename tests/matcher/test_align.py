"""Temporal alignment on constructed frame pairs (pure function)."""
from __future__ import annotations

import importlib

import numpy as np

from matcher.align import align


def _pairs(slope: float, offset: float, n: int = 40, noise: int = 60, seed: int = 0):
    rng = np.random.default_rng(seed)
    tq = np.arange(n) * 250.0
    tr = slope * tq + offset
    # true pairs plus three random wrong neighbours per frame
    q = np.concatenate([tq] + [tq] * 3)
    r = np.concatenate([tr] + [rng.uniform(0, 60000, n) for _ in range(3)])
    s = np.concatenate([np.full(n, 0.95), rng.uniform(0.75, 0.9, 3 * n)])
    return q, r, s


def test_recovers_speed_and_offset():
    q, r, s = _pairs(1.25, 7000)
    a = align(q, r, s, query_duration_ms=10000, ref_duration_ms=30000, step_ms=250)
    assert a is not None
    assert abs(a.slope - 1.25) < 0.03 and abs(a.offset_ms - 7000) < 400
    seg = a.segments[0]
    assert abs(seg.query_start_ms - 0) <= 250 and abs(seg.query_end_ms - 10000) <= 250
    assert abs(seg.ref_start_ms - 7000) <= 400 and abs(seg.ref_end_ms - 19500) <= 500
    assert a.query_coverage > 0.95 and 0.38 < a.ref_coverage < 0.45


def test_random_pairs_do_not_align():
    rng = np.random.default_rng(1)
    q = np.repeat(np.arange(40) * 250.0, 3)
    r = rng.uniform(0, 60000, len(q))
    s = rng.uniform(0.75, 0.9, len(q))
    a = align(q, r, s, query_duration_ms=10000, ref_duration_ms=60000, step_ms=250)
    assert a is None or a.inlier_frames < 8


def test_gap_in_the_query_splits_segments():
    q, r, s = _pairs(1.0, 0, n=60)
    keep = (q < 5000) | (q >= 10000)
    a = align(q[keep], r[keep], s[keep], query_duration_ms=15000, ref_duration_ms=15000, step_ms=250)
    assert a is not None and len(a.segments) == 2
    assert a.segments[0].query_end_ms <= 5250 and a.segments[1].query_start_ms >= 10000


def test_too_few_frames_is_no_alignment():
    q, r, s = _pairs(1.0, 0, n=2)
    assert align(q, r, s, query_duration_ms=500, ref_duration_ms=500, step_ms=250) is None


def test_voting_all_slopes_at_once_or_one_at_a_time_gives_the_same_alignment(monkeypatch):
    """Slopes are voted in blocks sized by the list's length; the block size must not change the
    answer (short chance lists take one block, long ones one slope per block)."""
    module = importlib.import_module("matcher.align")  # the package exports the function under this name

    rng = np.random.default_rng(5)
    for trial in range(60):
        n = int(rng.integers(3, 300))
        tq = rng.integers(0, 120, n) * 250
        tr = (rng.uniform(0.6, 1.8) * tq + rng.normal(0, 150, n) + rng.integers(-5000, 5000)).astype(int)
        tr[: n // 3] = rng.integers(0, 30000, n // 3)  # a third are look-alikes off the line
        sim = rng.uniform(0.75, 1.0, n)
        kwargs = dict(query_duration_ms=30_000, ref_duration_ms=30_000, step_ms=250)
        monkeypatch.setattr(module, "VOTE_BLOCK", 1 << 20)
        together = align(tq, tr, sim, **kwargs)
        monkeypatch.setattr(module, "VOTE_BLOCK", 1)
        apart = align(tq, tr, sim, **kwargs)
        assert together == apart, trial


def test_a_segment_never_cites_time_outside_either_file():
    """Pairs interpolated before the reference's first keyframe, and the last frame's step, lie
    outside the files: a notice must not cite a negative second or one past the end."""
    q, r, s = _pairs(1.0, -200, n=16)
    a = align(q, r, s, query_duration_ms=3900, ref_duration_ms=3600, step_ms=250)
    assert a is not None
    for seg in a.segments:
        assert 0 <= seg.query_start_ms < seg.query_end_ms <= 3900
        assert 0 <= seg.ref_start_ms < seg.ref_end_ms <= 3600


def test_near_static_footage_aligns_at_normal_speed():
    """Every frame of a still shot resembles every other: a line at half speed a little more
    similar by chance must not win over the unedited speed (its reference span would be half
    the copy's)."""
    tq, tr = np.meshgrid(np.arange(12) * 250.0, np.arange(12) * 250.0, indexing="ij")
    tq, tr = tq.ravel(), tr.ravel()
    sim = np.full(len(tq), 0.95)
    sim[np.abs(tr - 0.5 * tq) < 1] = 0.96  # the half-speed line: 1 % more alike
    a = align(tq, tr, sim, query_duration_ms=3000, ref_duration_ms=3000, step_ms=250)
    assert a is not None and abs(a.slope - 1.0) < 0.05
    seg = a.segments[0]
    assert seg.ref_end_ms - seg.ref_start_ms > 2500
