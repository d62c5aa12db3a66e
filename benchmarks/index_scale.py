"""Index scale: build time, memory, per-candidate latency and recall at 1 M … 50 M frames.

The library is synthetic but shaped like real descriptors. From the development benchmark we
measure (1) the mean and covariance of real frame descriptors, (2) how alike consecutive frames of
one shot are, and (3) how similar a pirated frame is to its reference frame (per copy frame: the
best similarity to the true reference in either orientation). Synthetic episodes are 480 frames
(2 minutes at 4 frames/s) of shots 2–4 s long: a shot centre drawn from N(mean, cov), frames =
centre + noise scaled to reproduce (2), unit-normalised. Candidates are planted near-copies of
library episodes: each frame q = c·r + √(1−c²)·u (r the reference frame, u a random unit vector
orthogonal to it, c drawn from the measured similarities (3)), half of them mirrored, searched as
the matcher does (both orientations, k neighbours each).

Exact ground truth streams over the same chunks as they are generated (no float copy of the
library is kept): for every query frame, count the library vectors more similar than its planted
reference frame (numpy GEMM); exact search has the reference in its top k iff that count < k.
Recall is the share of query frames whose reference frame is in the top k of either orientation;
the recall loss compares the index with exact search on the same frames. "evidence" recall counts
only frames whose planted pair reaches the aligner's ``min_similarity`` (others are never evidence,
whatever the index returns); "all" counts every frame.

    .venv/bin/python -m benchmarks.index_scale --sizes 1e6 [--factory 'IVF{nlist},SQ8'] \
        [--nlist 4096] [--nprobe 16] [--backend faiss-ivf|faiss-flat]
"""
from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from fingerprint import fingerprint_video
from fingerprint.descriptor import mirrored
from matcher.align import AlignParams
from matcher.index import FaissFrameIndex
from matcher.ivf_index import FaissIvfFrameIndex

REPO = Path(__file__).resolve().parent.parent
FRAMES_PER_EPISODE = 480  # 2 minutes at 4 frames/s
FPS = 4
CHUNK_EPISODES = 2048  # ~1 M vectors per generated chunk
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
    copy_similarities: np.ndarray
    adjacent_similarity: float


def dev_statistics(bench: Path) -> Stats:
    """Measure descriptor statistics and real copy similarities on the development benchmark."""
    dev = bench / "dev"
    refs = {p.name: fingerprint_video(p) for p in sorted((dev / "refs").glob("*.mp4"))}
    vectors = np.concatenate([fp.vectors for fp in refs.values()])
    mean = vectors.mean(axis=0)
    cov = np.cov(vectors, rowvar=False) + 1e-6 * np.eye(vectors.shape[1])
    adjacent = np.concatenate([np.sum(fp.vectors[1:] * fp.vectors[:-1], axis=1) for fp in refs.values()])
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
    stats = Stats(mean, np.linalg.cholesky(cov), 0.0, np.concatenate(sims), float(np.median(adjacent)))
    stats.shot_noise = _fit_shot_noise(stats)
    return stats


def _fit_shot_noise(stats: Stats) -> float:
    """Noise scale that makes synthetic consecutive frames as alike as real ones (bisection)."""
    low, high = 0.0, 4.0
    for _ in range(20):
        mid = (low + high) / 2
        v = _episode(np.random.default_rng(0), stats, mid)
        if np.median(np.sum(v[1:] * v[:-1], axis=1)) > stats.adjacent_similarity:
            low = mid
        else:
            high = mid
    return (low + high) / 2


def _episodes(rng: np.random.Generator, stats: Stats, noise: float, count: int) -> np.ndarray:
    """``count`` episodes of 480 frames, shots of 8–16 frames (2–4 s), all drawn at once."""
    dim = len(stats.mean)
    shots_per_episode = FRAMES_PER_EPISODE // 8
    lengths = rng.integers(8, 17, size=(count, shots_per_episode))
    shot_of = np.concatenate(
        [np.repeat(np.arange(shots_per_episode) + e * shots_per_episode, row)[:FRAMES_PER_EPISODE] for e, row in enumerate(lengths)]
    )
    centres = stats.mean + rng.standard_normal((count * shots_per_episode, dim), dtype=np.float32) @ stats.chol.T.astype(np.float32)
    frames = rng.standard_normal((count * FRAMES_PER_EPISODE, dim), dtype=np.float32) @ (noise * stats.chol.T).astype(np.float32)
    frames += centres[shot_of]
    frames /= np.linalg.norm(frames, axis=1, keepdims=True)
    return frames.astype(np.float32)


def _episode(rng: np.random.Generator, stats: Stats, noise: float) -> np.ndarray:
    return _episodes(rng, stats, noise, 1)


def chunk(stats: Stats, number: int, episodes: int) -> tuple[np.ndarray, np.ndarray]:
    """Chunk ``number`` of the library: (ids, float32 unit vectors); deterministic per number."""
    rng = np.random.default_rng(1000 + number)
    first = number * CHUNK_EPISODES + 1
    vectors = _episodes(rng, stats, stats.shot_noise, episodes)
    times = np.arange(FRAMES_PER_EPISODE, dtype=np.int64) * (1000 // FPS)
    ids = (np.arange(first, first + episodes, dtype=np.int64)[:, None] << 32 | times[None, :]).reshape(-1)
    return ids, vectors


def plant_copies(stats: Stats, ids: np.ndarray, vectors: np.ndarray, count: int, seed: int = 7):
    """``count`` candidates, each a near-copy of a whole library episode (every other mirrored)."""
    rng = np.random.default_rng(seed)
    episodes = rng.choice(len(ids) // FRAMES_PER_EPISODE, count, replace=False)
    out, originals = [], []
    for j, e in enumerate(episodes):
        rows = slice(e * FRAMES_PER_EPISODE, (e + 1) * FRAMES_PER_EPISODE)
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


def measure(index, planted, in_exact_top_k: np.ndarray, evidence: np.ndarray, k: int, repeats: int):
    """Search every candidate as the matcher does; (wall times, CPU times, recall by frame set)."""
    latencies, cpu_times, found_hits, exact_hits = [], [], [], []
    for j, (q, truth) in enumerate(planted):
        for _ in range(repeats):
            start, cpu = time.perf_counter(), time.process_time()
            direct, flipped = index.search(q, k), index.search(mirrored(q), k)
            latencies.append(time.perf_counter() - start)
            cpu_times.append(time.process_time() - cpu)
        found = [(d.episode_ids << 32) | d.times_ms for d in (direct, flipped)]
        found_hits.append(_hits(found, truth))
        hit = in_exact_top_k[j * 2 * len(q) : (j + 1) * 2 * len(q)]
        exact_hits.append(hit[: len(q)] | hit[len(q) :])
    found_hits, exact_hits = np.concatenate(found_hits), np.concatenate(exact_hits)
    recall = {
        "all": (float(found_hits.mean()), float(exact_hits.mean())),
        "evidence": (float(found_hits[evidence].mean()), float(exact_hits[evidence].mean())),
    }
    return latencies, cpu_times, recall


def run(size: int, stats: Stats, args: argparse.Namespace) -> dict:
    chunks = -(-size // (CHUNK_EPISODES * FRAMES_PER_EPISODE))
    last_eps = (size - (chunks - 1) * CHUNK_EPISODES * FRAMES_PER_EPISODE) // FRAMES_PER_EPISODE
    counts = [CHUNK_EPISODES] * (chunks - 1) + [max(1, last_eps)]
    k = args.k
    planted, refs = plant_copies(stats, *chunk(stats, chunks - 1, counts[-1]), args.candidates)
    queries = np.concatenate([np.concatenate([q, mirrored(q)]) for q, _ in planted])
    planted_sim = np.concatenate(
        [np.concatenate([np.sum(q * r, 1), np.sum(mirrored(q) * r, 1)]) for (q, _), r in zip(planted, refs)]
    )
    better = np.zeros(len(queries), np.int64)
    # frames the aligner can use at all: the planted pair is similar enough to count as evidence
    best_sim = np.concatenate([np.maximum(np.sum(q * r, 1), np.sum(mirrored(q) * r, 1)) for (q, _), r in zip(planted, refs)])
    evidence = best_sim >= AlignParams().min_similarity
    home = Path(tempfile.mkdtemp(prefix="index-scale-", dir=args.workdir))
    timings = {"generate_s": 0.0, "train_s": 0.0, "train_cpu_s": 0.0, "add_s": 0.0, "add_cpu_s": 0.0, "exact_s": 0.0}
    if args.backend == "faiss-flat":
        index = FaissFrameIndex(home, len(stats.mean))
    else:
        index = FaissIvfFrameIndex(
            home, len(stats.mean), factory=args.factory, nlist=args.nlist, nprobe=args.nprobe, train_size=1
        )
    total = 0
    for number, episodes in enumerate(counts):
        start = time.perf_counter()
        ids, vectors = chunk(stats, number, episodes)
        timings["generate_s"] += time.perf_counter() - start
        if number == 0 and args.backend != "faiss-flat":
            sample = vectors[np.random.default_rng(1).choice(len(vectors), min(len(vectors), args.train), replace=False)]
            start, cpu = time.perf_counter(), time.process_time()
            index.train(sample)
            timings["train_s"] = time.perf_counter() - start
            timings["train_cpu_s"] = time.process_time() - cpu
        start, cpu = time.perf_counter(), time.process_time()
        index.add_many(ids, vectors)
        timings["add_s"] += time.perf_counter() - start
        timings["add_cpu_s"] += time.process_time() - cpu
        if not args.no_exact:
            start = time.perf_counter()
            for block in range(0, len(vectors), 1 << 16):
                sims = queries @ vectors[block : block + (1 << 16)].T
                better += (sims > planted_sim[:, None] + 1e-5).sum(axis=1)
            timings["exact_s"] += time.perf_counter() - start
        total += len(ids)
        print(f"  {total:>11,} vectors  rss {status_kib('VmRSS') / 2**20:.2f} GiB  {timings}", file=sys.stderr, flush=True)
        del ids, vectors
    in_exact_top_k = better < k

    # incremental add: one more 80-episode series through the FrameIndex API (replace check included)
    series = chunk(stats, 10_000, SERIES_EPISODES)
    start, cpu = time.perf_counter(), time.process_time()
    for e in range(SERIES_EPISODES):
        rows = slice(e * FRAMES_PER_EPISODE, (e + 1) * FRAMES_PER_EPISODE)
        index.add(int(series[0][rows][0] >> 32), series[0][rows] & 0xFFFFFFFF, series[1][rows])
    incremental_s, incremental_cpu = time.perf_counter() - start, time.process_time() - cpu

    start = time.perf_counter()
    index.save()
    save_s = time.perf_counter() - start
    index_bytes = index.path.stat().st_size

    latencies, cpu_times, recall = measure(index, planted, in_exact_top_k, evidence, k, args.repeats)
    faiss.omp_set_num_threads(1)
    start, cpu = time.perf_counter(), time.process_time()
    index.search(planted[0][0], k), index.search(mirrored(planted[0][0]), k)
    one_thread, one_thread_cpu = time.perf_counter() - start, time.process_time() - cpu
    faiss.omp_set_num_threads(args.threads)
    hours = (size + SERIES_EPISODES * FRAMES_PER_EPISODE) / FPS / 3600
    result = {
        "vectors": index.size,
        "backend": args.backend,
        "factory": args.factory if args.backend != "faiss-flat" else "IDMap2,Flat",
        "nlist": args.nlist,
        "nprobe": args.nprobe,
        "train_vectors": args.train,
        "train_s": round(timings["train_s"], 1),
        "add_s": round(timings["add_s"], 1),
        "build_s": round(timings["train_s"] + timings["add_s"], 1),
        "train_cpu_s": round(timings["train_cpu_s"], 1),
        "add_cpu_s": round(timings["add_cpu_s"], 1),
        "incremental_add_series_s": round(incremental_s, 2),
        "incremental_add_per_episode_ms": round(incremental_s / SERIES_EPISODES * 1000, 1),
        "incremental_add_series_cpu_s": round(incremental_cpu, 2),
        "save_s": round(save_s, 1),
        "index_bytes": index_bytes,
        "bytes_per_vector": round(index_bytes / index.size, 1),
        "bytes_per_video_hour": int(index_bytes / hours),
        "rss_gib": round(status_kib("VmRSS") / 2**20, 2),
        "peak_rss_gib": round(status_kib("VmHWM") / 2**20, 2),
        "threads": args.threads,
        "query_ms_median": round(statistics.median(latencies) * 1000, 1),
        "query_ms_max": round(max(latencies) * 1000, 1),
        "query_cpu_ms_median": round(statistics.median(cpu_times) * 1000, 1),
        "query_ms_one_thread": round(one_thread * 1000, 1),
        "query_cpu_ms_one_thread": round(one_thread_cpu * 1000, 1),
        "evidence_frames": int(evidence.sum()),
        "query_frames": len(evidence),
        "recall_evidence": round(recall["evidence"][0], 4),
        "recall_evidence_exact": round(recall["evidence"][1], 4) if not args.no_exact else None,
        "recall_loss_evidence": round(1 - recall["evidence"][0] / recall["evidence"][1], 4) if not args.no_exact else None,
        "recall_all": round(recall["all"][0], 4),
        "recall_all_exact": round(recall["all"][1], 4) if not args.no_exact else None,
        "recall_loss_all": round(1 - recall["all"][0] / recall["all"][1], 4) if not args.no_exact else None,
        "exact_search_s": round(timings["exact_s"], 1),
    }
    sweep = []
    for nprobe in args.sweep if args.backend == "faiss-ivf" else []:
        index.nprobe = nprobe
        index._configure()
        lat, cpu_t, rec = measure(index, planted, in_exact_top_k, evidence, k, args.repeats)
        sweep.append(
            {
                "nprobe": nprobe,
                "query_cpu_ms_median": round(statistics.median(cpu_t) * 1000, 1),
                "query_ms_median": round(statistics.median(lat) * 1000, 1),
                "recall_loss_evidence": round(1 - rec["evidence"][0] / rec["evidence"][1], 4),
                "recall_loss_all": round(1 - rec["all"][0] / rec["all"][1], 4),
            }
        )
    if sweep:
        result["nprobe_sweep"] = sweep
    shutil.rmtree(home, ignore_errors=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=float, default=[1e6])
    parser.add_argument("--backend", choices=["faiss-ivf", "faiss-flat"], default="faiss-ivf")
    parser.add_argument("--factory", default="IVF{nlist},PQ{dim}x4fs")
    parser.add_argument("--nlist", type=int, default=4096)
    parser.add_argument("--nprobe", type=int, default=16)
    parser.add_argument("--sweep", nargs="*", type=int, default=[], help="also measure these nprobe")
    parser.add_argument("--train", type=int, default=200_000, help="training sample size")
    parser.add_argument("--k", type=int, default=16)
    parser.add_argument("--candidates", type=int, default=2, help="2-minute planted candidates")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=faiss.omp_get_max_threads())
    parser.add_argument("--no-exact", action="store_true", help="skip the exact ground truth")
    parser.add_argument("--bench", type=Path, default=REPO.parent / "shared" / "bench")
    parser.add_argument("--workdir", type=Path, default=None, help="where the index file is saved")
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
    for size in args.sizes:
        print(json.dumps(run(int(size), stats, args)), flush=True)
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GiB", file=sys.stderr)


if __name__ == "__main__":
    main()
