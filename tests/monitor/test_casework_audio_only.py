"""A match held "audio only" by the fusion opens a case for review, never a notice, and the case
says why; a dialogue-carried match notifies as a picture one does (real migrated SQLite)."""
from __future__ import annotations

from monitor import casework
from dramaguard.settings import NoticeSettings
from notices.policy import opens_case
from storage.cases import Case
from storage.db import transaction
from tests.monitor.casework_fixtures import candidate, make_world


def world(tmp_path):
    return make_world(tmp_path, NoticeSettings(default_channel="http",
                                               complaint_api_urls={"douyin": "http://127.0.0.1:9"}))


def ingest(w, report, video_id: str):
    with transaction(w.sessions) as s:
        [outcome] = casework.ingest_matches(s, candidate=candidate(video_id), reports=[report],
                                            clock=w.clock, settings=w.settings)
        case = s.get(Case, outcome.case_id)
        return outcome, case.action, case.policy_reason, list(case.matches[0]["carried_by"])


def test_music_alone_is_reviewed_and_says_so(tmp_path):
    w = world(tmp_path)
    held = w.report(score=0.49)
    held.signals, held.carried_by, held.review = ["music"], [], "audio only"
    assert opens_case(held.score, held=held.review, review_score=0.5)
    assert not opens_case(0.49, held=None, review_score=0.5)
    outcome, action, reason, carried = ingest(w, held, "bgm")
    assert (outcome.status, action) == ("opened", "review")
    assert "held for review: audio only" in reason and carried == []


def test_dialogue_carries_a_notice(tmp_path):
    w = world(tmp_path)
    spoken = w.report(score=0.95)
    spoken.signals, spoken.carried_by = ["dialogue", "music"], ["dialogue"]
    outcome, action, _, carried = ingest(w, spoken, "covered")
    assert (outcome.status, action) == ("opened", "notify") and carried == ["dialogue"]
