"""An id no 64-bit integer holds, in any path of the API or a page, is a missing record (404),
never a server error: SQLite refuses to bind such a number (schemathesis found
``GET /api/v1/notices/{huge}/files/evidence`` answering 500)."""
from __future__ import annotations

import re

from storage.auth import Role

from .conftest import World

HUGE = str(10**40)


def test_every_id_path_answers_404_for_an_id_past_64_bits(world: World) -> None:
    admin = world.actor(Role.ADMIN)
    tried = 0
    for path, operations in world.app.openapi()["paths"].items():
        if "{" not in path or "get" not in operations:
            continue
        url = re.sub(r"\{(\w*_id)\}", HUGE, path).replace("{kind}", "notice").replace("{index}", "1")
        if "{" in url:
            continue
        response = world.client.get(url, headers=admin.bearer)
        tried += 1
        assert response.status_code == 404, (path, response.status_code, response.text[:200])
    assert tried >= 5
    page = world.client.get(f"/cases/{HUGE}", headers={"Cookie": f"dg_session={admin.cookie}"},
                            follow_redirects=False)
    assert page.status_code == 404 and "text/html" in page.headers["content-type"], page.status_code
