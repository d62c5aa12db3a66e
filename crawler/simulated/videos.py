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
