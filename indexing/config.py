"""The settings sections the catalogue and its index read, and the narrow view it takes of the whole.

Plain pydantic models: ``dramaguard.settings.Settings`` composes them under the env prefix
``DRAMAGUARD_`` (e.g. ``DRAMAGUARD_MATCHER__NOTIFY_SCORE``), so this package never reads the
composition root; :class:`CatalogueConfig` names what of that object ``indexing`` uses.
"""
from __future__ import annotations

from pathlib import Path
from typing import Literal, Protocol

from pydantic import BaseModel, Field, SecretStr, model_validator


class FingerprintSettings(BaseModel):
    """How frames are sampled and described. Stored with every episode row."""

    interval_ms: int = Field(250, ge=40, le=5000, description="sampling grid step")
    max_pixels: int = Field(8192 * 8192, description="refuse larger frames (decoder bombs)")
    max_duration_s: float = Field(4 * 3600, description="refuse longer media")
    max_file_bytes: int = Field(4 * 1024**3, description="refuse larger files")
    reference_shift: float = Field(
        0.15, ge=0.0, le=0.4,
        description="registered episodes also get 4 windows of side 1-shift against each edge (off-centre "
                    "crops of copies meet them); 0 turns them off: 3x fewer stored rows per frame",
    )
    caption_band: bool = Field(
        True, description="scanned copies with a burned-in caption bar (10-35 % of the height, bottom or top) "
                          "also describe the picture beside it (fingerprint/borders.py:find_band)",
    )
    decode: Literal["fast", "full"] = Field(
        "fast",
        description="fast: decode only what the sampling grid needs (no frame nothing references, one thread, luma "
                    "plane scaled by OpenCV), each grid point takes the decoded frame nearest it (a frame off at "
                    "most; claims absorb that: matcher/claims.py tolerance_steps); full: every frame, the first at or "
                    "after each grid point (the path before issue 24, kept for comparison). Same grid, "
                    "near-identical vectors, so not stored with the rows",
    )


class MatcherSettings(BaseModel):
    """Thresholds of the match decision; ``notify_score`` is the automatic-notice operating point."""

    neighbours: int = Field(16, ge=1, le=256)
    search_every: int = Field(
        3, ge=1, le=8, description="index search looks at every n-th sampled frame; verification at all"
    )
    verify_from: float = Field(
        0.4, ge=0.0, le=1.0, description="search score from which a match is verified on every frame"
    )
    verify_per_minute: float = Field(
        4.0, gt=0, description="episodes verified per minute of query at most, best search scores first"
    )
    verify_at_least: int = Field(8, ge=1, description="episodes a query may always verify, however short")
    min_score: float = Field(0.05, ge=0.0, le=1.0, description="drop matches below this score")
    notify_score: float = Field(0.5, ge=0.0, le=1.0, description="operating threshold for notices")
    review_score: float = Field(
        0.3, ge=0.0, le=1.0,
        description="claims from here up to notify_score are the review band: they open a case waiting for "
                    "review (pending_review), never an automatic notice; below it no case opens "
                    "(benchmarks/calibrate.py; docs/matching.md says how both were chosen)",
    )
    audio_confirm_score: float = Field(
        0.8, ge=0.0, le=1.0, description="audio landmark score that confirms a copy on its own"
    )
    audio_min_dialogue_s: float = Field(
        4.0, ge=0.0, description="sound alone claims only on dialogue aligned over this many seconds"
    )

    @model_validator(mode="after")
    def _band(self) -> MatcherSettings:
        if self.review_score > self.notify_score:
            raise ValueError(f"review_score {self.review_score} is above notify_score {self.notify_score}")
        return self


class WatermarkSettings(BaseModel):
    """Forensic watermarking; the key decides the pattern, so it is a secret (never logged)."""

    key: SecretStr | None = Field(None, description="secret key; required to embed or detect")
    strength: float = Field(5.0, gt=0, le=20, description="coefficient amplitude (luma units)")
    crf: int = Field(12, ge=0, le=51, description="x264 quality of marked copies")


class IndexSettings(BaseModel):
    """Which frame-index backend holds the reference descriptors (see docs/scaling.md).

    ``faiss-flat``: exact, in memory, for libraries up to a few million frames. ``faiss-ivf``:
    approximate inverted file (``factory`` with ``{nlist}``), exact until ``train_size``
    descriptors are stored, then trained on a sample of them. ``milvus``: a Milvus server at
    ``milvus_uri`` (default: milvus-lite, a local file in the index directory).
    """

    backend: Literal["faiss-flat", "faiss-ivf", "milvus"] = "faiss-flat"
    factory: str = Field(
        "IVF{nlist}_HNSW32,PQ{dim}x4fs",
        description="FAISS IVF factory; {dim} is the padded dimension; _HNSW32 finds cells by graph",
    )
    nlist: int = Field(
        16384, ge=1,
        description="k-means cells: at most train_size / 39 at first; all of them once the index holds nlist × 39 "
        "(the daemon retrains it from the database, indexing/retrain.py)")
    nprobe: int = Field(
        10, ge=1,
        description="cells scanned per query: recall vs time (10 with two cells per vector: < 1 % recall loss in "
        "< 100 ms per candidate at 50 M descriptors, benchmarks/RESULTS.md)")
    train_size: int = Field(200_000, ge=1, description="descriptors stored before IVF training")
    train_iterations: int = Field(10, ge=1, description="k-means iterations when the IVF trains")
    cells_per_vector: int = Field(
        2, ge=1, le=4,
        description="store each descriptor in its n nearest cells: n times the memory, fewer misses for the same "
        "codes scanned (docs/scaling.md); raising it makes the daemon rebuild the index once")
    milvus_uri: str | None = Field(None, description="http://host:19530 for a Milvus cluster")
    milvus_collection: str = "dramaguard_frames"
    milvus_index_type: str = Field("FLAT", description="FLAT (exact), or IVF_SQ8 / HNSW on a cluster")
    milvus_token: SecretStr | None = None


class RaySettings(BaseModel):
    """Run fingerprinting and scanning as Ray tasks when ``address`` is set ("auto", "local" or
    ``ray://host:10001``); unset keeps the single-machine process pool."""

    address: str | None = None
    num_cpus_per_task: float = Field(1.0, gt=0)


class CatalogueConfig(Protocol):
    """What ``Services``, its maintenance and watermarking read (``dramaguard.settings.Settings`` has it)."""

    home: Path
    fingerprint: FingerprintSettings
    matcher: MatcherSettings
    watermark: WatermarkSettings
    index: IndexSettings
    ray: RaySettings

    @property
    def resolved_database_url(self) -> str: ...

    @property
    def index_dir(self) -> Path: ...
