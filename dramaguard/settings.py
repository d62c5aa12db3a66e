"""One settings object for the whole service (pydantic-settings, env prefix ``DRAMAGUARD_``).

Nested sections use ``__`` in environment variables, e.g. ``DRAMAGUARD_MATCHER__NOTIFY_SCORE=0.8``.
Nothing is built at import time: call :func:`get_settings` (cached) or construct ``Settings``.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from typing import Literal

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class FingerprintSettings(BaseModel):
    """How frames are sampled and described. Stored with every episode row."""

    interval_ms: int = Field(250, ge=40, le=5000, description="sampling grid step")
    max_pixels: int = Field(8192 * 8192, description="refuse larger frames (decoder bombs)")
    max_duration_s: float = Field(4 * 3600, description="refuse longer media")
    max_file_bytes: int = Field(4 * 1024**3, description="refuse larger files")


class MatcherSettings(BaseModel):
    """Thresholds of the match decision; ``notify_score`` is the automatic-notice operating point."""

    neighbours: int = Field(16, ge=1, le=256)
    min_score: float = Field(0.05, ge=0.0, le=1.0, description="drop matches below this score")
    notify_score: float = Field(0.5, ge=0.0, le=1.0, description="operating threshold for notices")


class IndexSettings(BaseModel):
    """Which frame-index backend holds the reference descriptors (see docs/scaling.md).

    ``faiss-flat``: exact, in memory, for libraries up to a few million frames. ``faiss-ivf``:
    approximate inverted file (``factory`` with ``{nlist}``), exact until ``train_size``
    descriptors are stored, then trained on a sample of them. ``milvus``: a Milvus server at
    ``milvus_uri`` (default: milvus-lite, a local file in the index directory).
    """

    backend: Literal["faiss-flat", "faiss-ivf", "milvus"] = "faiss-flat"
    factory: str = Field(
        "IVF{nlist},PQ{dim}x4fs", description="FAISS IVF factory; {dim} is the padded dimension"
    )
    nlist: int = Field(4096, ge=1, description="k-means cells (fewer if the sample is small)")
    nprobe: int = Field(64, ge=1, description="cells scanned per query: recall vs time")
    train_size: int = Field(100_000, ge=1, description="descriptors stored before IVF training")
    milvus_uri: str | None = Field(None, description="http://host:19530 for a Milvus cluster")
    milvus_collection: str = "dramaguard_frames"
    milvus_index_type: str = Field("FLAT", description="FLAT (exact), or IVF_SQ8 / HNSW on a cluster")
    milvus_token: SecretStr | None = None


class RaySettings(BaseModel):
    """Run fingerprinting and scanning as Ray tasks when ``address`` is set ("auto", "local" or
    ``ray://host:10001``); unset keeps the single-machine process pool."""

    address: str | None = None
    num_cpus_per_task: float = Field(1.0, gt=0)


class Settings(BaseSettings):
    """Top-level settings; ``home`` holds the SQLite database, the FAISS index and evidence."""

    model_config = SettingsConfigDict(
        env_prefix="DRAMAGUARD_", env_nested_delimiter="__", extra="ignore"
    )

    home: Path = Field(default_factory=lambda: Path.home() / ".dramaguard")
    database_url: str | None = Field(
        None, description="any SQLAlchemy URL; default: SQLite (WAL) in the home"
    )
    fingerprint: FingerprintSettings = FingerprintSettings()
    matcher: MatcherSettings = MatcherSettings()
    index: IndexSettings = IndexSettings()
    ray: RaySettings = RaySettings()

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'dramaguard.db'}"

    @property
    def index_dir(self) -> Path:
        return self.home / "index"


@lru_cache
def get_settings() -> Settings:
    return Settings()
