"""One settings object for the whole service (pydantic-settings, env prefix ``DRAMAGUARD_``).

Nested sections use ``__`` in environment variables, e.g. ``DRAMAGUARD_MATCHER__NOTIFY_SCORE=0.8``.
Nothing is built at import time: call :func:`get_settings` (cached) or construct ``Settings``.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, IPvAnyNetwork, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from crawler.terms import PIRATE_WORDS


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
                          "also describe the picture beside it (fingerprint/borders.py:caption_band)",
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


class WebSettings(BaseModel):
    """The HTTP API and review UI (``dramaguard serve``)."""

    host: str = Field("127.0.0.1", description="interface to listen on")
    port: int = Field(8000, ge=0, le=65535)
    max_upload_bytes: int = Field(1024**3, ge=1, description="largest episode upload accepted")
    max_queued_uploads: int = Field(
        16, ge=1, description="uploads received but not yet fingerprinted; more get 503 (each is a file on disk)"
    )
    session_hours: float = Field(12.0, gt=0, description="UI login lifetime")
    secure_cookies: bool = Field(False, description="mark cookies Secure (set behind HTTPS)")
    login_max_failures: int = Field(5, ge=1, description="failed logins per account or address")
    login_window_s: int = Field(900, ge=1, description="window for the failure count")
    password_checks: int = Field(
        0, ge=0, description="argon2 checks at once (64 MiB each); more logins wait; 0: one per core"
    )
    time_zone: str = Field("Asia/Shanghai", description="IANA zone pages show times in (a user may pick another)")


class WatermarkSettings(BaseModel):
    """Forensic watermarking; the key decides the pattern, so it is a secret (never logged)."""

    key: SecretStr | None = Field(None, description="secret key; required to embed or detect")
    strength: float = Field(5.0, gt=0, le=20, description="coefficient amplitude (luma units)")
    crf: int = Field(12, ge=0, le=51, description="x264 quality of marked copies")


class WorkSearchSettings(BaseModel):
    """Per-work search terms: the words pirates add, episodes to search one by one, extra terms."""

    words: list[str] = Field(default_factory=lambda: list(PIRATE_WORDS))
    episodes: list[int] = Field(default_factory=list, description="search '<title> 第N集' for these")
    extra_terms: list[str] = Field(default_factory=list)


class CrawlerSettings(BaseModel):
    """Crawler limits and politeness; ``platforms`` holds each plugin's own options."""

    allow_private_addresses: bool = Field(
        False, description="allow loopback/private/link-local targets (tests, the local demo)"
    )
    trusted_hosts: list[str] = Field(default_factory=list, description="hosts exempt from the guard")
    allowed_networks: list[IPvAnyNetwork] = Field(
        default_factory=list, description="internal networks the crawler may reach (a mirror)"
    )
    concurrency: int = Field(4, ge=1, le=64, description="requests in flight per platform")
    rate_per_s: float = Field(5.0, ge=0, description="request starts per second per platform; 0: off")
    retries: int = Field(3, ge=0, le=10)
    backoff_s: float = Field(0.5, gt=0, description="first retry delay; doubles, with jitter")
    request_timeout_s: float = Field(20.0, gt=0)
    user_agent: str = "DramaGuard/0.1 (+copyright monitoring)"
    sample_seconds: float = Field(20.0, gt=0, description="fetch the first N seconds")
    sample_windows: int = Field(3, ge=0, description="plus this many spaced windows")
    window_seconds: float = Field(4.0, gt=0)
    size_cap_bytes: int = Field(64 * 1024**2, ge=1024)
    max_pages: int = Field(5, ge=1, description="listing pages per source and run")
    poll_interval_s: float = Field(300.0, gt=0, description="pause between passes without --once")
    platforms: dict[str, dict[str, Any]] = Field(
        default_factory=lambda: {"simulated": {"base_url": "http://127.0.0.1:8377"}}
    )
    works: dict[str, WorkSearchSettings] = Field(
        default_factory=dict, description="search settings by work title"
    )


class NoticeSettings(BaseModel):
    """Notice deadlines and delivery. Platform maps are keyed by the crawler's platform name."""

    deadline_hours: float = Field(2.0, gt=0, description="notice due this long after detection")
    warn_before_minutes: float = Field(30.0, ge=0, description="watchdog warns this much ahead")
    recheck_interval_minutes: float = Field(60.0, gt=0, description="re-check cadence after notice")
    removal_window_hours: float = Field(24.0, gt=0, description="escalate if still up after this")
    counter_notice_days: float = Field(15.0, gt=0, description="wait after a counter-notice")
    smtp_host: str = "localhost"
    smtp_port: int = Field(25, ge=1, le=65535)
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool | None = Field(None, description="None: use STARTTLS if offered")
    sender: str = "notices@dramaguard.invalid"
    default_channel: str = Field("email", description="email | http")
    platform_channels: dict[str, str] = Field(default_factory=dict)
    email_recipients: dict[str, str] = Field(default_factory=dict, description="platform → address")
    complaint_api_urls: dict[str, str] = Field(default_factory=dict, description="platform → base")
    platform_languages: dict[str, str] = Field(
        default_factory=dict, description="platform → zh | en (default: the platform registry's languages)"
    )
    platform_registry: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="platform → addressee fields over notices.platforms (legal_entity, desk, "
        "address, email, languages)")
    max_proof_bytes: int = Field(20 * 1024**2, ge=1024, description="largest ownership proof accepted")
    send_lease_s: float = Field(
        300.0, gt=0, description="one dispatcher sends a delivery; longer than any send with its "
        "retries, and how long a send interrupted by a crash waits to be re-sent")


class DaemonSettings(BaseModel):
    """The monitoring daemon: what it watches, how often, and how much work it holds at once.

    Works registered within ``fresh_work_days`` are searched every ``fresh_work_interval_s``, older
    ones every ``old_work_interval_s``: a new release is pirated hardest in its first days.
    """

    platforms: list[str] = Field(
        default_factory=lambda: ["simulated"], description="platforms watched (see crawler.platforms)"
    )
    search_works: bool = Field(True, description="also search each platform for the works' titles")
    new_uploads_interval_s: float = Field(60.0, gt=0, description="poll each platform's new uploads")
    fresh_work_interval_s: float = Field(300.0, gt=0)
    old_work_interval_s: float = Field(3600.0, gt=0)
    fresh_work_days: float = Field(14.0, ge=0)
    feed_interval_s: float = Field(5.0, gt=0, description="move pending candidates into the queue")
    dispatch_interval_s: float = Field(10.0, gt=0)
    recheck_interval_s: float = Field(300.0, gt=0)
    watchdog_interval_s: float = Field(60.0, gt=0)
    index_refresh_interval_s: float = Field(60.0, gt=0)
    misfire_grace_s: int = Field(60, ge=1, description="run a late job if at most this late")
    notice_window_s: float = Field(7200.0, gt=0, description="upload → notice deadline")
    deadline_warning_s: float = Field(1800.0, ge=0, description="flag unprocessed candidates this close")
    queue_size: int = Field(32, ge=1, description="candidates held in memory (backpressure)")
    max_backlog: int = Field(10000, ge=1, description="pending candidates before discovery pauses")
    workers: int = Field(0, ge=0, description="fingerprinting processes; 0: one per core")
    max_attempts: int = Field(5, ge=1, description="transient failures before a candidate fails")
    shutdown_grace_s: float = Field(20.0, ge=0, description="in-flight work allowed to finish")
    health_host: str = Field("127.0.0.1")
    health_port: int = Field(8378, ge=0, le=65535, description="/healthz; 0: any free port")
    lease_ttl_s: float = Field(
        30.0, ge=1, description="a crashed daemon's store lease is taken over after this long"
    )


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


class Settings(BaseSettings):
    """Top-level settings; ``home`` holds the SQLite database, the FAISS index and evidence."""

    model_config = SettingsConfigDict(
        env_prefix="DRAMAGUARD_", env_nested_delimiter="__", extra="ignore"
    )

    home: Path = Field(default_factory=lambda: Path.home() / ".dramaguard")
    database_url: SecretStr | None = Field(
        None, description="any SQLAlchemy URL (it may hold a password); default: SQLite in the home"
    )
    fingerprint: FingerprintSettings = FingerprintSettings()
    matcher: MatcherSettings = MatcherSettings()
    web: WebSettings = WebSettings()
    watermark: WatermarkSettings = WatermarkSettings()
    crawler: CrawlerSettings = CrawlerSettings()
    notices: NoticeSettings = NoticeSettings()
    daemon: DaemonSettings = DaemonSettings()
    index: IndexSettings = IndexSettings()
    ray: RaySettings = RaySettings()

    @property
    def resolved_database_url(self) -> str:
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return f"sqlite:///{self.home / 'dramaguard.db'}"

    @property
    def index_dir(self) -> Path:
        return self.home / "index"


@lru_cache
def get_settings() -> Settings:
    return Settings()
