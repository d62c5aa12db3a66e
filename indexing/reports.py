"""What a scan reports: the matches found (with both coverages and timecodes), the leak read
from a watermark, and a registration's outcome. Plain dataclasses every stage passes along."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


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
    confirmed: bool = False  # both signals independently above their thresholds, in time
    signals: list[str] = field(default_factory=list)  # what agreed: picture, dialogue, music
    # what lets it claim (empty: it may not notify; None: not fused, judged by the score alone)
    carried_by: list[str] | None = None
    review: str | None = None  # why it is held below the notice point ("audio only", …)
    # claim resolution (indexing/claiming.py): "claim", "explained" (a stronger claim explains
    # its query time) or "overlap" (footage the episode shares with others, alone); a non-claim
    # scores 0 and keeps the matcher's own score in pair_score
    claim: str = "claim"
    pair_score: float | None = None
    explained_by: list[int] = field(default_factory=list)
    shared_s: float = 0.0  # of the claimed time, seconds of footage the episode shares


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
    overlaps: int = 0  # spans shared with registered episodes (credits, recaps, reused shots)
    cross_holder_overlaps: int = 0  # of them, with another rights holder's episodes: to review


# (title, work id, episode number, reference file name, reference duration s): the catalogue's
# entry for one registered episode
CatalogueEntry = tuple[str, int, int, str, float]


def video_report(match: Any, entry: CatalogueEntry) -> MatchReport:
    """A picture match (``matcher.match``'s result) as a report, in seconds on both sides."""
    title, work_id, number, source, _ = entry
    a = match.alignment
    first, last = a.segments[0], a.segments[-1]
    return MatchReport(
        work=title,
        work_id=work_id,
        episode=number,
        episode_id=match.episode_id,
        reference=source,
        score=round(match.score, 4),
        query_start=first.query_start_ms / 1000,
        query_end=last.query_end_ms / 1000,
        ref_start=min(s.ref_start_ms for s in a.segments) / 1000,
        ref_end=max(s.ref_end_ms for s in a.segments) / 1000,
        query_coverage=round(a.query_coverage, 4),
        ref_coverage=round(a.ref_coverage, 4),
        flipped=match.flipped,
        segments=[
            {
                "query": [s.query_start_ms / 1000, s.query_end_ms / 1000],
                "ref": [s.ref_start_ms / 1000, s.ref_end_ms / 1000],
                "similarity": round(s.similarity, 4),
            }
            for s in a.segments
        ],
    )


def line_point(report: MatchReport) -> tuple[float, float] | None:
    """(query ms, reference ms) at the middle of the picture's longest aligned segment: where the
    sound must place the copy too for the two to add up."""
    spans = [(s["query"], s["ref"]) for s in report.segments]
    if not spans:
        return None
    query, ref = max(spans, key=lambda qr: qr[0][1] - qr[0][0])
    return (query[0] + query[1]) * 500, (ref[0] + ref[1]) * 500


def fused(report: MatchReport, fusion: Any) -> MatchReport:
    """Put a :class:`matcher.fusion.FusedScore` on the report: both scores, the fused one, which
    signals agreed and which carried the claim (scan JSON, case and notice)."""
    report.video_score, report.audio_score = fusion.video, fusion.audio
    report.score, report.confirmed = round(fusion.score, 4), fusion.confirmed
    report.signals, report.carried_by = list(fusion.signals), list(fusion.carried_by)
    report.review = fusion.review
    return report


def audio_only_report(audio: Any, entry: CatalogueEntry, query_ms: int, score: float) -> MatchReport:
    """A match heard but not seen (picture hidden or covered): spans from the audio offset."""
    title, work_id, number, source, ref_s = entry
    ref_start = max(0.0, audio.offset_ms / 1000)
    ref_end = min(ref_s, (audio.offset_ms + audio.speed * query_ms) / 1000)
    query_start = max(0.0, (ref_start * 1000 - audio.offset_ms) / audio.speed / 1000)
    query_end = max(query_start, (ref_end * 1000 - audio.offset_ms) / audio.speed / 1000)
    return MatchReport(
        work=title, work_id=work_id, episode=number, episode_id=audio.episode_id,
        reference=source, score=round(score, 4),
        query_start=round(query_start, 3), query_end=round(query_end, 3),
        ref_start=round(ref_start, 3), ref_end=round(ref_end, 3),
        query_coverage=round(min(1.0, (query_end - query_start) * 1000 / max(query_ms, 1)), 4),
        ref_coverage=round(min(1.0, (ref_end - ref_start) / max(ref_s, 1e-3)), 4),
        segments=[{"query": [query_start, query_end], "ref": [ref_start, ref_end], "similarity": None}],
        video_score=None, audio_score=round(audio.score, 4), confirmed=False,
    )
