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

    def __post_init__(self) -> None:
        # a platform's text is the uploader's: 100 000 characters of title must not stop a case
        # from being opened where a database column holds 500 (PostgreSQL refuses, never clips)
        # and a NUL, which PostgreSQL refuses in any text column, is shown as U+FFFD
        for name, value in vars(self).items():
            if isinstance(value, str):
                limit = FIELD_LIMITS.get(name, len(value))
                clean = value.replace("\x00", "\ufffd")
                if len(clean) > limit:
                    clean = clean[: limit - 1] + "…"
                if clean != value:
                    object.__setattr__(self, name, clean)


#: The longest text each free-text field keeps (the storage columns' widths).
FIELD_LIMITS = {"title": 500, "uploader_id": 200, "uploader_name": 300}


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

    ``stream`` is ``"hls"`` or ``"dash"`` for an adaptive stream (``media_url`` its playlist):
    ``segments`` are the segment URLs fetched, ``mode`` is ``"ranged"`` when only the windows'
    segments were, ``fetched_sha256`` digests the playlists then the segments in playlist order,
    ``total_size`` is None (a stream has no one size) and ``ranges`` is empty.
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
    stream: Literal["hls", "dash"] | None = None
    segments: list[str] = field(default_factory=list)
