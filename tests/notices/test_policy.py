"""Policy rules, allowlists and excluded intervals decide what may become a notice."""
from __future__ import annotations

import dataclasses

from notices.allowlist import AllowEntry, AllowKind, allowed_by
from notices.model import CandidateInfo, EpisodeMatch, Segment
from notices.policy import Action, PolicyRule, decide, default_rules


def match(seconds: float, *, ref_share: float = 0.9, query_share: float = 0.9,
          score: float = 0.9) -> EpisodeMatch:
    seg = Segment(0, int(seconds * 1000), 10_000, 10_000 + int(seconds * 1000), score)
    return EpisodeMatch(1, 7, 3, score, query_share, ref_share, (seg,))


def test_defaults_notify_long_high_score_and_review_partial() -> None:
    rules = default_rules(notify_score=0.5)
    assert decide(rules, match(90), "douyin").action is Action.NOTIFY
    assert decide(rules, match(90, score=0.3), "douyin").action is Action.REVIEW
    assert decide(rules, match(90, ref_share=0.2), "douyin").action is Action.REVIEW
    assert decide(rules, match(12), "douyin").action is Action.REVIEW
    assert decide(rules, match(2), "douyin").action is Action.TRACK


def test_rules_apply_in_priority_order_and_by_platform() -> None:
    rules = [
        PolicyRule(Action.TRACK, priority=50, name="catch-all"),
        PolicyRule(Action.NOTIFY, priority=1, min_query_share=0.8, platforms=frozenset({"yt"}),
                   name="yt full copies"),
    ]
    assert decide(rules, match(10), "yt").rule.name == "yt full copies"
    assert decide(rules, match(10), "douyin").action is Action.TRACK
    assert decide(rules, match(10, query_share=0.5), "yt").action is Action.TRACK
    assert decide([], match(10), "yt").action is Action.TRACK


def candidate(**kw) -> CandidateInfo:
    base = dict(platform="douyin", video_id="v1", url="https://www.douyin.com/video/v1",
                uploader_id="u-42", uploader_name="正版官方号", channel_id="ch-9")
    base.update(kw)
    return CandidateInfo(**base)


def test_allowlist_kinds() -> None:
    cand = candidate()
    assert allowed_by(cand, [AllowEntry(AllowKind.ACCOUNT, "U-42")]) is not None
    assert allowed_by(cand, [AllowEntry(AllowKind.ACCOUNT, "正版官方号")]) is not None
    assert allowed_by(cand, [AllowEntry(AllowKind.ACCOUNT, "u-42", platform="bilibili")]) is None
    assert allowed_by(cand, [AllowEntry(AllowKind.CHANNEL, "ch-9")]) is not None
    assert allowed_by(cand, [AllowEntry(AllowKind.CHANNEL, "https://www.douyin.com/video/")])
    assert allowed_by(cand, [AllowEntry(AllowKind.DOMAIN, "douyin.com")]) is not None
    assert allowed_by(cand, [AllowEntry(AllowKind.DOMAIN, "yin.com")]) is None
    assert allowed_by(cand, [AllowEntry(AllowKind.ACCOUNT, "someone-else")]) is None
    assert allowed_by(cand, []) is None


def test_excluded_intervals_never_count_as_evidence() -> None:
    # query 0–60 s matches reference 10–70 s; credits at reference 0–15 s and 60–70 s
    seg = Segment(0, 60_000, 10_000, 70_000, 0.9)
    m = EpisodeMatch(1, 7, 3, 0.9, 1.0, 0.6, (seg,))
    cut = m.without([(0, 15_000), (60_000, 70_000)])
    assert [(s.ref_start_ms, s.ref_end_ms) for s in cut.segments] == [(15_000, 60_000)]
    assert [(s.query_start_ms, s.query_end_ms) for s in cut.segments] == [(5_000, 50_000)]
    assert cut.matched_ms == 45_000
    assert abs(cut.ref_share - 0.6 * 45 / 60) < 1e-9
    only_credits = EpisodeMatch(1, 7, 3, 0.9, 0.1, 0.1, (Segment(0, 5_000, 0, 5_000, 0.9),))
    assert only_credits.without([(0, 15_000)]).segments == ()
    # a credits-only match cannot reach the notify rule any more
    assert decide(default_rules(), m.without([(0, 70_000)]), "douyin").action is Action.TRACK


def test_a_match_that_may_not_claim_is_reviewed_whatever_the_rule_says() -> None:
    """Music alone (the matcher held it, ``carried_by`` empty) never becomes an automatic notice,
    even under a holder's own lenient rule; dialogue or picture carry it as before."""
    lenient = [PolicyRule(Action.NOTIFY, priority=1, name="anything long")]
    music_only = dataclasses.replace(match(90, score=0.49), carried_by=(), review="audio only")
    decision = decide(lenient, music_only, "douyin")
    assert decision.action is Action.REVIEW and decision.reason == "anything long; held for review: audio only"
    assert decide(default_rules(0.5), music_only, "douyin").action is Action.REVIEW
    for carried in [("dialogue",), ("picture",), None]:
        assert decide(lenient, dataclasses.replace(music_only, carried_by=carried), "douyin").action is Action.NOTIFY


def test_the_review_band_is_reviewed_and_below_it_tracked_whatever_a_rule_says() -> None:
    """[review_score, notify_score) is for people: the defaults review it, a work's lenient NOTIFY
    rule is held for review there, and below the floor the defaults only track."""
    rules = default_rules(0.5, 0.3)
    assert decide(rules, match(90, score=0.4), "douyin", notify_score=0.5).action is Action.REVIEW
    assert decide(rules, match(90, score=0.2), "douyin", notify_score=0.5).action is Action.TRACK
    lenient = [PolicyRule(Action.NOTIFY, priority=1, name="anything")]
    held = decide(lenient, match(90, score=0.4), "douyin", notify_score=0.5)
    assert held.action is Action.REVIEW and "below the notify threshold 0.50" in held.reason
    assert decide(lenient, match(90, score=0.5), "douyin", notify_score=0.5).action is Action.NOTIFY


def test_a_scores_band_is_notify_from_the_operating_point_review_below_track_under_the_floor() -> None:
    from notices.policy import score_band

    bands = [score_band(s, notify_score=0.5, review_score=0.3) for s in (0.5, 0.49, 0.3, 0.29)]
    assert bands == [Action.NOTIFY, Action.REVIEW, Action.REVIEW, Action.TRACK]
