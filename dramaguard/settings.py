"""One settings object for the whole service (pydantic-settings, env prefix ``DRAMAGUARD_``).

Nested sections use ``__`` in environment variables, e.g. ``DRAMAGUARD_MATCHER__NOTIFY_SCORE=0.8``.
Nothing is built at import time: call :func:`get_settings` (cached) or construct ``Settings``.
The sections live with the packages that read them (``indexing.config``, ``monitor.config``);
this module composes them with the web app's own section into the one ``Settings``.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from indexing.config import FingerprintSettings, IndexSettings, MatcherSettings, RaySettings, WatermarkSettings
from monitor.config import CrawlerSettings, DaemonSettings, NoticeSettings


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
