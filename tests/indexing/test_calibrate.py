"""benchmarks.calibrate: how the notify threshold and the review floor are read off labelled claims."""
from __future__ import annotations

from benchmarks.calibrate import Labelled, at, bins, label, lowest_precise, notify_threshold, pooled, review_floor


def claims(*pairs: tuple[float, bool], copies: int | None = None) -> Labelled:
    return Labelled("t", tuple(sorted(pairs, reverse=True)), copies if copies is not None else sum(ok for _, ok in pairs))


def test_labels_the_best_claim_per_pair_and_leaves_derived_edits_and_zero_scores_out():
    truth = [{"query": "q1", "reference": "r1", "label": "copy"},
             {"query": "q2", "reference": "r1", "label": "derived_edit"},
             {"query": "q3", "reference": None, "label": "overlap_only"}]
    rows = [{"query": "q1", "reference": "r1", "score": 0.4}, {"query": "q1", "reference": "r1", "score": 0.9},
            {"query": "q1", "reference": "r2", "score": 0.0}, {"query": "q2", "reference": "r1", "score": 0.8},
            {"query": "q3", "reference": "r2", "score": 0.35}]
    data = label("dev", rows, truth)
    assert data.claims == ((0.9, True), (0.35, False)) and data.copies == 1 and data.overlap_only == 1
    assert at(data, 0.5) == (1.0, 1.0, 1, 0) and at(data, 0.3)[0] == 0.5
    assert pooled([data, data]).copies == 2 and len(pooled([data, data]).claims) == 4


def test_notify_is_the_lowest_step_with_precision_kept_above_and_the_floor_keeps_half_true():
    data = claims((0.95, True), (0.9, True), (0.8, True), (0.62, False), (0.55, True), (0.42, True),
                  (0.33, False), (0.31, False), (0.12, False))
    assert lowest_precise(data, 0.99) == 0.65  # 0.62 is the highest false claim
    # 3 of 5 copies are claimed from 0.65 up: recall 0.6 -> the highest step keeping it, 0.80
    assert notify_threshold(data, 0.99, 0.6) == 0.8
    assert notify_threshold(data, 0.99, 0.95) == 0.65  # not kept anywhere allowed: precision first
    # [0.35, 0.65): 2 true of 3; [0.30, 0.65): 2 of 5 < 0.5
    assert review_floor(data, 0.65, 0.5) == 0.35
    assert [b for b in bins(data) if b[1] or b[2]][-1] == (0.95, 1, 0)


def test_the_floor_does_not_go_below_the_lowest_claim_seen():
    data = claims((0.9, True), (0.41, True))
    assert lowest_precise(data, 0.99) == 0.0  # nothing false anywhere
    assert notify_threshold(data, 0.99, 0.95) == 0.4  # but not below the lowest claim seen
    assert notify_threshold(data, 0.99, 0.5) == 0.9
    assert review_floor(data, 0.5, 0.5) == 0.35  # one step under the lowest claim, no further
    assert review_floor(claims((0.9, True)), 0.5, 0.5) == 0.45
