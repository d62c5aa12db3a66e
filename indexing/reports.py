"""What a scan reports: the matches found (with both coverages and timecodes), the leak read
from a watermark, and a registration's outcome. Plain dataclasses every stage passes along."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class MatchReport:
    work: str
    work_id: int
    episode: int
    episode_id: int
    reference: str
    score: float
    query_start: float
    query_end: float
    ref_start: float
    ref_end: float
    query_coverage: float
    ref_coverage: float
    flipped: bool = False
    segments: list[dict] = field(default_factory=list)
    video_score: float | None = None  # the picture's evidence alone
    audio_score: float | None = None  # the sound's evidence alone (None: no sound matched)
    confirmed: bool = False  # both signals independently above their thresholds


@dataclass
class LeakReport:
    """The forensic watermark read from a matched copy: whose distributed copy leaked."""

    recipient: int
    episode: int
    confidence: float


@dataclass
class ScanReport:
    query: str
    matches: list[MatchReport]
    error: str | None = None
    watermark: LeakReport | None = None

    def as_json(self) -> dict:
        return {
            "query": self.query,
            "matches": [asdict(m) for m in self.matches],
            "error": self.error,
            "watermark": asdict(self.watermark) if self.watermark else None,
        }


@dataclass
class RegisterResult:
    path: str
    episode: int | None = None
    episode_id: int | None = None
    created: bool = False
    error: str | None = None
