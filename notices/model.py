"""Domain records: the candidate copy and the matched evidence, independent of any crawler or DB."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime


@dataclass(frozen=True)
class CandidateInfo:
    """One suspected copy as captured on a platform (the lead maps the crawler's record to this)."""

    platform: str
    video_id: str
    url: str
    title: str = ""
    uploader_id: str | None = None
    uploader_name: str | None = None
    uploaded_at: datetime | None = None
    view_count: int | None = None
    captured_at: datetime | None = None
    media_sha256: str | None = None
    channel_id: str | None = None


@dataclass(frozen=True)
class Segment:
    """A matched stretch with timecodes on both sides, in milliseconds."""

    query_start_ms: int
    query_end_ms: int
    ref_start_ms: int
    ref_end_ms: int
    score: float

    @property
    def query_ms(self) -> int:
        return max(0, self.query_end_ms - self.query_start_ms)

    @property
    def ref_ms(self) -> int:
        return max(0, self.ref_end_ms - self.ref_start_ms)


@dataclass(frozen=True)
class EpisodeMatch:
    """The candidate against one registered episode: shares of both sides and the segments."""

    work_id: int
    episode_id: int
    episode_number: int
    score: float
    query_share: float
    ref_share: float
    segments: tuple[Segment, ...]
    # which signals carried the claim ("picture", "dialogue"); empty: none may claim (music alone),
    # None: not recorded (a match made before fusion said so), judged by its score alone
    carried_by: tuple[str, ...] | None = None
    review: str | None = None  # why the matcher held it for review ("audio only", …)

    @property
    def claimable(self) -> bool:
        """May this match carry an automatic notice? Never on sound that is not dialogue."""
        return self.carried_by is None or bool(self.carried_by)

    @property
    def matched_ms(self) -> int:
        return sum(s.query_ms for s in self.segments)

    def without(self, excluded: list[tuple[int, int]]) -> EpisodeMatch:
        """Drop reference time inside ``excluded`` (shared credits): it never counts as evidence.

        The query side of a cut segment is mapped linearly, and both shares shrink in proportion
        to the reference time removed.
        """
        if not excluded:
            return self
        kept: list[Segment] = []
        for seg in self.segments:
            kept.extend(_cut(seg, excluded))
        before = sum(s.ref_ms for s in self.segments)
        after = sum(s.ref_ms for s in kept)
        ratio = after / before if before else 0.0
        return replace(
            self,
            segments=tuple(kept),
            query_share=self.query_share * ratio,
            ref_share=self.ref_share * ratio,
            score=self.score if kept else 0.0,
        )


def _cut(seg: Segment, excluded: list[tuple[int, int]]) -> list[Segment]:
    pieces = [(seg.ref_start_ms, seg.ref_end_ms)]
    for ex_start, ex_end in sorted(excluded):
        next_pieces = []
        for start, end in pieces:
            if ex_end <= start or ex_start >= end:
                next_pieces.append((start, end))
                continue
            if start < ex_start:
                next_pieces.append((start, ex_start))
            if ex_end < end:
                next_pieces.append((ex_end, end))
        pieces = next_pieces
    scale = seg.query_ms / seg.ref_ms if seg.ref_ms else 0.0

    def to_query(ref_ms: int) -> int:
        return seg.query_start_ms + round((ref_ms - seg.ref_start_ms) * scale)

    return [
        Segment(to_query(start), to_query(end), start, end, seg.score)
        for start, end in pieces
        if end > start
    ]
