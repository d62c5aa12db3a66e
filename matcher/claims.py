"""Claims, not pairs: every second of a query belongs to at most one reference segment.

The matcher reports one candidate per (query, episode) pair. Inside a real copy of episode X,
a few seconds of look-alike footage also line up with episode Y (same set, same actors, a shared
opening), and a notice citing Y would be wrong. This module turns a query's candidates into
claims, as Content ID resolves a video's matches:

1. **Strength first.** Candidates are taken in order of the unique footage they explain
   (score × seconds of query time matched on reference footage no other episode shares), so a
   30-s line beats a 4-s one even when the short one's frames are more alike.
2. **Each query second is claimed once.** A candidate keeps only the query time no stronger claim
   explains; a candidate that lost time to a stronger claim (a *secondary*) survives only when at
   least ``min_remaining_ms`` is left, rescored on what is left. A compilation keeps one claim per
   episode: its episodes explain disjoint query time.
3. **A reference overlap never claims alone.** Footage an episode shares with other registered
   episodes (credits, recaps, reused shots; found at registration) is evidence only next to the
   episode's own footage: a candidate needs ``min_unique_ms`` of unshared footage to claim, and
   then its claim also covers the shared footage along its line — so a copy of the intro is
   attributed to the episode whose unique footage surrounds it, and a copy of the intro alone
   claims nothing.

4. **A claim spans the gaps of its own line.** Frames too degraded to match (an off-centre crop
   that cuts away what a shot is about, a caption over it) split a copy's line into segments;
   the query time between two segments of one claim is bridged when it is at most
   ``bridge_ms`` and no other claim holds any of it: on one line the gap is as long in the
   query as in the reference, so it is the copy going on, not something else. Scores do not
   change (they rest on matched frames only); the claimed span does. For the same reason a
   secondary — a candidate that lost frames to a stronger claim — whose remaining time lies
   wholly inside a gap of that claim's line claims nothing (look-alike footage inside a real
   copy, a reused shot not registered as shared): it is explained by the claim around it. A
   candidate of its own inside the gap (it lost nothing) still claims it.

Ties (true duplicates: the same footage under two episodes) go to the higher score, then to the
lower key (the earlier registration). Pure: plain objects in, plain objects out; times in ms.
"""
from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, replace

CLAIM, EXPLAINED, OVERLAP = "claim", "explained", "overlap"
"""A claim; a candidate whose query time a stronger claim explains; one on shared footage only."""

Frame = tuple[int, int, float]  # (query ms, reference ms, similarity)


@dataclass(frozen=True)
class Span:
    query_start_ms: int
    query_end_ms: int
    ref_start_ms: int
    ref_end_ms: int

    @property
    def length_ms(self) -> int:
        return self.query_end_ms - self.query_start_ms


@dataclass(frozen=True)
class Candidate:
    """One (query, episode) match as the matcher found it. ``frames`` are its aligned frame pairs
    (the alignment's inliers); without them (a match heard, not seen) frames are laid along the
    spans every ``step_ms``."""

    key: Hashable
    score: float
    spans: tuple[Span, ...]
    frames: tuple[Frame, ...] = ()
    step_ms: int = 250


@dataclass(frozen=True)
class Claim:
    key: Hashable
    score: float  # the claim's score; 0 for a candidate that claims nothing
    pair_score: float  # the candidate's own score, before resolution
    status: str  # CLAIM, EXPLAINED or OVERLAP
    spans: tuple[Span, ...]  # the query time claimed (for a non-claim: the candidate's own spans)
    explained_by: tuple[Hashable, ...] = ()  # the stronger claims that took query time from it
    shared_ms: int = 0  # of the claimed time, how much is footage the episode shares
    bridged_ms: int = 0  # of the claimed time, how much lies in bridged gaps of its line


@dataclass(frozen=True)
class ClaimParams:
    # a secondary keeps at least this much query time no stronger claim explains: look-alike
    # footage inside a real copy lines up with another episode for 2-4 s
    min_remaining_ms: int = 3000
    # unshared reference footage a claim that touches shared footage needs (a shot or two of
    # the episode's own); 2 s was tried on benchmarks.series_set: it lost a true copy (seed 24)
    # and did not remove the one false claim (seed 23)
    min_unique_ms: int = 1000
    # a frame within this share of the query's step of a claim's frames is explained by it: the
    # sample times of one grid jitter by a frame (the fast decode takes the decoded frame nearest
    # each grid point), but a neighbour's frames a step or more away are its own (a compilation's
    # next episode starts one step after the last one's last frame). It was 500 ms (two steps) and
    # took the next episode's first 0.5-0.75 s.
    tolerance_steps: float = 0.5
    # the longest gap between two segments of a claim's line that the claim bridges (series
    # sets 23/24: off-centre crops split their lines by 3-13 s of unmatched frames)
    bridge_ms: int = 15000
    max_gap_ms: int = 2500  # as the aligner: a longer gap in the query splits a span
    min_frames: int = 3


Rescore = Callable[[Candidate, Sequence[Frame], int], float]
"""(candidate, frames kept, query ms they cover) → the score of what is left."""


def support_rescore(candidate: Candidate, kept: Sequence[Frame], kept_ms: int, support_ms: int = 3000) -> float:
    """Default rescoring: the score falls with the square root of the support lost (the matcher's
    score is √(quality × min(1, matched / 3 s)))."""
    before = min(1.0, sum(s.length_ms for s in candidate.spans) / support_ms)
    after = min(1.0, kept_ms / support_ms)
    return candidate.score * (after / before) ** 0.5 if before > 0 else 0.0


def resolve(
    candidates: Sequence[Candidate],
    *,
    shared: Mapping[Hashable, Sequence[tuple[int, int]]] | None = None,
    rescore: Rescore = support_rescore,
    params: ClaimParams = ClaimParams(),
) -> list[Claim]:
    """One query's candidates → claims (best first), then the candidates that claim nothing.

    ``shared`` maps an episode to the spans of its own timeline (reference ms) that it shares
    with other registered episodes.
    """
    shared = shared or {}
    prepared = []
    for c in candidates:
        frames = sorted(c.frames) if c.frames else _laid_frames(c)
        own = [f for f in frames if not _inside(f[1], shared.get(c.key, ()), 0)]
        prepared.append((c, frames, own))
    prepared.sort(key=lambda p: (-p[0].score * _covered_ms(p[2], p[0].step_ms, params), -p[0].score, str(p[0].key)))
    claimed: list[tuple[Hashable, int, int]] = []  # (claim, from ms, to ms): the query time it explains
    claims, rest = [], []
    for c, frames, own in prepared:
        left = [f for f in frames if _claimant(f[0], claimed) is None]
        own_left = [f for f in own if _claimant(f[0], claimed) is None]
        took = {_claimant(f[0], claimed) for f in frames} - {None}
        by = tuple(k.key for k in claims if k.key in took or _overlaps(c.spans, k.spans))
        spans = _spans(left, c.step_ms, params)
        left_ms = sum(s.length_ms for s in spans)
        trimmed = len(left) < len(frames)
        unique_ms = _covered_ms(own_left, c.step_ms, params)
        on_shared = len(own) < len(frames)  # touches footage other episodes share
        too_short = trimmed and left_ms < params.min_remaining_ms
        inside = _surrounding(spans, [k for k in claims if k.key in took], params) if trimmed else None
        if inside is not None:  # look-alike footage inside a stronger claim's own line
            rest.append(Claim(c.key, 0.0, c.score, EXPLAINED, c.spans, (inside,)))
            continue
        if not spans or too_short or (on_shared and unique_ms < params.min_unique_ms):
            alone = not on_shared or _covered_ms(own, c.step_ms, params) >= params.min_unique_ms
            status = EXPLAINED if trimmed and alone else OVERLAP
            rest.append(Claim(c.key, 0.0, c.score, status, c.spans, by))
            continue
        score = rescore(c, left, left_ms) if trimmed else c.score
        kept = tuple(spans) if trimmed else c.spans
        claims.append(Claim(c.key, min(score, c.score), c.score, CLAIM, kept, by if trimmed else (),
                            shared_ms=max(0, left_ms - unique_ms) if on_shared else 0))
        tolerance = round(params.tolerance_steps * c.step_ms)
        # a span ends one step after its last frame: it explains its frames ± the tolerance
        claimed.extend((c.key, s.query_start_ms - tolerance, s.query_end_ms - c.step_ms + tolerance) for s in kept)
    claims = [_bridged(k, claims, params) for k in claims]
    claims.sort(key=lambda k: -k.score)
    return claims + rest


def _line_gaps(claim: Claim, params: ClaimParams) -> list[tuple[int, int]]:
    """The query time between consecutive segments of a claim's line that it could bridge."""
    spans = sorted(claim.spans, key=lambda s: s.query_start_ms)
    return [(a.query_end_ms, b.query_start_ms) for a, b in zip(spans, spans[1:])
            if 0 <= b.query_start_ms - a.query_end_ms <= params.bridge_ms and b.ref_start_ms >= a.ref_start_ms]


def _surrounding(spans: Sequence[Span], claims: Sequence[Claim], params: ClaimParams) -> Hashable | None:
    """The stronger claim whose line runs on both sides of all of ``spans`` (within a gap it
    could bridge): the copy going on, degraded there, not another episode cut in."""
    for k in claims:
        gaps = _line_gaps(k, params)
        if spans and gaps and all(any(a <= s.query_start_ms and s.query_end_ms <= b for a, b in gaps) for s in spans):
            return k.key
    return None


def _bridged(claim: Claim, claims: Sequence[Claim], params: ClaimParams) -> Claim:
    """The claim with the gaps of its line bridged where no other claim holds query time."""
    others = [(s.query_start_ms, s.query_end_ms) for k in claims if k is not claim for s in k.spans]
    spans = sorted(claim.spans, key=lambda s: s.query_start_ms)
    out, bridged = spans[:1], 0
    for s in spans[1:]:
        prev = out[-1]
        gap = s.query_start_ms - prev.query_end_ms
        free = not any(a < s.query_start_ms and prev.query_end_ms < b for a, b in others)
        if 0 <= gap <= params.bridge_ms and s.ref_start_ms >= prev.ref_start_ms and free:
            out[-1] = Span(prev.query_start_ms, s.query_end_ms, prev.ref_start_ms, max(prev.ref_end_ms, s.ref_end_ms))
            bridged += gap
        else:
            out.append(s)
    return replace(claim, spans=tuple(out), bridged_ms=bridged) if bridged else claim


def _laid_frames(c: Candidate) -> list[Frame]:
    """Frames along a span-only candidate's spans, on its line, every ``step_ms``."""
    frames = []
    for s in c.spans:
        slope = (s.ref_end_ms - s.ref_start_ms) / max(s.length_ms, 1)
        for t in range(s.query_start_ms, s.query_end_ms, max(c.step_ms, 1)):
            frames.append((t, int(s.ref_start_ms + slope * (t - s.query_start_ms)), 1.0))
    return frames


def _inside(t: int, spans: Sequence[tuple[int, int]], tolerance: int) -> bool:
    return any(a - tolerance <= t < b + tolerance for a, b in spans)


def _claimant(t: int, claimed: Sequence[tuple[Hashable, int, int]]) -> Hashable | None:
    """The claim that explains query time ``t``, if any (the first, the strongest)."""
    return next((key for key, a, b in claimed if a <= t <= b), None)


def _overlaps(a: Sequence[Span], b: Sequence[Span]) -> bool:
    return any(x.query_start_ms < y.query_end_ms and y.query_start_ms < x.query_end_ms for x in a for y in b)


def _covered_ms(frames: Sequence[Frame], step_ms: int, params: ClaimParams) -> int:
    return sum(s.length_ms for s in _spans(frames, step_ms, params))


def _spans(frames: Sequence[Frame], step_ms: int, params: ClaimParams) -> list[Span]:
    """Runs of frames (sorted by query time) without a gap over ``max_gap_ms``, each of at
    least ``min_frames`` frames, as spans on both timelines."""
    runs: list[list[Frame]] = []
    for f in frames:
        if runs and f[0] - runs[-1][-1][0] <= params.max_gap_ms:
            runs[-1].append(f)
        else:
            runs.append([f])
    spans = []
    for run in runs:
        if len(run) < params.min_frames:
            continue
        q0, q1 = run[0][0], run[-1][0] + step_ms
        r0, r1 = min(f[1] for f in run), max(f[1] for f in run)
        slope = (r1 - r0) / max(q1 - step_ms - q0, 1) if len(run) > 1 else 1.0
        spans.append(Span(q0, q1, r0, r1 + int(round(step_ms * slope))))
    return spans

