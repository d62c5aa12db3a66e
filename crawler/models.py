"""Value types the crawler hands out: candidates discovered, pages of them, media samples."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal


@dataclass(frozen=True)
class Candidate:
    """Metadata of one video found on a platform; ``media_url`` if listed."""

    platform: str
    video_id: str
    url: str
    title: str
    uploader_id: str | None = None
    uploader_name: str | None = None
    uploaded_at: datetime | None = None
    duration_s: float | None = None
    view_count: int | None = None
    media_url: str | None = None


@dataclass(frozen=True)
class Page:
    """One page of discovery. ``cursor_key`` is None for stateless sources (search).

    The crawl loop persists ``next_cursor`` only after the page's candidates were handled, so a
    crash re-reads the page instead of skipping it.
    """

    candidates: list[Candidate]
    cursor_key: str | None = None
    next_cursor: str | None = None


@dataclass(frozen=True)
class Sample:
    """Media fetched for matching, kept as evidence.

    ``path`` is a file PyAV can decode. ``mode`` is ``"full"`` (the whole file as served) or
    ``"ranged"`` (only the byte ranges in ``ranges`` were fetched, and ``path`` is a stream-copy
    remux of the complete packets inside them, with the original timestamps). ``sha256`` is the
    digest of ``path``; ``fetched_sha256`` the digest of the fetched bytes in offset order.
    """

    candidate: Candidate
    path: Path
    mode: Literal["full", "ranged"]
    sha256: str
    fetched_sha256: str
    bytes_downloaded: int
    total_size: int | None
    captured_at: datetime
    media_url: str
    ranges: list[tuple[int, int]] = field(default_factory=list)
