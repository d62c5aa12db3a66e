"""workspace/ without HTTP: what people do with works and cases, on a real migrated SQLite store,
and the one map from its refusals to HTTP statuses."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from dramaguard.settings import NoticeSettings
from dramaguard.web.errors import status_of
from notices.lifecycle import CaseState
from storage.auth import Role
from storage.cases import Case
from storage.db import transaction
from storage.models import Work
from tests.monitor.casework_fixtures import World, candidate, make_world
from monitor import casework
from workspace.errors import Conflict, Invalid, NotFound, Unnamed
from workspace.onboarding import holder_for
from workspace.actors import OPERATOR
from workspace.review import decide, decide_many
from workspace.works import add_exclusion, update_work


@pytest.fixture
def world(tmp_path: Path) -> World:
    return make_world(tmp_path, NoticeSettings(default_channel="http",
                                               complaint_api_urls={"douyin": "http://127.0.0.1:9"}))


def test_an_excluded_interval_is_checked_against_the_episodes_length(world: World) -> None:
    with transaction(world.sessions) as s:
        work = s.get_one(Work, world.work_id)
        first = world.episode_ids[0]
        whole = add_exclusion(work, episode_id=first, whole=True, reason="trailer", session=s)
        clipped = add_exclusion(work, episode_id=first, start_s=90, end_s=500, session=s)
        assert (whole.start_ms, whole.end_ms) == (0, 95_000)
        assert (clipped.start_ms, clipped.end_ms) == (90_000, 95_000)
        for bad, message in (({"start_s": 10, "end_s": 10}, "after start_s"),
                             ({"start_s": 96, "end_s": 99}, "past the episode's end"),
                             ({"start_s": 3}, "give end_s")):
            with pytest.raises(Invalid, match=message):
                add_exclusion(work, episode_id=first, session=s, **bad)
        with pytest.raises(NotFound):
            add_exclusion(work, episode_id=10_000, whole=True, session=s)


def test_a_work_edit_refuses_an_empty_or_taken_title(world: World) -> None:
    with transaction(world.sessions) as s:
        work = s.get_one(Work, world.work_id)
        s.add(Work(holder_id=work.holder_id, title="另一部剧", aliases=[]))
        s.flush()
        with pytest.raises(Invalid):
            update_work(work, title="  ", session=s)
        with pytest.raises(Conflict, match="另一部剧"):
            update_work(work, title="另一部剧", session=s)
        update_work(work, title=" 新标题 ", aliases=["新", "标题"], registration_number="  ", session=s)
        assert (work.title, work.aliases, work.registration_number) == ("新标题", ["新", "标题"], None)


def test_review_decides_only_cases_that_wait_for_it(world: World) -> None:
    with transaction(world.sessions) as s:
        [waiting] = casework.ingest_matches(s, candidate=candidate("v1"), reports=[world.report(seconds=12)],
                                            clock=world.clock, settings=world.settings)
        [notified] = casework.ingest_matches(s, candidate=candidate("v2"), reports=[world.report()],
                                             clock=world.clock, settings=world.settings)
    assert waiting.action == "review" and notified.action == "notify"
    with transaction(world.sessions) as s:
        with pytest.raises(Conflict, match="not waiting for review"):
            decide(s.get_one(Case, notified.case_id), approve=True, note="", actor=OPERATOR, session=s)
        done, skipped = decide_many([waiting.case_id, notified.case_id, waiting.case_id, 999], approve=False,
                                    note="licensed", actor=OPERATOR, session=s)
    assert (done, skipped) == (1, 2)
    with transaction(world.sessions) as s:
        states = dict(s.execute(select(Case.id, Case.state)).all())
    assert states[waiting.case_id] == CaseState.REJECTED


class _User:
    """A person as the web's Principal presents them."""

    def __init__(self, role: Role, holder_id: int | None) -> None:
        self.user_id, self.email, self.role, self.holder_id = 7, "someone@example.test", role, holder_id

    @property
    def scope(self) -> int | None:
        return None if self.role == Role.ADMIN else self.holder_id


def test_a_request_acts_on_the_users_own_tenant_and_an_admin_names_one(world: World) -> None:
    with transaction(world.sessions) as s:
        owner = _User(Role.RIGHTS_HOLDER, world.holder_id)
        assert holder_for(owner, None, s) == world.holder_id
        with pytest.raises(NotFound):
            holder_for(owner, world.holder_id + 1, s)
        admin = _User(Role.ADMIN, None)
        assert holder_for(admin, world.holder_id, s) == world.holder_id
        with pytest.raises(Unnamed):
            holder_for(admin, None, s)


def test_each_refusal_has_one_http_status() -> None:
    assert [status_of(e("x")) for e in (Unnamed, NotFound, Conflict, Invalid)] == [400, 404, 409, 422]
