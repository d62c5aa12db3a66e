"""Objects the authorization matrix creates per call or per tenant (exclusions, noticed and disputed
cases, a receipted episode), kept apart so the matrix module stays readable."""
from __future__ import annotations

from storage import cases as repo
from storage import receipts
from storage import work_rules
from storage.db import transaction

from .conftest import World, add_case, add_notice, fake_episode


def _fresh_exclusion(world: World, tenant: str) -> dict:
    # episode 901, not the cases' 900: a whole-episode exclusion would stop new cases opening
    episode_id = fake_episode(world.app, world.work_ids[tenant], number=901)
    with transaction(world.app.state.services.sessions) as session:
        row = work_rules.add_excluded_interval(session, episode_id=episode_id, start_ms=0, end_ms=5000)
        return {"exclusion": str(row.id)}


def _noticed_case(world: World, tenant: str) -> dict:
    """A case whose notice went out (so a counter-notice can name it)."""
    case_id = add_case(world.app, world.work_ids[tenant])
    notice_id = add_notice(world.app, case_id)
    with transaction(world.app.state.services.sessions) as session:
        session.get_one(repo.Case, case_id).state = "notified"
    world.extra["notice"] = notice_id
    return {"case": str(case_id), "notice": str(notice_id)}


def _refused_notice(world: World, tenant: str) -> dict:
    """A notice the platform refused for good (so it may be sent again)."""
    case_id = add_case(world.app, world.work_ids[tenant])
    return {"case": str(case_id), "notice": str(add_notice(world.app, case_id, status="failed"))}


def _disputed_case(world: World, tenant: str) -> dict:
    case_id = add_case(world.app, world.work_ids[tenant])
    with transaction(world.app.state.services.sessions) as session:
        session.get_one(repo.Case, case_id).state = "forwarded"
    return {"case": str(case_id)}


def _same_user_form(world: World, tenant: str) -> dict:
    """The target user's current role and tenant (so the matrix changes nothing, ends no session)."""
    return {"role": "legal", "holder_id": str(world.holder_ids[tenant]), "active": "true"}


def _receipted_episode(world: World, tenant: str) -> int:
    from storage.base import utcnow
    from storage.models import Episode

    episode_id = fake_episode(world.app, world.work_ids[tenant], number=903)
    with transaction(world.app.state.services.sessions) as session:
        receipts.issue_receipt(session, episode=session.get_one(Episode, episode_id), issued_at=utcnow())
    return episode_id
