"""Claim resolution on plain objects: one answer per second of a query."""
from __future__ import annotations

from matcher.claims import CLAIM, EXPLAINED, OVERLAP, Candidate, ClaimParams, Span, resolve

STEP = 250


def line(key, score, q0, q1, r0, *, sim=0.95, step=STEP):
    """A candidate whose frames lie on t_ref = t_query - q0 + r0 from q0 to q1 (ms)."""
    frames = tuple((t, t - q0 + r0, sim) for t in range(q0, q1, step))
    return Candidate(key, score, (Span(q0, q1, r0, r0 + q1 - q0),), frames, step)


def by_key(claims):
    return {c.key: c for c in claims}


def test_a_secondary_inside_a_real_copy_claims_nothing_even_when_its_frames_score_higher():
    copy = line("X", 0.93, 0, 30_000, 0)
    lookalike = line("Y", 0.97, 12_000, 15_800, 40_000)  # 3.8 s inside X's copy
    claims = by_key(resolve([lookalike, copy]))
    assert claims["X"].status == CLAIM and claims["X"].score == 0.93
    assert claims["X"].spans == copy.spans  # an untrimmed claim keeps the matcher's spans
    assert claims["Y"].status == EXPLAINED and claims["Y"].score == 0.0
    assert claims["Y"].explained_by == ("X",) and claims["Y"].pair_score == 0.97


def test_a_compilation_keeps_one_claim_per_episode():
    eps = [line(f"ep{i}", 0.9, i * 20_000, (i + 1) * 20_000, 0) for i in range(3)]
    claims = resolve(eps)
    assert [c.status for c in claims] == [CLAIM] * 3
    assert {c.key for c in claims} == {"ep0", "ep1", "ep2"}
    assert by_key(claims)["ep1"].spans == eps[1].spans and not by_key(claims)["ep1"].explained_by


def test_a_compilation_episode_keeps_its_first_seconds_when_the_last_one_ends_a_frame_late():
    # the fast decode stamps a grid point with its nearest decoded frame: ep0's last sample is
    # 42 ms past the grid point, so its span ends 42 ms inside ep1's first step; the old 500 ms
    # tolerance gave ep1's first 0.75 s to ep0
    ep0 = Candidate("ep0", 0.95, (Span(0, 6042, 0, 6042),),
                    tuple((t, t, 0.99) for t in [*range(0, 5750, STEP), 5792]), STEP)
    ep1 = line("ep1", 0.9, 6000, 12_000, 0)
    claims = by_key(resolve([ep0, ep1]))
    assert claims["ep1"].status == CLAIM and claims["ep1"].spans == ep1.spans
    assert claims["ep0"].spans == ep0.spans


def test_a_frame_within_half_a_step_of_a_claim_is_explained_by_it_and_says_so():
    first = line("A", 0.95, 0, 20_000, 0)  # frames up to 19 750 ms
    jittered = Candidate("B", 0.9, (Span(19_830, 30_000, 0, 10_170),),
                         tuple((t, t - 19_830, 0.9) for t in range(19_830, 30_000, STEP)), STEP)
    b = by_key(resolve([first, jittered]))["B"]
    assert b.status == CLAIM and b.explained_by == ("A",)  # the trimmed claim names who took time
    assert b.spans[0].query_start_ms == 20_080


def test_a_secondary_keeps_the_query_time_no_stronger_claim_explains_when_long_enough():
    first = line("A", 0.95, 0, 20_000, 0)
    second = line("B", 0.9, 15_000, 30_000, 5_000)  # 5 s inside A, 10 s of its own
    claims = by_key(resolve([first, second]))
    b = claims["B"]
    assert b.status == CLAIM and b.explained_by == ("A",)
    assert b.spans[0].query_start_ms >= 20_000 and b.spans[0].query_end_ms == 30_000
    assert b.spans[0].ref_start_ms >= 10_000  # the reference side follows the line
    # too little left: gone
    short = line("C", 0.9, 15_000, 22_000, 5_000)
    assert by_key(resolve([first, short]))["C"].status == EXPLAINED


def test_a_trimmed_claim_is_rescored_on_what_is_left():
    first = line("A", 0.95, 0, 20_000, 0)
    second = line("B", 0.9, 18_000, 22_500, 0)  # 2 s explained, 2.5 s left
    params = ClaimParams(min_remaining_ms=2000)
    b = by_key(resolve([first, second], params=params))["B"]
    assert b.status == CLAIM and b.score < 0.9


def test_a_copy_of_shared_footage_alone_claims_nothing():
    intro = [(0, 10_000)]  # every episode's first 10 s are the series' intro
    shared = {f"ep{i}": intro for i in range(1, 6)}
    candidates = [line(f"ep{i}", 0.96, 0, 10_000, 0) for i in range(1, 6)]
    claims = resolve(candidates, shared=shared)
    assert all(c.status == OVERLAP and c.score == 0.0 for c in claims)


def test_shared_footage_is_attributed_to_the_episode_whose_own_footage_surrounds_it():
    intro = [(0, 10_000)]
    shared = {f"ep{i}": intro for i in range(1, 6)}
    # the upload is episode 5: intro + 40 s of its own footage; the other episodes match the intro
    ep5 = line("ep5", 0.94, 0, 50_000, 0)
    others = [line(f"ep{i}", 0.97, 0, 10_000, 0) for i in range(1, 5)]
    claims = resolve(others + [ep5], shared=shared)
    assert [c.key for c in claims if c.status == CLAIM] == ["ep5"]
    assert claims[0].spans[0].query_start_ms == 0  # the intro is part of ep5's claim
    assert claims[0].shared_ms >= 9_000


def test_a_short_copy_with_no_shared_footage_still_claims():
    claims = resolve([line("A", 0.6, 0, 1_000, 0)])
    assert claims[0].status == CLAIM and claims[0].score == 0.6


def test_true_duplicates_tie_to_the_higher_score_then_the_lower_key():
    a, b = line(2, 0.9, 0, 10_000, 0), line(1, 0.9, 0, 10_000, 0)
    claims = resolve([a, b])
    assert [(c.key, c.status) for c in claims] == [(1, CLAIM), (2, EXPLAINED)]


def test_span_only_candidates_are_resolved_on_their_spans():
    heard = Candidate("A", 0.8, (Span(0, 30_000, 0, 30_000),))
    seen = line("B", 0.85, 5_000, 8_000, 0)
    claims = by_key(resolve([heard, seen]))
    assert claims["A"].status == CLAIM and claims["B"].status == EXPLAINED


def test_no_candidates_no_claims():
    assert resolve([]) == []


def _gappy(key, score, pieces, r_offset=0):
    """A candidate on one line whose frames are missing between the (q0, q1) pieces (ms)."""
    frames = tuple((t, t + r_offset, 0.9) for q0, q1 in pieces for t in range(q0, q1, STEP))
    spans = tuple(Span(q0, q1, q0 + r_offset, q1 + r_offset) for q0, q1 in pieces)
    return Candidate(key, score, spans, frames, STEP)


def test_a_claim_bridges_the_unmatched_gaps_of_its_own_line():
    copy = _gappy("X", 0.7, [(0, 4_000), (10_000, 15_000), (19_000, 27_000)])
    [claim] = resolve([copy])
    assert claim.status == CLAIM and claim.score == 0.7  # the score does not change
    assert claim.spans == (Span(0, 27_000, 0, 27_000),)
    assert claim.bridged_ms == 6_000 + 4_000


def test_a_gap_another_claim_holds_or_too_long_stays_open():
    copy = _gappy("X", 0.9, [(0, 10_000), (20_000, 30_000), (50_000, 60_000)])
    other = line("Y", 0.8, 13_000, 18_000, 90_000)  # its own 5 s inside X's first gap
    claims = by_key(resolve([copy, other], params=ClaimParams(bridge_ms=15_000)))
    assert claims["Y"].status == CLAIM
    assert [(s.query_start_ms, s.query_end_ms) for s in claims["X"].spans] == [
        (0, 10_000), (20_000, 30_000), (50_000, 60_000)]  # held by Y; 20 s is over bridge_ms


def test_a_secondary_left_only_inside_its_stronger_claims_line_is_explained_by_it() -> None:
    """A copy of ep 2 whose line is split by 5.5 s of degraded frames; ep 3 lines up with the
    copy's first 3 s (which ep 2 claims) and, in that gap, with 3.25 s of a reused shot. The gap
    is ep 2 going on: ep 3 claims nothing, ep 2 bridges it (series seed 25, fast decode)."""
    ep2 = Candidate("ep2", 0.58, (Span(0, 11_500, 0, 11_500), Span(17_000, 24_500, 17_000, 24_500)))
    ep3 = Candidate("ep3", 0.70, (Span(500, 3_500, 500, 3_500), Span(12_750, 16_000, 17_250, 20_500)))
    claims = by_key(resolve([ep2, ep3]))
    assert claims["ep2"].status == CLAIM and claims["ep2"].spans == (Span(0, 24_500, 0, 24_500),)
    assert claims["ep3"].status == EXPLAINED and claims["ep3"].explained_by == ("ep2",)
    # what it keeps after the end of ep 2's line is not inside it: ep 3 claims that
    after = Candidate("ep3", 0.70, (Span(500, 3_500, 500, 3_500), Span(25_000, 28_250, 17_250, 20_500)))
    assert by_key(resolve([ep2, after]))["ep3"].status == CLAIM
