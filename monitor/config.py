"""The settings sections the pipeline, casework and daemon read, and the narrow view they take of the whole.

Plain pydantic models: ``dramaguard.settings.Settings`` composes them under the env prefix
``DRAMAGUARD_`` (e.g. ``DRAMAGUARD_DAEMON__WORKERS``), so this package never reads the composition
root; :class:`MonitorConfig` names what of that object ``monitor`` uses.
"""
from __future__ import annotations

from typing import Any, Protocol

from pydantic import BaseModel, Field, IPvAnyNetwork, SecretStr

from crawler.terms import PIRATE_WORDS
from indexing.config import CatalogueConfig


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


class MonitorConfig(CatalogueConfig, Protocol):
    """The catalogue's view plus the crawler, notices and daemon sections."""

    crawler: CrawlerSettings
    notices: NoticeSettings
    daemon: DaemonSettings
