"""Milvus backend: the reference frames in a Milvus collection, for libraries past one machine.

Same contract as the FAISS backends: each row carries ``frame = episode << 32 | time_ms`` (not
the primary key: a frame may have several descriptors, one per view, so the key is Milvus's own
auto id), an ``episode`` scalar field makes removing an episode one filtered delete, and similarities are inner
products of unit vectors. ``uri`` is a local file for milvus-lite (tests, one machine) or
``http://host:19530`` for a Milvus cluster, where Milvus itself persists, replicates and shards
the collection. pymilvus is imported lazily: it is an optional extra (``dramaguard[milvus]``).
"""
from __future__ import annotations

import logging
from typing import ClassVar

import numpy as np

from matcher.index import FrameIndex, IndexError_, Neighbours, decode_neighbours, encode_ids

log = logging.getLogger(__name__)

INSERT_BATCH = 5000
SEARCH_BATCH = 1024


class MilvusFrameIndex(FrameIndex):
    """A ``FrameIndex`` on one Milvus collection (``frame`` = encoded id, auto primary key)."""

    name: ClassVar[str] = "milvus"
    LITE_FILENAME: ClassVar[str] = "frames-milvus.db"

    def __init__(
        self,
        uri: str,
        dim: int,
        *,
        collection: str = "dramaguard_frames",
        token: str = "",
        index_type: str = "FLAT",
        index_params: dict | None = None,
        search_params: dict | None = None,
    ) -> None:
        try:
            from pymilvus import MilvusClient
        except ImportError as exc:  # the extra is not installed
            raise IndexError_("the milvus backend needs pymilvus: pip install 'dramaguard[milvus]'") from exc
        self.uri, self.dim, self.collection = uri, dim, collection
        self.search_params = {"metric_type": "IP", "params": search_params or {}}
        if "://" not in uri:
            from pathlib import Path

            Path(uri).parent.mkdir(parents=True, exist_ok=True)
        try:
            self._client = MilvusClient(uri=uri, token=token)
        except Exception as exc:  # pymilvus raises its own MilvusException and plain errors
            raise IndexError_(f"cannot open Milvus at {uri}: {exc}") from exc
        if self._client.has_collection(collection):
            self._check_dimension()
        else:
            self._create(index_type, index_params or {})

    def _create(self, index_type: str, params: dict) -> None:
        from pymilvus import DataType

        schema = self._client.create_schema(auto_id=True)
        schema.add_field("pk", DataType.INT64, is_primary=True)
        schema.add_field("frame", DataType.INT64)
        schema.add_field("episode", DataType.INT64)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=self.dim)
        index = self._client.prepare_index_params()
        index.add_index("vector", index_type=index_type, metric_type="IP", params=params)
        self._client.create_collection(
            self.collection, schema=schema, index_params=index, consistency_level="Strong"
        )
        log.info("created Milvus collection %s (dim %d, %s)", self.collection, self.dim, index_type)

    def _check_dimension(self) -> None:
        fields = self._client.describe_collection(self.collection)["fields"]
        vector = next((f for f in fields if f["name"] == "vector"), None)
        dim = int(vector["params"]["dim"]) if vector else -1
        if dim != self.dim:
            raise IndexError_(
                f"Milvus collection {self.collection} has dimension {dim}, descriptors have {self.dim}"
            )

    # -- FrameIndex --------------------------------------------------------------------------
    @property
    def size(self) -> int:
        rows = self._client.query(self.collection, filter="", output_fields=["count(*)"])
        return int(rows[0]["count(*)"])

    def episode_ids(self) -> set[int]:
        episodes: set[int] = set()
        iterator = self._client.query_iterator(
            self.collection, batch_size=16384, filter="episode >= 0", output_fields=["episode"]
        )
        try:
            while batch := iterator.next():
                episodes.update(int(row["episode"]) for row in batch)
        finally:
            iterator.close()
        return episodes

    def add(self, episode_id: int, times_ms: np.ndarray, vectors: np.ndarray) -> None:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[1] != self.dim:
            raise ValueError(f"expected vectors of shape (n, {self.dim}), got {vectors.shape}")
        if len(vectors) != len(times_ms):
            raise ValueError("one time per vector")
        ids = encode_ids(episode_id, np.asarray(times_ms))
        self.remove(episode_id)
        for start in range(0, len(ids), INSERT_BATCH):
            rows = [
                {"frame": int(i), "episode": int(episode_id), "vector": v}
                for i, v in zip(ids[start : start + INSERT_BATCH], vectors[start : start + INSERT_BATCH].tolist())
            ]
            self._client.insert(self.collection, rows)

    def remove(self, episode_id: int) -> int:
        result = self._client.delete(self.collection, filter=f"episode == {int(episode_id)}")
        return len(result) if isinstance(result, list) else int(result.get("delete_count", 0))

    def search(self, vectors: np.ndarray, k: int) -> Neighbours:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        ids = np.full((len(vectors), k), -1, np.int64)
        sims = np.full((len(vectors), k), -np.inf, np.float32)
        if len(vectors) == 0:
            return decode_neighbours(ids, sims)
        for start in range(0, len(vectors), SEARCH_BATCH):
            hits = self._client.search(
                self.collection,
                data=vectors[start : start + SEARCH_BATCH].tolist(),
                limit=k,
                search_params=self.search_params,
                output_fields=["frame"],
            )
            for row, found in enumerate(hits, start=start):
                for col, hit in enumerate(found[:k]):
                    ids[row, col], sims[row, col] = hit["entity"]["frame"], hit["distance"]
        width = int((ids >= 0).sum(axis=1).max())
        return decode_neighbours(ids[:, :width], sims[:, :width])

    def save(self) -> None:
        """Milvus persists by itself; a flush seals what was inserted so a restart keeps it."""
        self._client.flush(self.collection)

    def close(self) -> None:
        self._client.close()
