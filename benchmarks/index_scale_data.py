"""The synthetic library of the index-scale benchmark: descriptor statistics measured on the dev
clips, episodes drawn to match them, in chunks, and planted pirated copies with known answers."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fingerprint import fingerprint_video
from fingerprint.descriptor import mirrored


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
