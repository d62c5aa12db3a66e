"""The matcher's two stages: an index search on every n-th frame, then exact verification."""
from __future__ import annotations

import numpy as np

from fingerprint import descriptor
from fingerprint.descriptor import mirrored
from fingerprint.extract import VideoFingerprint
from matcher.index import FaissFrameIndex, Neighbours
from matcher.ivf_index import FaissIvfFrameIndex
from matcher.match import MatchParams, QueryMatcher, searched_rows

DIM = descriptor.DIM  # mirroring flips the signs of this descriptor's columns
STEP = 250
FRAMES = 120  # 30 s at 4 frames/s
VIEWS = 2


class CountingIndex(FaissFrameIndex):
    """A real exact index that also records how many rows each search sent."""

    def __init__(self) -> None:
        super().__init__(None, DIM)
        self.rows: list[int] = []

    def search(self, vectors: np.ndarray, k: int) -> Neighbours:
        self.rows.append(len(vectors))
        return super().search(vectors, k)


def _unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v, axis=-1, keepdims=True)).astype(np.float32)


def _episode(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Frame-major descriptors (two views per frame) in 2 s shots, and their times."""
    rng = np.random.default_rng(seed)
    shots = rng.normal(size=(FRAMES // 8 + 1, VIEWS, DIM)).repeat(8, axis=0)[:FRAMES]
    vectors = _unit(shots + 0.3 * rng.normal(size=shots.shape)).reshape(-1, DIM)
    times = np.repeat(np.arange(FRAMES) * STEP, VIEWS).astype(np.int64)
    return times, vectors


def _copy(times: np.ndarray, vectors: np.ndarray, *, offset_ms: int, seed: int, flip: bool = False) -> VideoFingerprint:
    noisy = _unit(vectors + 0.25 * np.random.default_rng(seed).normal(size=vectors.shape) / np.sqrt(DIM))
    return VideoFingerprint(times_ms=times + offset_ms, vectors=mirrored(noisy) if flip else noisy,
                            duration_ms=int(times[-1]) + offset_ms + STEP)


def _library(index, episodes: range) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    stored = {e: _episode(e) for e in episodes}
    for e, (times, vectors) in stored.items():
        index.add(e, times, vectors)
    return stored


def test_searched_rows_keep_all_views_of_every_nth_frame():
    times = np.array([0, 0, 250, 250, 500, 500, 500, 750])
    assert searched_rows(times, 1).tolist() == list(range(8))
    assert searched_rows(times, 2).tolist() == [0, 1, 4, 5, 6]


def test_search_sends_every_nth_frame_and_verification_aligns_all_of_them():
    index = CountingIndex()
    stored = _library(index, range(1, 6))
    query = _copy(*stored[3], offset_ms=4000, seed=7)
    matcher = QueryMatcher(index, MatchParams(search_every=2), references=lambda ids: {e: stored[e] for e in ids})
    [match] = matcher.match(query, {e: FRAMES * STEP for e in stored}, step_ms=STEP)
    assert index.rows == [FRAMES // 2 * VIEWS] * 2  # half the frames, both orientations
    assert match.episode_id == 3 and not match.flipped and match.score > 0.9
    inlier_frames = {tq for tq, _, _ in match.alignment.inliers}
    assert len(inlier_frames) > FRAMES * 0.9  # the frames the search skipped are evidence too
    segment = match.alignment.segments[0]
    assert abs(segment.query_start_ms - 4000) <= STEP and abs(segment.ref_start_ms) <= STEP


def test_verified_similarities_are_exact_even_on_a_compressed_index():
    index = FaissIvfFrameIndex(None, DIM, nlist=8, nprobe=8, train_size=2000)
    stored = _library(index, range(1, 11))
    assert index.trained  # 4-bit PQ codes: the index's own similarities are approximate
    query = _copy(*stored[6], offset_ms=0, seed=8, flip=True)
    matcher = QueryMatcher(index, MatchParams(), references=lambda ids: {e: stored[e] for e in ids})
    match = matcher.match(query, {e: FRAMES * STEP for e in stored}, step_ms=STEP)[0]
    assert match.episode_id == 6 and match.flipped
    ref_times, ref_vectors = stored[6]
    unflipped = mirrored(query.vectors)
    for tq, tr, sim in match.alignment.inliers[:50]:
        exact = unflipped[query.times_ms == tq] @ ref_vectors[ref_times == tr].T
        assert np.isclose(exact, sim, atol=1e-5).any(), (tq, tr, sim)
    approx = index.search(unflipped[:20], 1).similarities[:, 0]
    assert not np.allclose(approx, (unflipped[:20] * ref_vectors[:20]).sum(axis=1), atol=1e-5)


def test_an_episode_gone_before_verification_is_no_match():
    index = CountingIndex()
    stored = _library(index, range(1, 4))
    matcher = QueryMatcher(index, MatchParams(), references=lambda ids: {})  # removed meanwhile
    assert matcher.match(_copy(*stored[2], offset_ms=0, seed=9), {}, step_ms=STEP) == []


def test_without_originals_every_frame_is_searched_and_the_hits_decide():
    index = CountingIndex()
    stored = _library(index, range(1, 4))
    query = _copy(*stored[1], offset_ms=1000, seed=10)
    [match] = QueryMatcher(index, MatchParams(search_every=2)).match(query, {}, step_ms=STEP)
    assert index.rows == [FRAMES * VIEWS] * 2 and match.episode_id == 1


def test_an_unrelated_query_reaches_no_verification():
    index = CountingIndex()
    stored = _library(index, range(1, 6))
    asked: list[list[int]] = []

    def references(ids):
        asked.append(list(ids))
        return {e: stored[e] for e in ids}

    other = _copy(*_episode(99), offset_ms=0, seed=11)
    assert QueryMatcher(index, MatchParams(), references=references).match(other, {}, step_ms=STEP) == []
    assert asked == []  # chance look-alikes below verify_from are not verified


def _inserted(seconds: float, *, noise: float, first: int = 40) -> tuple[VideoFingerprint, dict]:
    """Unrelated footage with ``seconds`` of episode 2 from its frame ``first``, at the same time."""
    index = CountingIndex()
    stored = _library(index, range(1, 4))
    times, vectors = _episode(50)
    ref_vectors = stored[2][1]
    inserted = slice(first * VIEWS, (first + int(seconds * 1000 / STEP)) * VIEWS)
    blur = np.random.default_rng(12).normal(size=ref_vectors[inserted].shape) * noise / np.sqrt(DIM)
    vectors = vectors.copy()
    vectors[inserted] = _unit(ref_vectors[inserted] + blur)
    return VideoFingerprint(times_ms=times, vectors=vectors, duration_ms=FRAMES * STEP), {"index": index, "stored": stored}


def test_a_search_match_below_verify_from_is_neither_verified_nor_reported():
    query, lib = _inserted(3, noise=0.6)  # 3 s of episode 2, degraded
    asked: list[int] = []

    def references(ids):
        asked.extend(ids)
        return {e: lib["stored"][e] for e in ids}

    assert QueryMatcher(lib["index"], MatchParams(verify_from=0.9), references=references).match(query, {}, step_ms=STEP) == []
    assert asked == []
    [verified] = QueryMatcher(lib["index"], MatchParams(verify_from=0.0), references=references).match(query, {}, step_ms=STEP)
    assert verified.episode_id == 2 and asked == [2]


def test_a_copy_of_two_and_a_half_seconds_is_found_searching_one_frame_in_three():
    query, lib = _inserted(2.5, noise=0.3, first=41)  # 10.25–12.75 s: frames 42, 45, 48 are searched
    matcher = QueryMatcher(lib["index"], MatchParams(), references=lambda ids: {e: lib["stored"][e] for e in ids})
    [match] = matcher.match(query, {}, step_ms=STEP)
    assert lib["index"].rows == [FRAMES // 3 * VIEWS] * 2
    assert match.episode_id == 2 and match.alignment.inlier_frames >= 9  # verified on every frame
    segment = match.alignment.segments[0]
    assert abs(segment.query_start_ms - 10_250) <= STEP and abs(segment.query_end_ms - 12_750) <= STEP


def test_verification_takes_the_best_search_scores_up_to_its_budget():
    index = CountingIndex()
    stored = _library(index, range(1, 6))
    # 4 s of each episode in turn, episode 1 the cleanest, episode 5 the most degraded
    parts = [_copy(stored[e][0][:32], stored[e][1][:32], offset_ms=0, seed=e) for e in range(1, 6)]
    vectors = np.concatenate([
        _unit(part.vectors + (0.2 + 0.15 * n) * np.random.default_rng(n).normal(size=part.vectors.shape) / np.sqrt(DIM))
        for n, part in enumerate(parts)
    ])
    times = np.concatenate([part.times_ms + 4000 * n for n, part in enumerate(parts)])
    query = VideoFingerprint(times_ms=times, vectors=vectors, duration_ms=20_000)
    asked: list[int] = []

    def references(ids):
        asked.extend(ids)
        return {e: stored[e] for e in ids}

    unbounded = QueryMatcher(index, MatchParams(search_every=2), references=references)
    assert {m.episode_id for m in unbounded.match(query, {}, step_ms=STEP)} == {1, 2, 3, 4, 5}
    best_two = {m.episode_id for m in unbounded.search_stage(query, {}, step_ms=STEP)[:2]}
    asked.clear()
    bounded = QueryMatcher(index, MatchParams(search_every=2, verify_per_minute=0, verify_at_least=2),
                           references=references)
    assert {m.episode_id for m in bounded.match(query, {}, step_ms=STEP)} == best_two == set(asked)
    # a minute of query buys verify_per_minute episodes
    per_minute = QueryMatcher(index, MatchParams(search_every=2, verify_per_minute=9, verify_at_least=1),
                              references=references)
    assert len(per_minute.match(query, {}, step_ms=STEP)) == 3  # 20 s × 9 per minute



def test_verification_gives_one_pair_per_time_pair_the_best_of_its_view_pairs():
    """Views of one frame on both sides repeat a (query time, reference time) pair: verification
    keeps each once, with the best similarity of the per-row neighbours it came from."""
    index = FaissFrameIndex(None, DIM)
    stored = _library(index, range(1))
    times, vectors = stored[0]
    query = _copy(times, vectors, offset_ms=0, seed=3)
    k = 4
    matcher = QueryMatcher(index, MatchParams(neighbours=k), references=lambda ids: {e: stored[e] for e in ids})
    pairs = matcher.pairs_with(query, [0])[(0, False)]
    sims = query.vectors @ vectors.T
    expected: dict[tuple[int, int], float] = {}
    for row, tq in enumerate(query.times_ms):
        for col in np.argsort(-sims[row])[:k]:
            if sims[row, col] >= MatchParams().align.min_similarity:
                key = (int(tq), int(times[col]))
                expected[key] = max(expected.get(key, -1.0), float(sims[row, col]))
    assert len(pairs) == len({(tq, tr) for tq, tr, _ in pairs}) == len(expected)
    assert all(abs(sim - expected[(tq, tr)]) < 1e-5 for tq, tr, sim in pairs)
