"""The work page lists footage its episodes share; another holder's episode is never named."""
from __future__ import annotations

from matcher.overlaps import Overlap
from storage.auth import Role
from storage.db import transaction
from storage.models import Episode
from storage.overlaps import add_overlaps

from tests.dramaguard.web.conftest import fake_episode


def test_work_page_shows_shared_footage_and_hides_the_other_holder(world):
    a1 = fake_episode(world.app, world.work_ids["A"], number=901)
    a2 = fake_episode(world.app, world.work_ids["A"], number=902)
    b1 = fake_episode(world.app, world.work_ids["B"], number=903)
    with transaction(world.app.state.services.sessions) as session:
        add_overlaps(session.get(Episode, a2), [Overlap(a1, 0, 4000, 0, 4000, 0.97, 0.9)], session=session)
        rows = add_overlaps(session.get(Episode, b1), [Overlap(a2, 1000, 5000, 0, 4000, 0.96, 0.9)], session=session)
        assert [r.cross_holder for r in rows] == [True]
    for tenant, needle in (("A", "902"), ("B", "903")):
        actor = world.actor(Role.RIGHTS_HOLDER, tenant)
        page = world.client.get(f"/works/{world.work_ids[tenant]}?lang=en",
                                headers={"Cookie": f"dg_session={actor.cookie}"}).text
        assert "Footage shared with other episodes" in page
        assert "another rights holder" in page
        other = "B" if tenant == "A" else "A"
        assert f"剧-{other}" not in page  # the other holder's work title never shows
    page_a = world.client.get(f"/works/{world.work_ids['A']}?lang=zh",
                              headers={"Cookie": f"dg_session={world.actor(Role.RIGHTS_HOLDER, 'A').cookie}"}).text
    assert "与其他剧集共用的片段" in page_a and "0.0–4.0 s" in page_a
