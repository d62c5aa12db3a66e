"""Pages beyond the matrix: every UI route must be in the matrix, and a forbidden page is a
translated HTML page (never raw JSON) while the API keeps its JSON answer."""
from __future__ import annotations

from storage.auth import Role

from .conftest import World
from .test_authz_matrix import UI

OPEN_UI = {"/login", "/logout", "/", "/static", "/api/docs", "/api/docs/oauth2-redirect", "/api/openapi.json",
           "/api/redoc"}


def _flat(routes, prefix: str = ""):
    """(path, methods) of every route, through included routers (FastAPI ≥ 0.165 nests them)."""
    for route in routes:
        if hasattr(route, "original_router"):
            yield from _flat(route.original_router.routes, prefix + route.include_context.prefix)
        elif hasattr(route, "path"):
            yield prefix + route.path, getattr(route, "methods", None) or ()


def test_every_ui_route_is_in_the_matrix(world: World) -> None:
    """Pages and forms added later must be added to the matrix too (the API has its own check)."""
    names = {"{work_id}": "{work}", "{case_id}": "{case}", "{entry_id}": "{entry}", "{rule_id}": "{rule}",
             "{exclusion_id}": "{exclusion}", "{user_id}": "{user}", "{index}": "{index}",
             "{episode_id}": "{episode}", "{notice_id}": "{notice}", "{proof_id}": "{proof}"}
    routes = set()
    for path, methods in _flat(world.app.routes):
        if path.startswith("/api/v1") or path in OPEN_UI or path.startswith("/static"):
            continue
        for old, new in names.items():
            path = path.replace(old, new)
        for method in methods:
            if method != "HEAD":
                routes.add((method, path))
    assert len(routes) > 15
    covered = {(e.method, e.path.split("?")[0]) for e in UI}
    assert not routes - covered, f"UI routes missing from the authorization matrix: {sorted(routes - covered)}"


def test_a_forbidden_page_is_a_translated_html_page(world: World) -> None:
    owner = world.actor(Role.RIGHTS_HOLDER, "A")
    response = world.client.get("/queue?lang=zh", headers={"Cookie": f"dg_session={owner.cookie}"})
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")
    assert "您无权打开此页面" in response.text and '"detail"' not in response.text
    assert 'href="/queue"' not in response.text  # the nav hides what the role may not open
    missing = world.client.get("/cases/999999?lang=en", headers={"Cookie": f"dg_session={owner.cookie}"})
    assert missing.status_code == 404 and "Not found" in missing.text and missing.headers["content-type"].startswith("text/html")
    api = world.client.get("/api/v1/review/queue", headers=owner.bearer)
    assert api.status_code == 403 and api.json()["detail"]
