"""Per-work match policy in the spirit of Content ID: ordered rules, first that applies wins."""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from notices.model import EpisodeMatch


class Action(StrEnum):
    NOTIFY = "notify"  # send a notice automatically
    REVIEW = "review"  # legal staff decide
    TRACK = "track"  # record only


@dataclass(frozen=True)
class PolicyRule:
    """Conditions are minimums; ``platforms`` empty means every platform."""

    action: Action
    priority: int = 100
    min_matched_s: float = 0.0
    min_query_share: float = 0.0
    min_ref_share: float = 0.0
    min_score: float = 0.0
    platforms: frozenset[str] = frozenset()
    name: str = ""

    def applies(self, match: EpisodeMatch, platform: str) -> bool:
        return (
            match.matched_ms / 1000 >= self.min_matched_s
            and match.query_share >= self.min_query_share
            and match.ref_share >= self.min_ref_share
            and match.score >= self.min_score
            and (not self.platforms or platform in self.platforms)
        )


@dataclass(frozen=True)
class Decision:
    action: Action
    rule: PolicyRule | None
    held: str | None = None  # why a rule's NOTIFY became REVIEW (the match may not claim)

    @property
    def reason(self) -> str:
        reason = self.rule.name if self.rule else "no rule applied"
        return f"{reason}; held for review: {self.held}" if self.held else reason


def default_rules(notify_score: float = 0.5, review_score: float = 0.0) -> tuple[PolicyRule, ...]:
    """A long, high-score match notifies; a short or partial one, or one scoring in the review
    band [``review_score``, ``notify_score``), goes to review; below the band, track only.

    Episodes last 1–3 minutes, so 30 s and half the episode is a substantial copy.
    """
    return (
        PolicyRule(
            Action.NOTIFY, priority=10, min_matched_s=30.0, min_ref_share=0.5,
            min_score=notify_score, name="default: long high-score match",
        ),
        PolicyRule(Action.REVIEW, priority=20, min_matched_s=5.0, min_score=review_score,
                   name="default: partial match"),
        PolicyRule(Action.TRACK, priority=30, name="default: fragment"),
    )


def decide(rules: tuple[PolicyRule, ...] | list[PolicyRule], match: EpisodeMatch,
           platform: str, *, notify_score: float = 0.0) -> Decision:
    """Apply the rules by ascending priority; nothing applies means track only. Whatever a rule
    says, a match that may not claim (the sound alone, not dialogue) is reviewed, never notified:
    a desk rejects a notice that rests on the music. Nor does a match below the documented
    operating point (``notify_score``) notify, even where a work's own rule would let it: the
    review band is for people to decide."""
    for rule in sorted(rules, key=lambda r: r.priority):
        if rule.applies(match, platform):
            if rule.action is Action.NOTIFY and not match.claimable:
                return Decision(Action.REVIEW, rule, held=match.review or "no signal that may claim")
            if rule.action is Action.NOTIFY and match.score < notify_score:
                return Decision(Action.REVIEW, rule,
                                held=f"score {match.score:.2f} is below the notify threshold {notify_score:.2f}")
            return Decision(rule.action, rule, held=match.review if rule.action is Action.REVIEW else None)
    return Decision(Action.TRACK, None)


def opens_case(score: float, *, held: str | None, review_score: float) -> bool:
    """Does a scan's match open (or update) a case? From the review floor up — the review band
    opens cases for people to decide, the policy says which — or whenever the match was held for
    review whatever its score (the sound alone: "audio only")."""
    return score >= review_score or held is not None


def score_band(score: float, *, notify_score: float, review_score: float) -> Action:
    """Where a claim's score alone puts it (what a scan prints): notify from the operating point,
    review in the band below it, track under the floor. Rules and holds still decide a case."""
    if score >= notify_score:
        return Action.NOTIFY
    return Action.REVIEW if score >= review_score else Action.TRACK
