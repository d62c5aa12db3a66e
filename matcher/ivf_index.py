"""Approximate FAISS backend for large libraries: an inverted file (IVF) of compressed codes.

Exact search reads every stored vector for every query; at tens of millions of reference
descriptors that is seconds per candidate. An IVF index clusters the vectors (k-means, ``nlist``
cells) and scans only the ``nprobe`` cells nearest each query; by default the cells are found
through an HNSW graph over the centroids (comparing all of them costs more than the scan at
thousands of cells) and the codes are 4-bit fast-scan PQ, one sub-quantizer per dimension:
32 bytes + an 8-byte id per descriptor, so 50 M fit in 2.0 GB (benchmarks/RESULTS.md, Scale).

k-means needs data, so a new library starts exact (the flat index) and trains itself once it
holds ``train_size`` descriptors, on a random sample of them; later episodes are added to the
trained cells. A sample supports at most sample/39 cells, so that first training usually gives
fewer than ``nlist``; once the library could fill all ``nlist`` cells, :attr:`retrain_due` says
so and ``dramaguard/retrain.py`` rebuilds the index from the database's original descriptors
(the stored 4-bit codes are too coarse to train on). Same id encoding and persistence as the flat
backend (FAISS's writer, atomic); the file says by its own type whether it is still the exact
buffer or the trained IVF.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import ClassVar

import faiss
import numpy as np

from matcher.index import TIME_BITS, FaissIndexBase, IndexError_, encode_ids

log = logging.getLogger(__name__)

MIN_POINTS_PER_CELL = 39  # FAISS's own floor for a meaningful k-means cell
ADD_CHUNK = 1 << 18
SIMD_WIDTH = 16
# the HNSW graph search over the centroids, for queries and adds alike: 32 saved ~20 % CPU but
# lost evidence recall at 1 M; adds once searched at 16 (3× cheaper), which put some vectors in a
# cell a query identical to them does not probe: most of the recall lost at 50 M (RESULTS.md, Scale)
HNSW_EF_SEARCH = 64


class FaissIvfFrameIndex(FaissIndexBase):
    """IVF index built from a FAISS factory string such as ``IVF{nlist},PQ{dim}x4fs``."""

    name: ClassVar[str] = "faiss-ivf"

    def __init__(
        self,
        directory: Path | None,
        dim: int,
        *,
        factory: str = "IVF{nlist}_HNSW32,PQ{dim}x4fs",
        nlist: int = 16384,
        nprobe: int = 32,
        train_size: int = 200_000,
        train_iterations: int = 10,
    ) -> None:
        self.factory, self.nlist, self.nprobe, self.train_size = factory, nlist, nprobe, train_size
        self.train_iterations = train_iterations
        self.dim = dim
        self._build(nlist * MIN_POINTS_PER_CELL)  # a bad factory string fails now, not at training
        super().__init__(directory, dim)

    def _loaded(self) -> None:
        self._configure()
        self._episodes = {int(e) for e in np.unique(self._all_ids() >> TIME_BITS)}

    def blank(self) -> FaissIvfFrameIndex:
        """An empty in-memory index with the same options: what a rebuild fills before :meth:`adopt`."""
        return FaissIvfFrameIndex(
            None, self.dim, factory=self.factory, nlist=self.nlist, nprobe=self.nprobe,
            train_size=self.train_size, train_iterations=self.train_iterations,
        )

    def adopt(self, other: FaissIvfFrameIndex) -> None:
        """Take over ``other``'s contents (a rebuild); searches already running finish on the old."""
        if other.dim != self.dim:
            raise IndexError_(f"cannot adopt an index of dimension {other.dim} into {self.dim}")
        self._index, self._episodes = other._index, set(other._episodes)
        self._configure()

    # -- construction ------------------------------------------------------------------------
    def _empty(self) -> faiss.Index:
        return faiss.IndexIDMap2(faiss.IndexFlatIP(self.dim))

    def _build(self, n_train: int) -> faiss.Index:
        """An untrained IVF index with as many cells as ``n_train`` points can support.

        FAISS's SIMD scanners want a dimension that is a multiple of 16 (63 runs the scalar
        code, 5× slower), so vectors are zero-padded by a ``RemapDimensionsTransform`` inside
        the index: inner products are unchanged and the file still says the input dimension.
        ``{dim}`` in the factory string is the padded dimension (e.g. ``PQ{dim}x4fs``).
        """
        dim = self.dim
        padded = -(-dim // SIMD_WIDTH) * SIMD_WIDTH
        nlist = max(1, min(self.nlist, n_train // MIN_POINTS_PER_CELL))
        try:
            spec = self.factory.format(nlist=nlist, dim=padded)
            index = faiss.index_factory(padded, spec, faiss.METRIC_INNER_PRODUCT)
        except (RuntimeError, KeyError, IndexError, ValueError) as exc:
            raise IndexError_(f"bad IVF factory string {self.factory!r}: {exc}") from exc
        if faiss.try_extract_index_ivf(index) is None:
            raise IndexError_(f"factory {self.factory!r} is not an inverted-file (IVF) index")
        if padded != dim:
            index = faiss.IndexPreTransform(faiss.RemapDimensionsTransform(dim, padded, False), index)
        return index

    def _configure(self, index: faiss.Index | None = None) -> None:
        """Query-time options of ``index`` (default: this one's)."""
        ivf = faiss.try_extract_index_ivf(self._index if index is None else index)
        if ivf is not None:
            ivf.nprobe = self.nprobe
            quantizer = faiss.downcast_index(ivf.quantizer)
            if isinstance(quantizer, faiss.IndexHNSW):  # the graph search must look wider than nprobe
                quantizer.hnsw.efSearch = max(HNSW_EF_SEARCH, 2 * self.nprobe)

    @property
    def trained(self) -> bool:
        """False while the library is small enough to be searched exactly."""
        return faiss.try_extract_index_ivf(self._index) is not None

    @property
    def cells(self) -> int:
        """The trained cell count (0 while exact); may be below ``nlist`` (see the module docstring)."""
        ivf = faiss.try_extract_index_ivf(self._index)
        return int(ivf.nlist) if ivf is not None else 0

    @property
    def retrain_due(self) -> bool:
        """Trained with fewer cells than ``nlist`` while holding enough descriptors for all of
        them: a rebuild would make every query cheaper. Two integer comparisons: small libraries
        (exact, or below ``nlist`` × 39 descriptors) never pay for the check."""
        return self.trained and self.cells < self.nlist and self.size >= self.nlist * MIN_POINTS_PER_CELL

    def _buffered_vectors(self) -> np.ndarray:
        flat = faiss.downcast_index(self._index.index)
        return faiss.rev_swig_ptr(flat.get_xb(), flat.ntotal * self.dim).reshape(-1, self.dim)

    def train(self, sample: np.ndarray | None = None, *, seed: int = 0) -> None:
        """Train the cells on ``sample`` (default: a random sample of what is stored), move the
        stored vectors into them, and search approximately from now on."""
        if self.trained:
            raise IndexError_("the IVF index is already trained")
        if sample is None:
            stored = self._buffered_vectors()
            rng = np.random.default_rng(seed)
            rows = np.sort(rng.choice(len(stored), min(len(stored), self.train_size), replace=False))
            sample = stored[rows]
        sample = np.ascontiguousarray(sample, dtype=np.float32)
        index = self._build(len(sample))
        ivf = faiss.extract_index_ivf(index)
        ivf.cp.niter = self.train_iterations
        # k-means assigns with exact (BLAS) search even when the cells will be found through an
        # HNSW graph: FAISS would otherwise rebuild the graph on every iteration (hours at 16 k cells)
        clustering = faiss.IndexFlatIP(ivf.d)
        ivf.clustering_index = clustering
        index.train(sample)
        ivf.clustering_index = None
        self._configure(index)  # the stored vectors below find their cells as queries will
        if self.size:
            vectors, ids = self._buffered_vectors(), self._all_ids()
            for start in range(0, len(ids), ADD_CHUNK):
                index.add_with_ids(vectors[start : start + ADD_CHUNK], ids[start : start + ADD_CHUNK])
        log.info("IVF index trained on %d descriptors, %d cells", len(sample), faiss.extract_index_ivf(index).nlist)
        self._index = index
        self._configure()

    # -- FrameIndex --------------------------------------------------------------------------
    def _all_ids(self) -> np.ndarray:
        ivf = faiss.try_extract_index_ivf(self._index)
        if ivf is None:
            return faiss.vector_to_array(self._index.id_map).astype(np.int64)
        lists = ivf.invlists
        parts = [
            faiss.rev_swig_ptr(lists.get_ids(i), lists.list_size(i)).copy()
            for i in range(ivf.nlist)
            if lists.list_size(i)
        ]
        return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, np.int64)

    def episode_ids(self) -> set[int]:
        return set(self._episodes)

    def add(self, episode_id: int, times_ms: np.ndarray, vectors: np.ndarray) -> None:
        vectors = self._check(times_ms, vectors)
        self.remove(episode_id)
        self._index.add_with_ids(vectors, encode_ids(episode_id, np.asarray(times_ms)))
        self._episodes.add(int(episode_id))
        if not self.trained and self.size >= self.train_size:
            self.train()

    def add_many(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        super().add_many(ids, vectors)
        self._episodes.update(int(e) for e in np.unique(ids >> TIME_BITS))

    def remove(self, episode_id: int) -> int:
        if int(episode_id) not in self._episodes:
            return 0  # a full scan of the cells saved: the common case is a new episode
        self._episodes.discard(int(episode_id))
        return self._remove_range(self._index, episode_id)
