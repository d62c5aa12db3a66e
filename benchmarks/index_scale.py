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
from pathlib import Path

import faiss
import numpy as np

from fingerprint.descriptor import mirrored
from matcher.align import AlignParams
from matcher.index import FaissFrameIndex
from matcher.ivf_index import FaissIvfFrameIndex
from matcher.match import MatchParams
from benchmarks.index_scale_data import (
    CHUNK_EPISODES,
    DESCRIPTORS_PER_EPISODE,
    FPS,
    REPO,
    SERIES_EPISODES,
    Stats,
    VIEWS,
    chunk,
    dev_statistics,
    plant_copies,
    status_kib,
)
from benchmarks.index_scale_measure import (
    _exact_count,
    _ms,
    innocent_candidates,
    measure,
    searched,
    whole_match,
)

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
