"""The reference frame index: FAISS behind a small interface that owns the id mapping.

Each vector's FAISS id encodes ``(episode_id << 32) | time_ms``, so the index file alone says which
episode and which millisecond every vector belongs to — no side table to drift out of step, and
removing an episode is one id-range removal. Persisted with FAISS's own writer, atomically
(write to a temporary file, fsync, rename), never with pickle.

Several processes may hold the same index file (the daemon and the API each keep a copy in memory
and save the whole file). Ordinary saves differ only in which episodes they hold, and the database
repairs that (``reconcile``). A *rebuilt* file (new cells, see ``indexing/retrain.py``) differs
in structure, so it carries a generation marker: ``frames.faiss.generation``, a random token
written after the file whenever the file is rebuilt. Each process remembers the token it loaded;
a different token on disk means "rebuilt elsewhere: reload before writing". A save checks the
token and replaces the file under one ``flock``, so an old-structured copy never overwrites a
rebuilt file (it raises :class:`IndexRebuilt` instead). The token is read before the file and
written after it, so a process never pairs the new token with the old file.
"""
from __future__ import annotations

import fcntl
import logging
import os
import tempfile
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import faiss
import numpy as np

log = logging.getLogger(__name__)

TIME_BITS = 32
TIME_MASK = (1 << TIME_BITS) - 1


class IndexError_(Exception):
    """The index file is unreadable or does not fit the descriptors (our state, not user input)."""


class IndexRebuilt(IndexError_):
    """Another process rebuilt the index file since this one loaded it: reload, do not overwrite."""

    expected = True  # another process's doing; the next reconcile reloads the file


@dataclass(frozen=True)
class Neighbours:
    """k nearest references for each query row: episode ids, reference times, similarities."""

    episode_ids: np.ndarray  # int64 (n, k), -1 where no neighbour
    times_ms: np.ndarray  # int64 (n, k)
    similarities: np.ndarray  # float32 (n, k), inner product of unit vectors


def encode_ids(episode_id: int, times_ms: np.ndarray) -> np.ndarray:
    if np.any(times_ms < 0) or np.any(times_ms > TIME_MASK):
        raise ValueError("frame times must fit in 32 bits of milliseconds")
    return (np.int64(episode_id) << TIME_BITS) | times_ms.astype(np.int64)


class FrameIndex(ABC):
    """Nearest-neighbour search over registered episodes' frame descriptors."""

    name: ClassVar[str]

    @abstractmethod
    def add(self, episode_id: int, times_ms: np.ndarray, vectors: np.ndarray) -> None: ...

    @abstractmethod
    def remove(self, episode_id: int) -> int: ...

    @abstractmethod
    def episode_ids(self) -> set[int]: ...

    @abstractmethod
    def search(self, vectors: np.ndarray, k: int) -> Neighbours: ...

    @abstractmethod
    def save(self) -> None: ...

    @property
    @abstractmethod
    def size(self) -> int: ...

    def is_ready(self) -> bool:
        return self.size > 0

    def is_stale(self, registered: set[int]) -> bool:
        """True when the index and the registry disagree about which episodes exist."""
        return self.episode_ids() != registered

    def rebuilt_elsewhere(self) -> bool:
        """True when the stored index was rebuilt by another process (only FAISS files are)."""
        return False

    def reload(self) -> None:
        """Read the stored index again (a server-side backend has nothing to reload)."""


class FaissIndexBase(FrameIndex):
    """What every FAISS backend shares: the index file, id decoding, atomic save."""

    FILENAME: ClassVar[str] = "frames.faiss"

    def __init__(self, directory: Path | None, dim: int) -> None:
        self.directory = directory
        self.dim = dim
        self.generation = self._disk_generation()  # before the file: see the module docstring
        self._index: faiss.Index = self._load() or self._empty()
        self._loaded()

    @abstractmethod
    def _empty(self) -> faiss.Index:
        """A new index for a library with nothing in it."""

    def _loaded(self) -> None:
        """Derive in-memory state from ``self._index`` (after opening or reloading the file)."""

    @property
    def path(self) -> Path | None:
        return self.directory / self.FILENAME if self.directory else None

    def _sidecar(self, suffix: str) -> Path:
        return self.directory / (self.FILENAME + suffix)

    def _disk_generation(self) -> str | None:
        """The rebuild token on disk; None for a file never rebuilt (or no file)."""
        if self.directory is None:
            return None
        try:
            return self._sidecar(".generation").read_text().strip() or None
        except FileNotFoundError:
            return None

    def rebuilt_elsewhere(self) -> bool:
        return self.directory is not None and self._disk_generation() != self.generation

    def reload(self) -> None:
        self.generation = self._disk_generation()
        self._index = self._load() or self._empty()
        self._loaded()

    def _load(self) -> faiss.Index | None:
        path = self.path
        if path is None or not path.exists():
            return None
        try:
            index = faiss.read_index(str(path))
        except RuntimeError as exc:
            raise IndexError_(f"cannot read index {path}: {exc}") from exc
        if index.d != self.dim:
            raise IndexError_(f"index {path} has dimension {index.d}, descriptors have {self.dim}")
        return index

    @property
    def size(self) -> int:
        return int(self._index.ntotal)

    def _check(self, times_ms: np.ndarray, vectors: np.ndarray) -> np.ndarray:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[1] != self.dim:
            raise ValueError(f"expected vectors of shape (n, {self.dim}), got {vectors.shape}")
        if len(vectors) != len(times_ms):
            raise ValueError("one time per vector")
        return vectors

    def add_many(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Bulk load of already-encoded ids (a rebuild or a benchmark): no replace semantics."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self._index.add_with_ids(vectors, np.ascontiguousarray(ids, dtype=np.int64))

    def _remove_range(self, index: faiss.Index, episode_id: int) -> int:
        low = int(episode_id) << TIME_BITS
        return int(index.remove_ids(faiss.IDSelectorRange(low, low + (1 << TIME_BITS))))

    def _search_index(self, index: faiss.Index, vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        return index.search(vectors, k)

    def search(self, vectors: np.ndarray, k: int) -> Neighbours:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if self.size == 0 or len(vectors) == 0:
            empty = np.full((len(vectors), 0), -1, np.int64)
            return Neighbours(empty, empty.copy(), np.zeros((len(vectors), 0), np.float32))
        sims, ids = self._search_index(self._index, vectors, min(k, self.size))
        return decode_neighbours(ids, sims)

    def save(self, *, rebuilt: bool = False) -> None:
        """Write atomically: a reader or a crash sees the old file or the new, never half.

        ``rebuilt`` marks a file with new structure (a new generation token); an ordinary save
        raises :class:`IndexRebuilt` instead of overwriting a file another process rebuilt.
        """
        if self.path is None:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        with self._file_lock():
            if not rebuilt and self.rebuilt_elsewhere():
                raise IndexRebuilt(f"{self.path} was rebuilt by another process; reload it before saving")
            _replace_atomically(self.path, lambda tmp: faiss.write_index(self._index, str(tmp)))
            if rebuilt:
                token = uuid.uuid4().hex
                _replace_atomically(self._sidecar(".generation"), lambda tmp: tmp.write_text(token + "\n"))
                self.generation = token
        log.debug("saved index with %d vectors to %s", self.size, self.path)

    @contextmanager
    def _file_lock(self) -> Iterator[None]:
        """One saver at a time across processes: the generation check and the rename are one step."""
        with open(self._sidecar(".lock"), "a") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _replace_atomically(path: Path, write: Callable[[Path], object]) -> None:
    """``write`` a temporary file of our own next to ``path`` (the daemon and the API may both
    save), fsync it, rename it over ``path``."""
    handle, name = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    os.close(handle)
    tmp = Path(name)
    try:
        write(tmp)
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def decode_neighbours(ids: np.ndarray, sims: np.ndarray) -> Neighbours:
    """Split encoded ids into episodes and times; -1 (no neighbour) stays -1 on both."""
    ids = np.asarray(ids, dtype=np.int64)
    valid = ids >= 0
    episodes = np.where(valid, ids >> TIME_BITS, -1)
    times = np.where(valid, ids & TIME_MASK, -1)
    return Neighbours(episodes, times, np.asarray(sims, dtype=np.float32))


class FaissFrameIndex(FaissIndexBase):
    """Exact inner-product search (``IndexFlatIP``) with explicit ids (``IndexIDMap2``)."""

    name: ClassVar[str] = "faiss-flat"

    def _empty(self) -> faiss.Index:
        return faiss.IndexIDMap2(faiss.IndexFlatIP(self.dim))

    def _ids(self) -> np.ndarray:
        return faiss.vector_to_array(self._index.id_map).astype(np.int64)

    def episode_ids(self) -> set[int]:
        return {int(e) for e in np.unique(self._ids() >> TIME_BITS)}

    def add(self, episode_id: int, times_ms: np.ndarray, vectors: np.ndarray) -> None:
        vectors = self._check(times_ms, vectors)
        self.remove(episode_id)
        self._index.add_with_ids(vectors, encode_ids(episode_id, np.asarray(times_ms)))

    def remove(self, episode_id: int) -> int:
        return self._remove_range(self._index, episode_id)
