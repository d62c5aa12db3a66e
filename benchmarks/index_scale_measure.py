"""What the index-scale benchmark measures on one index: recall of planted copies against exact
search, why a copy was missed, whole-candidate matching, and timings."""
from __future__ import annotations

import time

import faiss
import numpy as np

from fingerprint.extract import VideoFingerprint
from fingerprint.descriptor import mirrored
from matcher.ivf_index import COPY_MASK, FaissIvfFrameIndex
from matcher.match import MatchParams, QueryMatcher, searched_rows
from benchmarks.index_scale_data import (
    DESCRIPTORS_PER_EPISODE,
    FPS,
    FRAMES_PER_EPISODE,
    Stats,
    VIEWS,
    _episodes,
)


def _hits(found_ids: list[np.ndarray], truth_ids: np.ndarray) -> np.ndarray:
    """Per query frame: is its reference frame among either orientation's neighbours?"""
    hit = np.zeros(len(truth_ids), bool)
    for ids in found_ids:
        hit |= (ids == truth_ids[:, None]).any(axis=1)
    return hit


def searched(q: np.ndarray, every: int) -> np.ndarray:
    """The rows of a frame-major candidate that the matcher's search stage sends to the index."""
    return np.ascontiguousarray(q[searched_rows(np.arange(len(q)) // VIEWS, every)])


def measure(index, planted, picked: np.ndarray, in_exact_top_k: np.ndarray, evidence: np.ndarray, k: int,
            repeats: int, every: int = 1):
    """Latency: search every candidate as the matcher's search stage does (the descriptors of
    every ``every``-th frame, then the same mirrored: two calls). Recall: the ``picked`` rows
    (whichever frame they belong to: a row's result does not depend on the other rows sent), in
    both orientations. Returns (wall times, CPU times, recall)."""
    latencies, cpu_times = [], []
    for q, _ in planted:
        sent = searched(q, every)
        for _ in range(repeats):
            start, cpu = time.perf_counter(), time.process_time()
            index.search(sent, k), index.search(mirrored(sent), k)
            latencies.append(time.perf_counter() - start)
            cpu_times.append(time.process_time() - cpu)
    rows = np.concatenate([q for q, _ in planted])[picked]
    truth = np.concatenate([t for _, t in planted])[picked]
    found = [(d.episode_ids << 32) | d.times_ms for d in (index.search(rows, k), index.search(mirrored(rows), k))]
    found_hits = _hits(found, truth)
    recall = {
        "all": (float(found_hits.mean()), float(in_exact_top_k.mean())),
        "evidence": (float(found_hits[evidence].mean()), float(in_exact_top_k[evidence].mean())),
    }
    missed = evidence & in_exact_top_k & ~found_hits
    if isinstance(index, FaissIvfFrameIndex) and index.trained:
        recall["missed_evidence"] = miss_causes(index, rows[missed], truth[missed])
    return latencies, cpu_times, recall


def miss_causes(index: FaissIvfFrameIndex, rows: np.ndarray, truth_ids: np.ndarray) -> dict[str, int]:
    """Why the IVF index missed rows that exact search finds: the reference's cell was among
    neither orientation's probed cells (the coarse search, or the cell the vector was put in when
    added), or it was probed and the 4-bit codes ranked k other vectors above it."""
    ivf = faiss.extract_index_ivf(index._index)
    stored_in = np.zeros((len(truth_ids), ivf.nlist), bool)  # a vector may be in several cells
    for number in range(ivf.nlist):
        size = ivf.invlists.list_size(number)
        if size and len(truth_ids):
            ids = faiss.rev_swig_ptr(ivf.invlists.get_ids(number), size) & ~COPY_MASK
            stored_in[np.isin(truth_ids, ids), number] = True
    probed = np.zeros(len(rows), bool)
    for q in (rows, mirrored(rows)):
        q = np.pad(q, ((0, 0), (0, ivf.d - q.shape[1])))  # the index's zero padding to the SIMD width
        _, cells = ivf.quantizer.search(np.ascontiguousarray(q, np.float32), ivf.nprobe)
        probed |= np.take_along_axis(stored_in, np.maximum(cells, 0), axis=1).any(axis=1)
    return {"not_probed": int((~probed).sum()), "outranked": int(probed.sum())}


def whole_match(index, planted, originals, innocents: np.ndarray, args) -> dict:
    """The matcher end to end (search every ``--search-every``-th frame, verify the shortlisted
    episodes exactly against their originals, align, score) on the planted copies, and how many
    episodes innocent candidates (synthetic episodes not in the library) get shortlisted for
    verification and what that costs. The benchmark holds only the planted originals: other
    episodes shortlisted with a planted copy are counted, not verified."""
    known = {}
    for (_, truth), original in zip(planted, originals):
        known[int(truth[0] >> 32)] = ((truth & 0xFFFFFFFF) // 10 * 10, original)  # drop the view ms
    asked: list[set[int]] = []

    def references(ids):
        asked[-1].update(ids)
        return {e: known[e] for e in ids if e in known}

    matcher = QueryMatcher(index, MatchParams(neighbours=args.k, search_every=args.search_every), references=references)
    times = (np.arange(DESCRIPTORS_PER_EPISODE) // VIEWS * (1000 // FPS)).astype(np.int64)
    duration = FRAMES_PER_EPISODE * 1000 // FPS
    durations = dict.fromkeys(known, duration)
    wall, cpu, found_planted = [], [], 0
    for q, truth in planted:
        fp = VideoFingerprint(times_ms=times, vectors=q, duration_ms=duration)
        for _ in range(args.repeats):
            asked.append(set())
            start, cpu_start = time.perf_counter(), time.process_time()
            found = matcher.match(fp, durations, step_ms=1000 // FPS)
            wall.append(time.perf_counter() - start)
            cpu.append(time.process_time() - cpu_start)
        found_planted += bool(found) and found[0].episode_id == int(truth[0] >> 32)
    extra = sum(len(a - set(known)) for a in asked)
    # innocent candidates: every shortlisted episode is verified against a stand-in original of
    # the same size (a planted one: few pairs reach the floor, as with a real look-alike episode)
    stand_in = next(iter(known.values()))

    def stand_ins(ids):
        asked[-1].update(ids)
        return dict.fromkeys(ids, stand_in)

    innocent = QueryMatcher(index, matcher.params, references=stand_ins)
    shortlisted, innocent_wall, innocent_cpu, chance, reported = [], [], [], [], []
    for q in innocents.reshape(-1, DESCRIPTORS_PER_EPISODE, innocents.shape[-1]):
        fp = VideoFingerprint(times_ms=times, vectors=q, duration_ms=duration)
        asked.append(set())
        start, cpu_start = time.perf_counter(), time.process_time()
        reported += innocent.match(fp, {}, step_ms=1000 // FPS)
        innocent_wall.append(time.perf_counter() - start)
        innocent_cpu.append(time.process_time() - cpu_start)
        shortlisted.append(len(asked[-1]))
        # what the search stage alone finds for them: chance look-alikes, scored before verification
        chance += [m.score for m in innocent.search_stage(fp, {}, step_ms=1000 // FPS)]
    return {
        "match_ms_p50": _ms(wall, 50),
        "match_cpu_ms_p50": _ms(cpu, 50),
        "planted_found_by_matcher": f"{found_planted}/{len(planted)}",
        "other_episodes_shortlisted_with_planted": extra,
        "innocent_candidates": len(shortlisted),
        "innocent_shortlisted_episodes_max": max(shortlisted, default=0),
        "innocent_shortlisted_episodes_mean": round(float(np.mean(shortlisted)), 2) if shortlisted else 0,
        "innocent_match_ms_p50": _ms(innocent_wall, 50) if innocent_wall else None,
        "innocent_match_cpu_ms_p50": _ms(innocent_cpu, 50) if innocent_cpu else None,
        "innocent_chance_matches_per_candidate": round(len(chance) / max(len(shortlisted), 1), 1),
        "innocent_chance_matches_at_0.5_per_candidate": round(sum(s >= 0.5 for s in chance) / max(len(shortlisted), 1), 1),
        "innocent_chance_score_median_max": [round(float(np.median(chance)), 3) if chance else None,
                                             round(max(chance, default=0.0), 3)],
        # what survives verification (reported as matches): the stand-in original is unrelated,
        # so anything here is a false match; ≥ 5 s would reach the default review rule
        "innocent_reported_per_candidate": round(len(reported) / max(len(shortlisted), 1), 2),
        "innocent_reported_at_0.5": sum(m.score >= 0.5 for m in reported),
        "innocent_reported_5s_or_more": sum(m.alignment.matched_ms >= 5000 for m in reported),
    }


def innocent_candidates(stats: Stats, count: int) -> np.ndarray:
    """``count`` 2-minute episodes drawn like the library's but not in it (unrelated uploads)."""
    return _episodes(np.random.default_rng(424_242), stats, count)


def _ms(values: list[float], q: float) -> float:
    return round(float(np.percentile(values, q)) * 1000, 1)


def _exact_count(better: np.ndarray, queries: np.ndarray, planted_sim: np.ndarray, vectors: np.ndarray) -> None:
    """Add, per query, how many of ``vectors`` are more similar than its planted reference."""
    for block in range(0, len(vectors), 1 << 15):
        sims = queries @ vectors[block : block + (1 << 15)].T
        better += (sims > planted_sim[:, None] + 1e-5).sum(axis=1)
