"""One upload on the simulated platform, with its bytes and its state (live, deleted, taken down)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal


@dataclass
class SimVideo:
    id: str
    seq: int
    title: str
    uploader_id: str
    uploader_name: str
    uploaded_at: datetime
    data: bytes
    duration_s: float | None
    views: int = 0
    state: Literal["live", "deleted", "taken_down"] = "live"
    stream: str = "mp4"  # how it is served: mp4, hls, hls-fmp4, hls-single, dash
    package: dict[str, bytes] | None = None  # the stream's files, by name

    @property
    def stream_bytes(self) -> int:
        """What the whole upload weighs as served (all segments and playlists of a stream)."""
        return sum(map(len, self.package.values())) if self.package else len(self.data)
