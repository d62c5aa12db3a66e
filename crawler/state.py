"""The seam to persistence: cursors and seen videos survive restarts (see storage/crawl.py)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol


class CrawlState(Protocol):
    """Synchronous and short: the platform base calls it from a worker thread."""

    def get_cursor(self, platform: str, key: str) -> str | None: ...

    def set_cursor(self, platform: str, key: str, value: str) -> None: ...

    def unseen(self, platform: str, video_ids: Iterable[str]) -> set[str]:
        """The ids among ``video_ids`` not yet marked seen."""
        ...

    def mark_seen(self, platform: str, video_id: str, *, url: str, status: str) -> None:
        """Record the outcome (``sampled``, ``gone``, ``failed``, ...); idempotent."""
        ...
