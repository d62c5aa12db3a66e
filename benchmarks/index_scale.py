"""Index scale: build time, memory, per-candidate latency and recall at 1 M … 50 M descriptors.

The library is synthetic but shaped like real descriptors. From the development benchmark we
measure (1) the mean and covariance of real frame descriptors, (2) how alike consecutive frames of
one view are, (3) how alike the two views of one frame are (whole picture and its 80 % centre),
and (4) how similar a pirated frame is to its reference frame (per copy descriptor: the best
similarity to the reference in either orientation). Synthetic episodes are 480 frames (2 minutes
at 4 frames/s) × 2 views = 960 descriptors, frame-major as the fingerprint stores them, in shots
2–4 s long: per shot one centre per view (the whole view's from N(mean, cov), the centre view's
a mix of it and a fresh draw, fitted to (3)), frames = centre + noise fitted to (2),
unit-normalised. Candidates are planted near-copies of whole library episodes: each descriptor
q = c·r + √(1−c²)·u (r its reference, u a random unit vector orthogonal to it, c drawn from (4)),
every other candidate mirrored, and searched as the matcher's search stage does: the descriptors
of every ``--search-every``-th frame (default: the matcher's own, 3: 320 of the 960), then the same mirrored (two
calls, k neighbours each; 1,920 queries with ``--search-every 1``). A picture-in-picture
candidate has a third view: scale the latency by 1.5. The whole matcher (search, exact
verification of the shortlisted episodes against their originals, alignment) is timed on the
same candidates, and innocent candidates (episodes drawn like the library's, not in it) show
how many chance look-alike episodes reach verification.

One index is grown through every size given (trained once on a sample of the first ~1 M
descriptors, then added chunk by chunk; an 80-episode series is added through ``FrameIndex.add``
after each measurement). Exact ground truth streams over the same chunks as they are generated
(no float copy of the library is kept): for a random subset of the candidates' descriptors
(``--truth-rows``), count the library vectors more similar than the planted reference (numpy
GEMM); exact search has the reference in its top k iff that count < k. Recall is the share of
those descriptors whose reference is in the top k of either orientation; the recall loss compares
the index with exact search on the same rows. "evidence" counts only rows whose planted pair
reaches the aligner's ``min_similarity`` (others are never evidence, whatever the index returns).

    .venv/bin/python -m benchmarks.index_scale --sizes 1e6 1e7 5e7 \
        --factory 'IVF{nlist}_HNSW32,PQ{dim}x4fs' --nlist 16384 --train 640000 \
        --train-iterations 8 --nprobe 32 --sweep 16 --candidates 6 --repeats 2 \
        --truth-rows 400 --workdir /tmp --json results.jsonl [--keep]

``--keep`` leaves the last index and its candidates in the work folder; ``--reuse FOLDER``
measures other query-time settings (``--nprobe``, ``--search-every``, ``--threads``) on it in
minutes instead of a rebuild.
"""
from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from fingerprint import fingerprint_video
from fingerprint.extract import VideoFingerprint
from fingerprint.descriptor import mirrored
from matcher.align import AlignParams
from matcher.index import FaissFrameIndex
from matcher.ivf_index import COPY_MASK, FaissIvfFrameIndex
from matcher.match import MatchParams, QueryMatcher, searched_rows

REPO = Path(__file__).resolve().parent.parent
FRAMES_PER_EPISODE = 480  # 2 minutes at 4 frames/s
FPS = 4
VIEWS = 2  # whole picture + its centre: every frame of references and candidates alike
DESCRIPTORS_PER_EPISODE = FRAMES_PER_EPISODE * VIEWS
CHUNK_EPISODES = 1024  # ~1 M descriptors per generated chunk
SERIES_EPISODES = 80


def status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return -1


@dataclass
class Stats:
    mean: np.ndarray
    chol: np.ndarray
    shot_noise: float
    view_mix: float
    copy_similarities: np.ndarray
    adjacent_similarity: float
    view_similarity: float


def _views(times_ms: np.ndarray) -> np.ndarray:
    """View number of each row: rows sharing a time are the views of one frame, in order."""
    first = np.r_[True, times_ms[1:] != times_ms[:-1]]
    starts = np.maximum.accumulate(np.where(first, np.arange(len(times_ms)), 0))
    return np.arange(len(times_ms)) - starts


def dev_statistics(bench: Path) -> Stats:
    """Measure descriptor statistics and real copy similarities on the development benchmark."""
    dev = bench / "dev"
    refs = {p.name: fingerprint_video(p) for p in sorted((dev / "refs").glob("*.mp4"))}
    vectors = np.concatenate([fp.vectors for fp in refs.values()])
    mean = vectors.mean(axis=0)
    cov = np.cov(vectors, rowvar=False) + 1e-6 * np.eye(vectors.shape[1])
    adjacent, across = [], []
    for fp in refs.values():
        view = _views(fp.times_ms)
        whole = fp.vectors[view == 0]
        adjacent.append(np.sum(whole[1:] * whole[:-1], axis=1))  # consecutive frames, one view
        both = np.flatnonzero(view == 1)  # the centre view and the whole view of the same frame
        across.append(np.sum(fp.vectors[both] * fp.vectors[both - 1], axis=1))
    sims = []
    for line in (dev / "truth.jsonl").read_text().splitlines():
        truth = json.loads(line)
        if truth["label"] != "copy":
            continue
        q = fingerprint_video(dev / truth["query"])
        ref = refs[Path(truth["reference"]).name].vectors
        inside = np.zeros(len(q), bool)
        for seg in truth["segments"]:
            inside |= (q.times_ms >= seg["query"][0] * 1000) & (q.times_ms <= seg["query"][1] * 1000)
        v = q.vectors[inside]
        if len(v):
            sims.append(np.maximum((v @ ref.T).max(axis=1), (mirrored(v) @ ref.T).max(axis=1)))
    stats = Stats(
        mean,
        np.linalg.cholesky(cov),
        0.0,
        0.0,
        np.concatenate(sims),
        float(np.median(np.concatenate(adjacent))),
        float(np.median(np.concatenate(across))),
    )
    stats.shot_noise = _bisect(lambda v: _median_sim(v, 0, VIEWS), stats.adjacent_similarity, stats, "shot_noise")
    stats.view_mix = _bisect(lambda v: _median_sim(v, 0, 1), stats.view_similarity, stats, "view_mix", rising=True)
    return stats


def _median_sim(v: np.ndarray, first: int, step: int) -> float:
    """Median similarity of rows ``step`` apart, starting at row ``first`` of every frame."""
    a = v[first::VIEWS]
    b = v[first + step :: VIEWS] if step < VIEWS else a[1:]
    n = min(len(a), len(b))
    return float(np.median(np.sum(a[:n] * b[:n], axis=1)))


def _bisect(measure, target: float, stats: Stats, field: str, rising: bool = False) -> float:
    """The value of ``stats.field`` that makes synthetic episodes measure ``target``."""
    low, high = (0.0, 4.0) if field == "shot_noise" else (0.0, 1.0)
    for _ in range(20):
        mid = (low + high) / 2
        setattr(stats, field, mid)
        above = measure(_episodes(np.random.default_rng(0), stats, 4)) > target
        if above != rising:
            low = mid
        else:
            high = mid
    return (low + high) / 2


def _episodes(rng: np.random.Generator, stats: Stats, count: int) -> np.ndarray:
    """``count`` episodes of 480 frames × ``VIEWS`` descriptors (frame-major, as the fingerprint
    stores them), shots of 8–16 frames (2–4 s). A shot has one centre per view: the whole view's
    from N(mean, cov), the centre view's mixed from it (``view_mix``) and a fresh draw; every frame
    adds its own noise (``shot_noise``) to each view's centre, then is unit-normalised."""
    dim = len(stats.mean)
    shots_per_episode = FRAMES_PER_EPISODE // 8
    lengths = rng.integers(8, 17, size=(count, shots_per_episode))
    shot_of = np.concatenate(
        [np.repeat(np.arange(shots_per_episode) + e * shots_per_episode, row)[:FRAMES_PER_EPISODE] for e, row in enumerate(lengths)]
    )
    chol = stats.chol.T.astype(np.float32)
    whole = rng.standard_normal((count * shots_per_episode, dim), dtype=np.float32)
    centres = [whole]
    for _ in range(1, VIEWS):
        fresh = rng.standard_normal(whole.shape, dtype=np.float32)
        centres.append(stats.view_mix * whole + np.sqrt(1 - stats.view_mix**2) * fresh)
    frames = np.empty((count * FRAMES_PER_EPISODE, VIEWS, dim), np.float32)
    for view, centre in enumerate(centres):
        noise = rng.standard_normal((count * FRAMES_PER_EPISODE, dim), dtype=np.float32)
        frames[:, view] = (centre[shot_of] + stats.shot_noise * noise) @ chol + stats.mean.astype(np.float32)
    frames = frames.reshape(-1, dim)
    frames /= np.linalg.norm(frames, axis=1, keepdims=True)
    return frames


def chunk(stats: Stats, number: int, episodes: int) -> tuple[np.ndarray, np.ndarray]:
    """Chunk ``number`` of the library: (ids, float32 unit vectors); deterministic per number.

    A view's id time is the frame time plus the view number (ms), so every descriptor has its
    own id and recall is counted per descriptor (the matcher's views share the frame time)."""
    rng = np.random.default_rng(1000 + number)
    first = number * CHUNK_EPISODES + 1
    vectors = _episodes(rng, stats, episodes)
    times = (np.arange(FRAMES_PER_EPISODE, dtype=np.int64)[:, None] * (1000 // FPS) + np.arange(VIEWS)).reshape(-1)
    ids = (np.arange(first, first + episodes, dtype=np.int64)[:, None] << 32 | times[None, :]).reshape(-1)
    return ids, vectors


def plant_copies(stats: Stats, ids: np.ndarray, vectors: np.ndarray, count: int, seed: int = 7):
    """``count`` candidates, each a near-copy of every descriptor of a library episode (both
    views: 960 rows, as a 2-minute candidate sends), every other one mirrored."""
    rng = np.random.default_rng(seed)
    episodes = rng.choice(len(ids) // DESCRIPTORS_PER_EPISODE, count, replace=False)
    out, originals = [], []
    for j, e in enumerate(episodes):
        rows = slice(e * DESCRIPTORS_PER_EPISODE, (e + 1) * DESCRIPTORS_PER_EPISODE)
        r = vectors[rows].astype(np.float64)
        c = rng.choice(stats.copy_similarities, len(r))[:, None]
        u = rng.standard_normal(r.shape)
        u -= np.sum(u * r, axis=1, keepdims=True) * r
        u /= np.linalg.norm(u, axis=1, keepdims=True)
        q = (c * r + np.sqrt(np.clip(1 - c**2, 0, 1)) * u).astype(np.float32)
        if j % 2:
            q = mirrored(q)
        out.append((q, ids[rows]))
        originals.append(r.astype(np.float32))
    return out, originals


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


def run(sizes: list[int], stats: Stats, args: argparse.Namespace):
    """Grow one index to each size in turn (train once on the first chunk, add chunk by chunk)
    and measure at every size: the figures at 1 M, 10 M, 50 M come from one build."""
    first_ids, first_vectors = chunk(stats, 0, CHUNK_EPISODES)
    in_first = min(len(first_ids), min(sizes) // DESCRIPTORS_PER_EPISODE * DESCRIPTORS_PER_EPISODE)
    planted, refs = plant_copies(stats, first_ids[:in_first], first_vectors[:in_first], args.candidates)
    innocents = innocent_candidates(stats, args.candidates)
    # ground truth on a random subset of the candidates' descriptors (exact search over 50 M is
    # the costliest part of the run); each picked row is searched in both orientations
    rows = len(planted) * DESCRIPTORS_PER_EPISODE
    picked = np.arange(rows)
    if args.truth_rows and args.truth_rows < rows:
        picked = np.sort(np.random.default_rng(3).choice(rows, args.truth_rows, replace=False))
    q_all, r_all = np.concatenate([q for q, _ in planted]), np.concatenate(refs)
    q_pick, r_pick = q_all[picked], r_all[picked]
    queries = np.concatenate([q_pick, mirrored(q_pick)])
    planted_sim = np.concatenate([np.sum(q_pick * r_pick, 1), np.sum(mirrored(q_pick) * r_pick, 1)])
    better = np.zeros(len(queries), np.int64)
    # frames the aligner can use at all: the planted pair is similar enough to count as evidence
    evidence = planted_sim.reshape(2, -1).max(axis=0) >= AlignParams().min_similarity
    home = Path(tempfile.mkdtemp(prefix="index-scale-", dir=args.workdir))
    timings = {"generate_s": 0.0, "train_s": 0.0, "train_cpu_s": 0.0, "add_s": 0.0, "add_cpu_s": 0.0, "exact_s": 0.0}
    if args.backend == "faiss-flat":
        index = FaissFrameIndex(home, len(stats.mean))
    else:
        index = FaissIvfFrameIndex(
            home,
            len(stats.mean),
            factory=args.factory,
            nlist=args.nlist,
            nprobe=args.nprobe,
            train_size=1,
            train_iterations=args.train_iterations,
            cells_per_vector=args.cells_per_vector,
        )
        sample = first_vectors[np.random.default_rng(1).choice(len(first_vectors), min(len(first_vectors), args.train), replace=False)]
        start, cpu = time.perf_counter(), time.process_time()
        index.train(sample)
        timings["train_s"] = time.perf_counter() - start
        timings["train_cpu_s"] = time.process_time() - cpu
        del sample
    # chunks are always generated whole (so chunk 0 is the one the copies were planted in) and
    # added in slices up to each size
    pending_ids, pending = first_ids, first_vectors
    number, added, results = 1, 0, []
    for size in sorted(sizes):
        while added < size:
            if not len(pending_ids):
                start = time.perf_counter()
                pending_ids, pending = chunk(stats, number, CHUNK_EPISODES)
                timings["generate_s"] += time.perf_counter() - start
                number += 1
            take = min(len(pending_ids), max(DESCRIPTORS_PER_EPISODE, (size - added) // DESCRIPTORS_PER_EPISODE * DESCRIPTORS_PER_EPISODE))
            ids, vectors = pending_ids[:take], pending[:take]
            pending_ids, pending = pending_ids[take:], pending[take:]
            start, cpu = time.perf_counter(), time.process_time()
            index.add_many(ids, vectors)
            timings["add_s"] += time.perf_counter() - start
            timings["add_cpu_s"] += time.process_time() - cpu
            if not args.no_exact:
                start = time.perf_counter()
                _exact_count(better, queries, planted_sim, vectors)
                timings["exact_s"] += time.perf_counter() - start
            added += len(ids)
            print(f"  {added:>11,} vectors  rss {status_kib('VmRSS') / 2**20:.2f} GiB  {timings}", file=sys.stderr, flush=True)
            del ids, vectors
        results.append(_measure_size(index, planted, refs, innocents, picked, better, evidence, timings, added, args))
        # incremental add: one more 80-episode series through the FrameIndex API (replace check
        # included); it stays in the library, so the exact count takes it in too
        series = chunk(stats, 100_000 + number, SERIES_EPISODES)
        start, cpu = time.perf_counter(), time.process_time()
        for e in range(SERIES_EPISODES):
            rows = slice(e * DESCRIPTORS_PER_EPISODE, (e + 1) * DESCRIPTORS_PER_EPISODE)
            index.add(int(series[0][rows][0] >> 32), series[0][rows] & 0xFFFFFFFF, series[1][rows])
        incremental_s, incremental_cpu = time.perf_counter() - start, time.process_time() - cpu
        if not args.no_exact:
            _exact_count(better, queries, planted_sim, series[1])
        added += len(series[0])
        results[-1].update(
            incremental_add_series_s=round(incremental_s, 2),
            incremental_add_per_episode_ms=round(incremental_s / SERIES_EPISODES * 1000, 1),
            incremental_add_series_cpu_s=round(incremental_cpu, 2),
        )
        print(json.dumps(results[-1]), flush=True)
        if args.json:
            with args.json.open("a") as out:
                out.write(json.dumps(results[-1]) + "\n")
    if args.keep:
        _save_queries(home, planted, refs, picked, better, evidence)
        print(f"kept the index and its queries in {home} (re-measure with --reuse {home})", file=sys.stderr)
    else:
        shutil.rmtree(home, ignore_errors=True)
    return results


QUERIES_FILE = "queries.npz"


def _save_queries(home: Path, planted, originals, picked, better, evidence) -> None:
    """What a later ``--reuse`` run needs besides the index file: the candidates and the truth."""
    np.savez(
        home / QUERIES_FILE,
        queries=np.stack([q for q, _ in planted]),
        truth=np.stack([t for _, t in planted]),
        originals=np.stack(originals),
        picked=picked,
        better=better,
        evidence=evidence,
    )


def reuse(args: argparse.Namespace, stats: Stats) -> dict:
    """Measure query-time settings (nprobe, threads) on an index kept by ``--keep``: minutes
    instead of a rebuild. Build figures are left out (they belong to the build run)."""
    saved = np.load(args.reuse / QUERIES_FILE)
    planted = list(zip(saved["queries"], saved["truth"]))
    index = FaissIvfFrameIndex(args.reuse, len(stats.mean), factory=args.factory, nlist=args.nlist, nprobe=args.nprobe)
    timings = dict.fromkeys(("generate_s", "train_s", "train_cpu_s", "add_s", "add_cpu_s", "exact_s"), 0.0)
    innocents = innocent_candidates(stats, args.candidates)
    result = _measure_size(index, planted, list(saved["originals"]), innocents, saved["picked"], saved["better"],
                           saved["evidence"], timings, index.size, args)
    # the build options are the build run's (in its own JSON), not this run's default arguments
    result.update(factory=None, nlist=None, train_vectors=None, train_iterations=None, reused=str(args.reuse))
    print(json.dumps(result), flush=True)
    if args.json:
        with args.json.open("a") as out:
            out.write(json.dumps(result) + "\n")
    return result


def _measure_size(index, planted, originals, innocents, picked, better, evidence, timings, added, args) -> dict:
    k = args.k
    # exact search has the planted reference in its top k iff fewer than k vectors beat it
    hit = better < k
    in_exact_top_k = hit[: len(picked)] | hit[len(picked) :]
    build_rss = status_kib("VmRSS")
    start = time.perf_counter()
    if not args.reuse:
        index.save()
    save_s = time.perf_counter() - start
    index_bytes = index.path.stat().st_size
    index.nprobe = args.nprobe
    if args.backend == "faiss-ivf":
        index._configure()
    latencies, cpu_times, recall = measure(index, planted, picked, in_exact_top_k, evidence, k, args.repeats,
                                           args.search_every)
    matching = whole_match(index, planted, originals, innocents, args)
    faiss.omp_set_num_threads(1)
    start, cpu = time.perf_counter(), time.process_time()
    first = searched(planted[0][0], args.search_every)
    index.search(first, k), index.search(mirrored(first), k)
    one_thread, one_thread_cpu = time.perf_counter() - start, time.process_time() - cpu
    faiss.omp_set_num_threads(args.threads)
    hours = index.size / (FPS * VIEWS * 3600)
    result = {
        "vectors": index.size,
        "registered_hours": round(hours, 1),
        "backend": args.backend,
        "factory": args.factory if args.backend != "faiss-flat" else "IDMap2,Flat",
        "nlist": args.nlist,
        # the cells actually trained: the backend caps nlist at train sample / 39 (FAISS's floor)
        "cells": faiss.extract_index_ivf(index._index).nlist if args.backend == "faiss-ivf" else None,
        # what the index holds, not the option: a --reuse run measures an index built with another
        "cells_per_vector": round(index._index.ntotal / index.size, 2) if args.backend == "faiss-ivf" else None,
        "nprobe": args.nprobe,
        "train_vectors": args.train,
        "train_iterations": args.train_iterations,
        "generate_s": round(timings["generate_s"], 1),
        "train_s": round(timings["train_s"], 1),
        "train_cpu_s": round(timings["train_cpu_s"], 1),
        "add_s": round(timings["add_s"], 1),
        "add_cpu_s": round(timings["add_cpu_s"], 1),
        "add_cpu_s_per_million": round(timings["add_cpu_s"] / (added / 1e6), 1),
        "build_s": round(timings["train_s"] + timings["add_s"], 1),
        "save_s": round(save_s, 1),
        "index_bytes": index_bytes,
        "bytes_per_vector": round(index_bytes / index.size, 1),
        "bytes_per_video_hour": int(index_bytes / hours),
        "rss_gib": round(build_rss / 2**20, 2),
        "peak_rss_gib": round(status_kib("VmHWM") / 2**20, 2),
        "threads": args.threads,
        "search_every": args.search_every,
        "queries_per_candidate": 2 * len(searched(planted[0][0], args.search_every)),
        "latency_samples": len(latencies),
        "query_ms_p50": _ms(latencies, 50),
        "query_ms_p99": _ms(latencies, 99),
        "query_cpu_ms_p50": _ms(cpu_times, 50),
        "query_cpu_ms_p99": _ms(cpu_times, 99),
        **matching,
        "query_ms_one_thread": round(one_thread * 1000, 1),
        "query_cpu_ms_one_thread": round(one_thread_cpu * 1000, 1),
        "truth_rows": len(picked),
        "evidence_rows": int(evidence.sum()),
        "recall_evidence": round(recall["evidence"][0], 4),
        "recall_evidence_exact": round(recall["evidence"][1], 4) if not args.no_exact else None,
        "recall_loss_evidence": round(1 - recall["evidence"][0] / recall["evidence"][1], 4) if not args.no_exact else None,
        "recall_all": round(recall["all"][0], 4),
        "recall_all_exact": round(recall["all"][1], 4) if not args.no_exact else None,
        "recall_loss_all": round(1 - recall["all"][0] / recall["all"][1], 4) if not args.no_exact else None,
        "missed_evidence": recall.get("missed_evidence"),
        "exact_search_s": round(timings["exact_s"], 1),
    }
    sweep = []
    for nprobe in args.sweep if args.backend == "faiss-ivf" else []:
        index.nprobe = nprobe
        index._configure()
        lat, cpu_t, rec = measure(index, planted, picked, in_exact_top_k, evidence, k, args.repeats, args.search_every)
        sweep.append(
            {
                "nprobe": nprobe,
                "query_cpu_ms_p50": _ms(cpu_t, 50),
                "query_ms_p50": _ms(lat, 50),
                "query_ms_p99": _ms(lat, 99),
                "recall_loss_evidence": round(1 - rec["evidence"][0] / rec["evidence"][1], 4),
                "recall_loss_all": round(1 - rec["all"][0] / rec["all"][1], 4),
                "missed_evidence": rec.get("missed_evidence"),
            }
        )
        print(json.dumps({"vectors": index.size, **sweep[-1]}), file=sys.stderr, flush=True)
    if sweep:
        result["nprobe_sweep"] = sweep
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=float, default=[1e6])
    parser.add_argument("--backend", choices=["faiss-ivf", "faiss-flat"], default="faiss-ivf")
    parser.add_argument("--factory", default="IVF{nlist},PQ{dim}x4fs")
    parser.add_argument("--nlist", type=int, default=4096)
    parser.add_argument("--nprobe", type=int, default=16)
    parser.add_argument("--cells-per-vector", type=int, default=1, help="store each descriptor in its n nearest cells")
    parser.add_argument("--sweep", nargs="*", type=int, default=[], help="also measure these nprobe")
    parser.add_argument("--train", type=int, default=200_000, help="training sample size")
    parser.add_argument("--k", type=int, default=16)
    parser.add_argument("--search-every", type=int, default=MatchParams().search_every,
                        help="search every n-th frame (default: the matcher's own)")
    parser.add_argument("--candidates", type=int, default=8, help="2-minute planted candidates")
    parser.add_argument("--truth-rows", type=int, default=0, help="exact ground truth on this many candidate rows (0: all)")
    parser.add_argument("--train-iterations", type=int, default=10, help="k-means iterations")
    parser.add_argument("--json", type=Path, default=None, help="append each size's result here")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=faiss.omp_get_max_threads())
    parser.add_argument("--no-exact", action="store_true", help="skip the exact ground truth")
    parser.add_argument("--bench", type=Path, default=REPO.parent / "shared" / "bench")
    parser.add_argument("--workdir", type=Path, default=None, help="where the index file is saved")
    parser.add_argument("--keep", action="store_true", help="keep the last index and its queries for --reuse")
    parser.add_argument("--reuse", type=Path, default=None, help="measure an index kept by --keep (no build)")
    args = parser.parse_args()
    faiss.omp_set_num_threads(args.threads)
    start = time.perf_counter()
    stats = dev_statistics(args.bench)
    print(
        json.dumps(
            {
                "dev_descriptor_dim": len(stats.mean),
                "dev_adjacent_frame_similarity_median": round(stats.adjacent_similarity, 3),
                "synthetic_shot_noise": round(stats.shot_noise, 3),
                "dev_copy_similarity_quantiles_10_50_90": [
                    round(float(x), 3) for x in np.quantile(stats.copy_similarities, [0.1, 0.5, 0.9])
                ],
                "stats_s": round(time.perf_counter() - start, 1),
            }
        ),
        flush=True,
    )
    if args.reuse:
        reuse(args, stats)
    else:
        run([int(size) for size in args.sizes], stats, args)
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GiB", file=sys.stderr)


if __name__ == "__main__":
    main()
