"""The approximate IVF backend: training on stored descriptors, recall against exact search."""
from __future__ import annotations

import faiss
import numpy as np
import pytest

from matcher.index import TIME_BITS, FaissFrameIndex, IndexError_, IndexRebuilt
from matcher.ivf_index import HNSW_EF_SEARCH, FaissIvfFrameIndex

DIM = 32


def _library(episodes: int, frames: int, seed: int) -> dict[int, np.ndarray]:
    """Clustered unit descriptors (scenes), like real episodes: nearby frames look alike."""
    rng = np.random.default_rng(seed)
    out = {}
    for e in range(episodes):
        scenes = rng.normal(size=(frames // 8 + 1, DIM))
        v = scenes.repeat(8, axis=0)[:frames] + 0.35 * rng.normal(size=(frames, DIM))
        out[e + 1] = (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)
    return out


def _near_copies(vectors: np.ndarray, noise: float, seed: int) -> np.ndarray:
    q = vectors + noise * np.random.default_rng(seed).normal(size=vectors.shape) / np.sqrt(DIM)
    return (q / np.linalg.norm(q, axis=1, keepdims=True)).astype(np.float32)


def test_starts_exact_and_trains_itself_once_big_enough(tmp_path):
    lib = _library(6, 400, seed=1)
    index = FaissIvfFrameIndex(tmp_path, DIM, nlist=16, nprobe=4, train_size=1500)
    for e in (1, 2, 3):
        index.add(e, np.arange(400) * 250, lib[e])
    assert not index.trained and index.size == 1200
    index.add(4, np.arange(400) * 250, lib[4])
    assert index.trained and index.size == 1600
    index.add(5, np.arange(400) * 250, lib[5])  # incremental add into trained cells
    index.save()
    again = FaissIvfFrameIndex(tmp_path, DIM, nlist=16, nprobe=4, train_size=1500)
    assert again.trained and again.size == 2000 and again.episode_ids() == {1, 2, 3, 4, 5}
    assert again.remove(2) == 400 and again.episode_ids() == {1, 3, 4, 5}


def test_recall_on_planted_copies_matches_exact_search(tmp_path):
    lib = _library(20, 500, seed=2)
    exact = FaissFrameIndex(None, DIM)
    approx = FaissIvfFrameIndex(None, DIM, nlist=32, nprobe=8, train_size=10_000)
    for e, vectors in lib.items():
        times = np.arange(len(vectors)) * 250
        exact.add(e, times, vectors)
        approx.add(e, times, vectors)
    assert approx.trained
    rows = np.random.default_rng(3).choice(500, 120, replace=False)
    queries = _near_copies(lib[11][rows], noise=0.3, seed=4)  # similarity ≈ 0.95, like re-encodes
    k = 16
    truth, found = exact.search(queries, k), approx.search(queries, k)
    planted_exact = (truth.episode_ids == 11) & (truth.times_ms == (rows * 250)[:, None])
    planted_found = (found.episode_ids == 11) & (found.times_ms == (rows * 250)[:, None])
    assert planted_exact.any(axis=1).mean() == 1.0
    assert planted_found.any(axis=1).mean() >= 0.97
    overlap = np.mean([len(set(t) & set(f)) / k for t, f in zip(truth.times_ms + (truth.episode_ids << 32), found.times_ms + (found.episode_ids << 32))])
    assert overlap >= 0.8


def test_explicit_training_sample_and_bad_factory(tmp_path):
    lib = _library(3, 400, seed=5)
    index = FaissIvfFrameIndex(None, DIM, nlist=8, train_size=10**9)
    index.add(1, np.arange(400) * 250, lib[1])
    index.train(np.concatenate([lib[2], lib[3]]))
    assert index.trained and index.size == 400
    assert index.search(lib[1][:1], 1).episode_ids[0, 0] == 1
    with pytest.raises(IndexError_, match="already trained"):
        index.train()
    with pytest.raises(IndexError_, match="bad IVF factory"):
        FaissIvfFrameIndex(None, DIM, factory="IVF{nlist},PQ5")


def test_hnsw_coarse_quantizer_finds_planted_copies_and_survives_reload(tmp_path):
    """Large libraries use many cells found through an HNSW graph (docs/scaling.md): k-means is
    trained with exact assignment, adds use a narrow graph search, queries a wide one."""
    lib = _library(12, 500, seed=6)
    factory = "IVF{nlist}_HNSW32,PQ{dim}x4fs"
    index = FaissIvfFrameIndex(tmp_path, DIM, factory=factory, nlist=64, nprobe=8, train_size=4000, train_iterations=4)
    for e, vectors in lib.items():
        index.add(e, np.arange(len(vectors)) * 250, vectors)
    assert index.trained
    index.save()
    again = FaissIvfFrameIndex(tmp_path, DIM, factory=factory, nlist=64, nprobe=8, train_size=4000)
    quantizer = faiss.downcast_index(faiss.extract_index_ivf(again._index).quantizer)
    assert isinstance(quantizer, faiss.IndexHNSW) and quantizer.hnsw.efSearch == HNSW_EF_SEARCH
    rows = np.random.default_rng(7).choice(500, 100, replace=False)
    found = again.search(_near_copies(lib[9][rows], noise=0.3, seed=8), 16)
    planted = (found.episode_ids == 9) & (found.times_ms == (rows * 250)[:, None])
    assert planted.any(axis=1).mean() >= 0.97
    again.add(13, np.arange(500) * 250, lib[1])  # an incremental add leaves the wide search set
    assert quantizer.hnsw.efSearch == HNSW_EF_SEARCH and again.episode_ids() == set(range(1, 14))


def test_retrain_is_due_only_when_the_library_can_fill_more_cells():
    """25 cells from a 1,000-descriptor first training; 64 × 39 = 2,496 descriptors fill 64."""
    lib = _library(13, 200, seed=9)
    index = FaissIvfFrameIndex(None, DIM, nlist=64, nprobe=8, train_size=1000, train_iterations=4)
    for e in range(1, 13):
        index.add(e, np.arange(200) * 250, lib[e])
    assert index.trained and index.cells == 25 and index.size == 2400 and not index.retrain_due
    index.add(13, np.arange(200) * 250, lib[13])
    assert index.size == 2600 and index.retrain_due
    full = index.blank()
    full.train(np.concatenate(list(lib.values())))
    index.adopt(full)
    assert index.cells == 64 and not index.retrain_due and index.size == 0
    exact = FaissIvfFrameIndex(None, DIM, nlist=64, train_size=10**9)  # never trained: exact search
    for e in range(1, 14):
        exact.add(e, np.arange(200) * 250, lib[e])
    assert exact.cells == 0 and not exact.retrain_due


def test_every_vector_is_stored_in_the_first_cell_a_query_identical_to_it_probes():
    """Adds search the centroid graph as widely as queries do. With a narrower add-time search
    (efSearch 16 against 64) 97 of these 48,000 vectors sat in a cell their own query did not
    rank first; at 50 M such vectors were most of the evidence the index missed."""
    rng = np.random.default_rng(3)
    scenes = rng.normal(size=(6000, DIM))
    v = scenes.repeat(8, axis=0) + 0.35 * rng.normal(size=(48000, DIM))
    v = (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)
    index = FaissIvfFrameIndex(None, DIM, nlist=1024, nprobe=8, train_size=40000, train_iterations=4)
    for e in range(12):  # trained on the first 40,000 (the stored ones move in), then added to
        index.add(e + 1, np.arange(4000) * 250, v[e * 4000 : (e + 1) * 4000])
    assert index.cells == 1024
    ivf = faiss.extract_index_ivf(index._index)
    stored_in = {}
    for cell in range(ivf.nlist):
        size = ivf.invlists.list_size(cell)
        stored_in.update(dict.fromkeys(faiss.rev_swig_ptr(ivf.invlists.get_ids(cell), size).tolist(), cell))
    ids = np.repeat(np.arange(1, 13), 4000) << TIME_BITS | np.tile(np.arange(4000) * 250, 12)
    _, first_probe = ivf.quantizer.search(v, 1)
    assert [stored_in[i] for i in ids.tolist()] == first_probe[:, 0].tolist()


def test_a_rebuilt_file_is_reloaded_never_overwritten(tmp_path):
    lib = _library(3, 400, seed=10)
    first = FaissIvfFrameIndex(tmp_path, DIM, nlist=8, train_size=500)
    first.add(1, np.arange(400) * 250, lib[1])
    first.add(2, np.arange(400) * 250, lib[2])
    first.save()
    other = FaissIvfFrameIndex(tmp_path, DIM, nlist=8, train_size=500)
    assert not other.rebuilt_elsewhere()
    first.add(3, np.arange(400) * 250, lib[3])
    first.save(rebuilt=True)  # as a rebuild saves: a new generation token
    assert other.rebuilt_elsewhere() and not first.rebuilt_elsewhere()
    other.remove(1)
    with pytest.raises(IndexRebuilt, match="rebuilt by another process"):
        other.save()
    assert FaissIvfFrameIndex(tmp_path, DIM, nlist=8, train_size=500).episode_ids() == {1, 2, 3}
    other.reload()
    assert not other.rebuilt_elsewhere() and other.episode_ids() == {1, 2, 3}
    other.remove(1)
    other.save()  # up to date now: an ordinary save goes through
    assert FaissIvfFrameIndex(tmp_path, DIM, nlist=8, train_size=500).episode_ids() == {2, 3}


def test_vectors_stored_in_two_cells_are_counted_and_found_once(tmp_path):
    lib = _library(12, 500, seed=11)
    index = FaissIvfFrameIndex(tmp_path, DIM, nlist=64, nprobe=4, train_size=4000, cells_per_vector=2)
    for e, vectors in lib.items():
        index.add(e, np.arange(500) * 250, vectors)
    assert index.trained and index.size == 6000 and index._index.ntotal == 12000
    index.save()
    again = FaissIvfFrameIndex(tmp_path, DIM, nlist=64, nprobe=4, train_size=4000, cells_per_vector=1)
    assert again.size == 6000 and again.episode_ids() == set(lib)
    found = again.search(_near_copies(lib[5], noise=0.3, seed=12), 16)
    frames = found.episode_ids << TIME_BITS | found.times_ms
    assert (frames >= 0).all()  # 16 distinct neighbours in every row, none taken by a second copy
    assert all(len(set(row)) == 16 for row in frames)
    assert found.times_ms.max() < 500 * 250  # the copies' marker never leaks out
    assert again.remove(3) == 500 and again.size == 5500 and again._index.ntotal == 11000
    again.add(3, np.arange(500) * 250, lib[3])  # added as configured now: one cell
    assert again.size == 6000 and again._index.ntotal == 11500


def test_two_cells_per_vector_find_near_copies_one_cell_misses():
    """Same data, same cells (same training sample and seed): the two-cell index holds every
    vector where the other does, plus a copy in its second-nearest cell."""
    lib = _library(16, 500, seed=13)
    one = FaissIvfFrameIndex(None, DIM, nlist=128, nprobe=2, train_size=6000, cells_per_vector=1)
    two = FaissIvfFrameIndex(None, DIM, nlist=128, nprobe=2, train_size=6000)  # two cells: the default
    for e, vectors in lib.items():
        one.add(e, np.arange(500) * 250, vectors)
        two.add(e, np.arange(500) * 250, vectors)
    queries = _near_copies(lib[9], noise=0.6, seed=14)  # similarity ≈ 0.85: copies that cross cell borders
    truth = np.arange(500) * 250

    def recall(index):
        found = index.search(queries, 16)
        return ((found.episode_ids == 9) & (found.times_ms == truth[:, None])).any(axis=1).mean()

    assert recall(two) > recall(one) + 0.03


def test_copies_need_frame_times_below_twelve_days():
    index = FaissIvfFrameIndex(None, DIM, nlist=8, train_size=500, cells_per_vector=2)
    index.add(1, np.arange(600) * 250, _library(1, 600, seed=15)[1])
    with pytest.raises(ValueError, match="2\\^30 ms"):
        index.add(2, np.array([1 << 30]), _library(1, 1, seed=16)[1])
    with pytest.raises(IndexError_, match="cells_per_vector"):
        FaissIvfFrameIndex(None, DIM, cells_per_vector=5)
