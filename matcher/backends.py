"""Choose the frame-index backend by name: the one place that knows every backend.

``make_index`` takes any object with the fields of :class:`IndexOptions` (the service passes its
``IndexSettings``), so this package stays free of the settings module.
"""
from __future__ import annotations

from pathlib import Path
from typing import Protocol

from matcher.index import FaissFrameIndex, FrameIndex, IndexError_
from matcher.ivf_index import FaissIvfFrameIndex
from matcher.milvus_index import MilvusFrameIndex
from plugins import unique_names


class IndexOptions(Protocol):
    backend: str
    factory: str
    nlist: int
    nprobe: int
    train_size: int
    train_iterations: int
    cells_per_vector: int
    milvus_uri: str | None
    milvus_collection: str
    milvus_index_type: str
    milvus_token: object  # SecretStr | None; read with get_secret_value()


BACKENDS: tuple[type[FrameIndex], ...] = (FaissFrameIndex, FaissIvfFrameIndex, MilvusFrameIndex)


BY_NAME = unique_names(BACKENDS, "index backend", error=IndexError_)


def make_index(options: IndexOptions, dim: int, directory: Path | None) -> FrameIndex:
    """The configured backend, opened on ``directory`` (FAISS files, milvus-lite's database)."""
    if options.backend == FaissFrameIndex.name:
        return FaissFrameIndex(directory, dim)
    if options.backend == FaissIvfFrameIndex.name:
        return FaissIvfFrameIndex(
            directory,
            dim,
            factory=options.factory,
            nlist=options.nlist,
            nprobe=options.nprobe,
            train_size=options.train_size,
            train_iterations=options.train_iterations,
            cells_per_vector=options.cells_per_vector,
        )
    if options.backend == MilvusFrameIndex.name:
        token = options.milvus_token.get_secret_value() if options.milvus_token else ""
        uri = options.milvus_uri or str((directory or Path(".")) / MilvusFrameIndex.LITE_FILENAME)
        return MilvusFrameIndex(
            uri,
            dim,
            collection=options.milvus_collection,
            token=token,
            index_type=options.milvus_index_type,
        )
    raise IndexError_(f"unknown index backend {options.backend!r}; known: {', '.join(BY_NAME)}")
