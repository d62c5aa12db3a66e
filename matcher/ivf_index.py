"""Approximate FAISS backend for large libraries: an inverted file (IVF) of compressed codes.

Exact search reads every stored vector for every query; at tens of millions of reference
descriptors that is seconds per candidate. An IVF index clusters the vectors (k-means, ``nlist``
cells) and scans only the ``nprobe`` cells nearest each query; by default the cells are found
through an HNSW graph over the centroids (comparing all of them costs more than the scan at
thousands of cells) and the codes are 4-bit fast-scan PQ, one sub-quantizer per dimension:
32 bytes + an 8-byte id per descriptor and cell it is stored in (two by default, below), so 50 M
fit in 4.0 GB (benchmarks/RESULTS.md, Scale).

k-means needs data, so a new library starts exact (the flat index) and trains itself once it
holds ``train_size`` descriptors, on a random sample of them; later episodes are added to the
trained cells. A sample supports at most sample/39 cells, so that first training usually gives
fewer than ``nlist``; once the library could fill all ``nlist`` cells, :attr:`retrain_due` says
so and ``indexing/retrain.py`` rebuilds the index from the database's original descriptors
(the stored 4-bit codes are too coarse to train on). Same id encoding and persistence as the flat
backend (FAISS's writer, atomic); the file says by its own type whether it is still the exact
buffer or the trained IVF.

With ``cells_per_vector`` n > 1 (2 by default) each descriptor is stored in its n nearest cells
(n times the codes; ids of the copies carry the copy number, see ``COPY_SHIFT``) and searches
return each frame once. A pirated frame's descriptor drifts from its original's, often out of
every cell the query probes; a copy in the second-nearest cell catches most of those, so a few
probes do what many did with one cell: at 50 M, two cells and nprobe 10 lost 0.61 % of the
evidence in 78–90 ms per candidate, where one cell needed nprobe 32 and 105–116 ms for the same
(benchmarks/RESULTS.md, Scale).
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import ClassVar

import faiss
import numpy as np

from matcher.index import TIME_BITS, FaissIndexBase, IndexError_, encode_ids
from matcher.ivf_cells import add_to_cells, first_occurrences

log = logging.getLogger(__name__)

MIN_POINTS_PER_CELL = 39  # FAISS's own floor for a meaningful k-means cell
ADD_CHUNK = 1 << 18
SIMD_WIDTH = 16
# the HNSW graph search over the centroids, for queries and adds alike: 32 saved ~20 % CPU but
# lost evidence recall at 1 M; adds once searched at 16 (3× cheaper), which put some vectors in a
# cell a query identical to them does not probe: most of the recall lost at 50 M (RESULTS.md, Scale)
HNSW_EF_SEARCH = 64
# copy j of a vector stored in several cells has its id with j in the frame time's top two bits
# (times stay below 2^30 ms, 12 days): the copies differ in FAISS and decode to the same frame
COPY_SHIFT = TIME_BITS - 2
COPY_MASK = 3 << COPY_SHIFT
MAX_CELLS_PER_VECTOR = 4


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
        nprobe: int = 10,
        train_size: int = 200_000,
        train_iterations: int = 10,
        cells_per_vector: int = 2,
    ) -> None:
        if not 1 <= cells_per_vector <= MAX_CELLS_PER_VECTOR:
            raise IndexError_(f"cells_per_vector must be 1 to {MAX_CELLS_PER_VECTOR}, not {cells_per_vector}")
        self.factory, self.nlist, self.nprobe, self.train_size = factory, nlist, nprobe, train_size
        self.train_iterations, self.cells_per_vector = train_iterations, cells_per_vector
        self._copies: dict[int, int] = {}  # episode -> extra copies stored in further cells
        self._stored_cells = 1  # the most cells any stored vector is in (a file may differ from the option)
        self.dim = dim
        self._build(nlist * MIN_POINTS_PER_CELL)  # a bad factory string fails now, not at training
        super().__init__(directory, dim)

    def _loaded(self) -> None:
        self._configure()
        ids = self._all_ids(copies=True)
        copies = (ids & COPY_MASK) != 0
        self._episodes = {int(e) for e in np.unique(ids[~copies] >> TIME_BITS)}
        episodes, counts = np.unique(ids[copies] >> TIME_BITS, return_counts=True)
        self._copies = {int(e): int(c) for e, c in zip(episodes, counts)}
        self._stored_cells = int(np.max(ids & COPY_MASK, initial=0) >> COPY_SHIFT) + 1

    def blank(self) -> FaissIvfFrameIndex:
        """An empty in-memory index with the same options: what a rebuild fills before :meth:`adopt`."""
        return FaissIvfFrameIndex(
            None, self.dim, factory=self.factory, nlist=self.nlist, nprobe=self.nprobe,
            train_size=self.train_size, train_iterations=self.train_iterations, cells_per_vector=self.cells_per_vector,
        )

    def adopt(self, other: FaissIvfFrameIndex) -> None:
        """Take over ``other``'s contents (a rebuild); searches already running finish on the old."""
        if other.dim != self.dim:
            raise IndexError_(f"cannot adopt an index of dimension {other.dim} into {self.dim}")
        self._index, self._episodes, self._copies = other._index, set(other._episodes), dict(other._copies)
        self._stored_cells = other._stored_cells
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
    def size(self) -> int:
        """Descriptors held, each counted once however many cells it is stored in."""
        return int(self._index.ntotal) - sum(self._copies.values())

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
        them (a rebuild would make every query cheaper), or holding fewer copies than
        ``cells_per_vector`` asks for (raised after the library was built: an ``nprobe`` chosen
        for n cells per vector misses what is stored in one). Small libraries (exact, or below
        ``nlist`` × 39 descriptors with one cell per vector) never pay for the check."""
        if not self.trained:
            return False
        more_cells = self.cells < self.nlist and self.size >= self.nlist * MIN_POINTS_PER_CELL
        return more_cells or self.copies_missing

    @property
    def copies_missing(self) -> bool:
        """Some descriptors are stored in fewer than ``cells_per_vector`` cells (an index with
        fewer cells than that cannot hold the copies, and is not counted)."""
        if self.cells_per_vector == 1 or self.cells < self.cells_per_vector:
            return False
        return sum(self._copies.values()) < self.size * (self.cells_per_vector - 1)

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
                self._add_to(index, vectors[start : start + ADD_CHUNK], ids[start : start + ADD_CHUNK])
        log.info("IVF index trained on %d descriptors, %d cells", len(sample), faiss.extract_index_ivf(index).nlist)
        self._index = index
        self._configure()

    # -- FrameIndex --------------------------------------------------------------------------
    def _all_ids(self, *, copies: bool = False) -> np.ndarray:
        """Every stored id, once per descriptor (``copies``: with the further copies' ids too)."""
        ivf = faiss.try_extract_index_ivf(self._index)
        if ivf is None:
            return faiss.vector_to_array(self._index.id_map).astype(np.int64)
        lists = ivf.invlists
        parts = [
            faiss.rev_swig_ptr(lists.get_ids(i), lists.list_size(i)).copy()
            for i in range(ivf.nlist)
            if lists.list_size(i)
        ]
        ids = np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, np.int64)
        return ids if copies else ids[(ids & COPY_MASK) == 0]

    def _add_to(self, index: faiss.Index, vectors: np.ndarray, ids: np.ndarray) -> None:
        """Add to ``index``: each vector to the first cell a query identical to it probes and,
        with ``cells_per_vector`` n > 1, a copy to each of the next n − 1. A distorted copy of a
        frame often probes none of the cells nearest its original; a copy in the next cell
        lets fewer probes find it (module docstring)."""
        if self.cells_per_vector > 1 and np.any(ids & COPY_MASK):  # checked while exact too: training re-adds
            raise ValueError("frame times must stay below 2^30 ms (12 days) in an index storing copies")
        ivf = faiss.try_extract_index_ivf(index)
        if ivf is None or self.cells_per_vector == 1:
            index.add_with_ids(vectors, ids)
            return
        vectors = _transformed(index, vectors)
        _, cells = ivf.quantizer.search(vectors, self.cells_per_vector)
        for copy in range(self.cells_per_vector):
            found = cells[:, copy] >= 0  # fewer cells than copies: a tiny index
            add_to_cells(ivf, vectors[found], ids[found] | (copy << COPY_SHIFT), cells[found, copy])
            if copy:
                episodes, counts = np.unique(ids[found] >> TIME_BITS, return_counts=True)
                for episode, count in zip(episodes.tolist(), counts.tolist()):
                    self._copies[episode] = self._copies.get(episode, 0) + count
        index.ntotal = ivf.ntotal
        self._stored_cells = max(self._stored_cells, self.cells_per_vector)

    def _search_index(self, index: faiss.Index, vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        if not self._copies:
            return index.search(vectors, k)
        # every one of the k nearest may be found once per cell it is stored in
        similarities, ids = index.search(vectors, min(self._stored_cells * k, int(index.ntotal)))
        return first_occurrences(similarities, np.where(ids >= 0, ids & ~COPY_MASK, -1), k)

    def episode_ids(self) -> set[int]:
        return set(self._episodes)

    def add(self, episode_id: int, times_ms: np.ndarray, vectors: np.ndarray) -> None:
        vectors = self._check(times_ms, vectors)
        self.remove(episode_id)
        self._add_to(self._index, vectors, encode_ids(episode_id, np.asarray(times_ms)))
        self._episodes.add(int(episode_id))
        if not self.trained and self.size >= self.train_size:
            self.train()

    def add_many(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        self._add_to(self._index, np.ascontiguousarray(vectors, np.float32), np.ascontiguousarray(ids, np.int64))
        self._episodes.update(int(e) for e in np.unique(ids >> TIME_BITS))

    def remove(self, episode_id: int) -> int:
        if int(episode_id) not in self._episodes:
            return 0  # a full scan of the cells saved: the common case is a new episode
        self._episodes.discard(int(episode_id))
        return self._remove_range(self._index, episode_id) - self._copies.pop(int(episode_id), 0)


def _transformed(index: faiss.Index, vectors: np.ndarray) -> np.ndarray:
    """``vectors`` as the IVF inside ``index`` sees them: through its pre-transforms (the zero
    padding of :meth:`FaissIvfFrameIndex._build`, or whatever the factory string adds)."""
    index = faiss.downcast_index(index)
    if isinstance(index, faiss.IndexPreTransform):
        for number in range(index.chain.size()):
            vectors = faiss.downcast_VectorTransform(index.chain.at(number)).apply(vectors)
    return np.ascontiguousarray(vectors, dtype=np.float32)
