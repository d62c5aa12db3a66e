"""The casework rules, storage-free: how matches become a case, which notice stage is due, how
due cases group into notices, what a re-check decides.

Pure functions over plain objects (a case is anything with the attributes a ``storage`` case row
has; a match report anything with the attributes ``indexing.reports.MatchReport`` has), so the
rules are testable without a database. ``monitor.casework`` reads and writes the rows around them.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from notices.deadlines import DeadlinePolicy
from notices.lifecycle import NOTICE_DUE, TRANSITIONS, CaseEvent, CaseState
from notices.model import CandidateInfo, EpisodeMatch, Segment
from notices.policy import Action, Decision

STAGE_NOTICE = "notice"
STAGE_ESCALATION = "escalation"
# which states each notice stage picks up: a first notice, then the escalation of a copy still up
DUE_STATES: tuple[tuple[str, frozenset[CaseState]], ...] = (
    (STAGE_NOTICE, frozenset(NOTICE_DUE)),
    (STAGE_ESCALATION, frozenset({CaseState.NOT_REMOVED})),
)
ACTION_RANK = {Action.TRACK: 0, Action.REVIEW: 1, Action.NOTIFY: 2}
INITIAL_STATE = {Action.NOTIFY: CaseState.DETECTED, Action.REVIEW: CaseState.PENDING_REVIEW,
                 Action.TRACK: CaseState.TRACKED}


class DeadlineSettings(Protocol):
    """The notice settings the deadline rules read (``dramaguard.settings.NoticeSettings``)."""

    deadline_hours: float
    warn_before_minutes: float
    removal_window_hours: float
    recheck_interval_minutes: float
    counter_notice_days: float


def deadline_policy(settings: DeadlineSettings) -> DeadlinePolicy:
    return DeadlinePolicy(
        notice_within=timedelta(hours=settings.deadline_hours),
        warn_before=timedelta(minutes=settings.warn_before_minutes),
        removal_window=timedelta(hours=settings.removal_window_hours),
        recheck_interval=timedelta(minutes=settings.recheck_interval_minutes),
        counter_notice_wait=timedelta(days=settings.counter_notice_days),
    )


# ---- matches → a case -------------------------------------------------------------------------

@dataclass(frozen=True)
class Outcome:
    """What happened to one candidate for one work."""

    work_id: int
    status: str  # opened | updated | allowlisted | rejected_before | excluded_only
    case_id: int | None = None
    action: str | None = None
    reason: str = ""


def _ms(seconds: float) -> int:
    return round(seconds * 1000)


def report_spans(report: Any) -> list[tuple[Sequence[float], Sequence[float], float | None]]:
    """A match report's (query, reference, similarity) spans in seconds: its aligned segments, or
    its one overall span at the report's score when it has none."""
    return [(s["query"], s["ref"], s["similarity"]) for s in report.segments] or [
        ((report.query_start, report.query_end), (report.ref_start, report.ref_end), report.score)
    ]


def to_episode_match(report: Any) -> EpisodeMatch:
    """The report's aligned segments (seconds) as evidence segments (ms); one span if absent."""
    spans = report_spans(report)
    # a span heard but not seen has no picture similarity: it stands at the report's own score
    segments = tuple(Segment(_ms(q[0]), _ms(q[1]), _ms(r[0]), _ms(r[1]),
                             float(report.score if score is None else score))
                     for q, r, score in spans)
    carried_by = getattr(report, "carried_by", None)  # None: the report was not fused
    return EpisodeMatch(report.work_id, report.episode_id, report.episode, report.score,
                        report.query_coverage, report.ref_coverage, segments,
                        carried_by=None if carried_by is None else tuple(carried_by),
                        review=getattr(report, "review", None))


def group_by_work(reports: Iterable[Any]) -> dict[int, list[Any]]:
    """A candidate's match reports, one list per matched work (one case per work)."""
    by_work: dict[int, list[Any]] = defaultdict(list)
    for report in reports:
        by_work[report.work_id].append(report)
    return by_work


def match_to_json(match: EpisodeMatch) -> dict:
    return asdict(match)


def match_from_json(data: dict) -> EpisodeMatch:
    fields = dict(data)
    fields["segments"] = tuple(Segment(**s) for s in data["segments"])
    if fields.get("carried_by") is not None:
        fields["carried_by"] = tuple(fields["carried_by"])
    return EpisodeMatch(**fields)


def strongest(decided: Sequence[tuple[Decision, EpisodeMatch]]) -> tuple[Decision, EpisodeMatch]:
    """The decision the case follows: the strongest action, then the longest match, then the score."""
    return max(decided, key=lambda d: (ACTION_RANK[d[0].action], d[1].matched_ms, d[1].score))


def improves(best: EpisodeMatch, case: Any) -> bool:
    """Does a new match say more than what the case records (longer or scoring higher)?"""
    return best.matched_ms > case.matched_ms or best.score > case.score


def needs_review(state: str, action: Action) -> bool:
    """A stronger copy of a tracked upload: a person decides, never an automatic notice."""
    return CaseState(state) is CaseState.TRACKED and ACTION_RANK[action] > ACTION_RANK[Action.TRACK]


def allows(state: str, event: CaseEvent) -> bool:
    """May a case in ``state`` take ``event`` (the lifecycle's transition table)?"""
    return (CaseState(state), event) in TRANSITIONS


def evidence_id(case_id: int) -> str:
    return f"DG-E-{case_id:06d}"


def evidence_keyframes(matches: Iterable[EpisodeMatch], keyframes: Mapping[int, list]) -> list:
    """The side-by-side pairs of every matched episode, in match order, for the evidence package."""
    return [pair for m in matches for pair in keyframes.get(m.episode_id, [])]


# ---- due cases → notices ----------------------------------------------------------------------

def group_due(cases_by_stage: Iterable[tuple[str, Iterable[Any]]],
              claimed: Mapping[str, set[int]]) -> dict[tuple[int, str, str], list[Any]]:
    """Due cases not yet listed in a notice of their stage, one group per (work, platform, stage):
    one notice names all of a work's copies on one platform."""
    groups: dict[tuple[int, str, str], list[Any]] = defaultdict(list)
    for stage, cases in cases_by_stage:
        for case in cases:
            if case.id not in claimed.get(stage, set()):
                groups[(case.work_id, case.platform, stage)].append(case)
    return groups


def preview_stage(state: str) -> str:
    """The stage a case's next notice has: an escalation once the first one was not obeyed."""
    return STAGE_ESCALATION if CaseState(state) is CaseState.NOT_REMOVED else STAGE_NOTICE


class RouteSettings(Protocol):
    """The notice settings routing reads (``dramaguard.settings.NoticeSettings``)."""

    platform_channels: Mapping[str, str]
    default_channel: str
    email_recipients: Mapping[str, str]
    complaint_api_urls: Mapping[str, str]


def route(settings: RouteSettings, platform: str, *, email: str = "email") -> tuple[str, str | None]:
    """(channel name, recipient) for a platform's notices; no recipient blocks the notice."""
    channel = settings.platform_channels.get(platform, settings.default_channel)
    targets = settings.email_recipients if channel == email else settings.complaint_api_urls
    return channel, targets.get(platform)


def case_candidate(case: Any) -> CandidateInfo:
    """The copy a case is about, as the allowlist rules read it."""
    return CandidateInfo(platform=case.platform, video_id=case.video_id, url=case.url,
                         title=case.title, uploader_id=case.uploader_id,
                         uploader_name=case.uploader_name, channel_id=case.channel_id)


def best_match(case: Any) -> EpisodeMatch:
    """The case's recorded match of the episode it names (the first one if none does)."""
    matches = [match_from_json(m) for m in case.matches]
    return next((m for m in matches if m.episode_id == case.episode_id), matches[0])


# ---- after the notice: re-checks --------------------------------------------------------------

@dataclass(frozen=True)
class CheckDecision:
    """What one re-check of a noticed URL decides."""

    event: CaseEvent | None  # the transition to apply, if any
    next_check_at: datetime | None
    removed: bool = False
    legal_action: bool = False  # escalated and still up after the window: a person acts


def decide_check(state: str, *, down: bool, now: datetime, notified_at: datetime | None,
                 escalated_at: datetime | None, policy: DeadlinePolicy) -> CheckDecision:
    if down:
        return CheckDecision(CaseEvent.REMOVED, None, removed=True)
    since = escalated_at if CaseState(state) is CaseState.ESCALATED else notified_at
    if now < policy.removal_due_by(since):
        return CheckDecision(None, policy.next_check(now, since))
    if CaseState(state) is CaseState.NOTIFIED:
        return CheckDecision(CaseEvent.NOT_REMOVED, None)
    return CheckDecision(None, None, legal_action=True)
