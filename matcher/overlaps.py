"""Reference overlaps: footage a newly registered episode shares with registered ones.

Episodes of one series share opening and closing credits, an episode often opens with the last
seconds of the one before (a recap), and shots are reused. Content ID calls these reference
overlaps; found at registration, they let claim resolution (``matcher.claims``) refuse a claim
on shared footage alone and attribute a copy of it to the episode whose own footage surrounds
it. The new episode is matched like a query; every line of agreement with another episode (not
only the best one: the intro, the recap and the outro each sit at their own offset) that scores
as a copy and lasts ``min_ms`` is an overlap. Pure: no database.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np

from fingerprint.extract import VideoFingerprint
from matcher.align import align
from matcher.match import QueryMatcher, score_alignment


@dataclass(frozen=True)
class Overlap:
    """One span of the new episode (``start_ms``–``end_ms``) that shows the same footage as
    ``other_start_ms``–``other_end_ms`` of ``other_episode_id``."""

    other_episode_id: int
    start_ms: int
    end_ms: int
    other_start_ms: int
    other_end_ms: int
    similarity: float
    score: float


@dataclass(frozen=True)
class OverlapParams:
    # a line that would be a copy at the notice point is shared footage; a lower bar would
    # mark look-alike shots of a set as shared and take them from the episodes' own footage
    min_score: float = 0.5
    min_ms: int = 1000
    max_lines: int = 4  # per episode pair: intro, outro, recap, one reused shot


def find_overlaps(
    matcher: QueryMatcher, episode: VideoFingerprint, ref_durations_ms: Mapping[int, int], *,
    step_ms: int, params: OverlapParams = OverlapParams(),
) -> list[Overlap]:
    """Every span ``episode`` shares with an episode already in ``matcher``'s index."""
    found = [m.episode_id for m in matcher.match(episode, ref_durations_ms, step_ms=step_ms)
             if m.score >= params.min_score]
    if not found:
        return []
    overlaps = []
    tolerance = matcher.params.align.tolerance_ms
    # both sides are originals: shared footage plays at the same speed, and a free slope lets a
    # panning shot's look-alike frames pass for a recap at 0.6x (measured on benchmarks.series_set)
    same_speed = replace(matcher.params.align, min_slope=1.0, max_slope=1.0, slopes=1)
    for (other, flipped), pairs in sorted(matcher.pairs_with(episode, found).items()):
        if flipped:
            continue  # a mirrored reuse inside a series is a copy to review, not shared footage
        arr = np.asarray(pairs, np.float64).reshape(-1, 3)
        every = arr
        for _ in range(params.max_lines):
            if len(arr) == 0:
                break
            line = align(arr[:, 0], arr[:, 1], arr[:, 2], query_duration_ms=episode.duration_ms,
                         ref_duration_ms=ref_durations_ms.get(other, episode.duration_ms),
                         step_ms=step_ms, params=same_speed)
            if line is None:
                break
            score = score_alignment(line, matcher.params)
            if score < params.min_score:
                break
            for s in (_grown(seg, every, step_ms, tolerance) for seg in line.segments):
                if s.query_end_ms - s.query_start_ms >= params.min_ms:
                    overlaps.append(Overlap(other, s.query_start_ms, s.query_end_ms, s.ref_start_ms,
                                            s.ref_end_ms, round(s.similarity, 4), round(score, 4)))
            taken = np.zeros(len(arr), bool)
            for s in line.segments:
                taken |= (arr[:, 0] >= s.query_start_ms - tolerance) & (arr[:, 0] < s.query_end_ms + tolerance)
            arr = arr[~taken]
    return overlaps


def _grown(segment, pairs: np.ndarray, step_ms: int, tolerance: float):
    """The segment lengthened along its own offset over every pair (query ms, ref ms, sim) that
    continues it, including query time an earlier line took: scrolling credits also look alike
    at the intro's offset, and the intro's line taking their last second cut the outro's own
    overlap short — that second then counted as an episode's own footage in claims (a false
    claim on benchmarks.series_set seed 25, issue 23)."""
    offset = segment.ref_start_ms - segment.query_start_ms
    on = pairs[np.abs(pairs[:, 1] - pairs[:, 0] - offset) <= tolerance]
    times = np.unique(on[:, 0])
    start, end = segment.query_start_ms, segment.query_end_ms
    gap = 2 * step_ms
    for t in times:  # forwards from the end
        if end - step_ms < t <= end + gap:
            end = max(end, int(t) + step_ms)
    for t in times[::-1]:  # backwards from the start
        if start - gap <= t < start:
            start = min(start, int(t))
    if (start, end) == (segment.query_start_ms, segment.query_end_ms):
        return segment
    return replace(segment, query_start_ms=start, query_end_ms=end,
                   ref_start_ms=start + offset, ref_end_ms=end + offset)
