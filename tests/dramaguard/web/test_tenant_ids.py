"""Tenant escape through ids in query strings and bodies (the matrix covers ids in paths).

Every ``*_id`` query parameter and JSON body field is found in the OpenAPI schema — a new one
joins the test by itself — and set to the *other* tenant's id by each non-admin role. Whatever
the answer, nothing of the other tenant may be shown or changed: listings stay own-only, created
objects land in the caller's tenant, and the other tenant's own view is unchanged afterwards.
"""
from __future__ import annotations

import itertools

import pytest

from storage.auth import Role

from .conftest import World, add_case, add_notice, fake_episode

_n = itertools.count(1)
#: A minimal valid body per request schema; the id field under test is then overwritten.
BODIES = {
    "WorkIn": lambda: {"title": f"越权剧 {next(_n)}"},
    "AllowIn": lambda: {"kind": "account", "value": f"acct-{next(_n)}"},
    "UserIn": lambda: {"email": f"escape{next(_n)}@example.test", "role": "legal"},
    "UserPatch": lambda: {"display_name": "escaped"},
    "ExclusionIn": lambda: {"whole": True},
    "CounterNoticeIn": lambda: {"sender": "越权"},
}


def id_fields(world: World) -> list[tuple[str, str, str, str | None, str]]:
    """(method, path, where, body schema, field) for every *_id outside the path."""
    schema = world.app.openapi()
    found = []
    for path, operations in schema["paths"].items():
        for method, op in operations.items():
            for param in op.get("parameters", []):
                if param["in"] == "query" and param["name"].endswith("_id"):
                    found.append((method.upper(), path, "query", None, param["name"]))
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
            if "$ref" in body:
                name = body["$ref"].rsplit("/", 1)[1]
                for field in schema["components"]["schemas"][name].get("properties", {}):
                    # registration_id is a claimant's credit code (text), not a row id
                    if field.endswith(("_id", "_ids")) and field != "registration_id":
                        found.append((method.upper(), path, "body", name, field))
    return found


def foreign_value(world: World, field: str, tenant: str):
    if field == "notice_id":
        return world.extra["foreign_notice"]
    if field == "episode_id":
        return fake_episode(world.app, world.work_ids[tenant], number=902)
    values = {"work_id": world.work_ids[tenant], "holder_id": world.holder_ids[tenant]}
    return values[field]


def snapshot(world: World, tenant: str) -> dict:
    """What the other tenant's owner sees; must not change."""
    owner = world.actor(Role.RIGHTS_HOLDER, tenant)
    get = lambda url: world.client.get(url, headers=owner.bearer).json()  # noqa: E731
    return {url: get(url) for url in ("/api/v1/works", "/api/v1/allowlist", "/api/v1/cases",
                                      f"/api/v1/works/{world.work_ids[tenant]}/policy",
                                      f"/api/v1/works/{world.work_ids[tenant]}/exclusions")}


def test_the_schema_has_ids_outside_paths_and_each_has_a_body(world: World):
    fields = id_fields(world)
    assert {("GET", "/api/v1/cases", "work_id"), ("POST", "/api/v1/allowlist", "work_id"),
            ("POST", "/api/v1/allowlist", "holder_id"), ("POST", "/api/v1/works", "holder_id")} <= {
        (m, p, f) for m, p, _, _, f in fields}
    assert {schema for _, _, where, schema, _ in fields if where == "body"} <= set(BODIES)


@pytest.mark.parametrize("role", [Role.RIGHTS_HOLDER, Role.LEGAL], ids=lambda r: r.value)
def test_foreign_ids_in_queries_and_bodies_never_reach_the_other_tenant(world: World, role: Role):
    add_case(world.app, world.work_ids["B"])  # something of B's for a leaky filter to show
    actor = world.actor(role, "A")
    own_work, own_holder = world.work_ids["A"], world.holder_ids["A"]
    fake_episode(world.app, world.work_ids["B"], number=902)  # B's episode, for episode_id fields
    own_case = add_case(world.app, own_work)  # a case of A's for paths naming a case
    world.extra["foreign_notice"] = add_notice(world.app, add_case(world.app, world.work_ids["B"]))
    before = snapshot(world, "B")
    tried = 0
    for method, path, where, schema, field in id_fields(world):
        url = path.format(user_id=world.actor(Role.LEGAL, "B").user_id, work_id=own_work, case_id=own_case)
        value = foreign_value(world, field, "B")
        if where == "query":
            response = world.client.request(method, url, params={field: value}, headers=actor.bearer)
        else:
            body = {**BODIES[schema](), field: value}
            response = world.client.request(method, url, json=body, headers=actor.bearer)
        tried += 1
        context = (role.value, method, path, field, response.status_code, response.text[:200])
        assert response.status_code < 500, context
        if response.is_success:
            data = response.json()
            rows = data if isinstance(data, list) else [data]
            for row in rows:
                assert row.get("work_id") in (None, own_work), context
                assert row.get("holder_id") in (None, own_holder), context
        else:
            assert response.status_code in (400, 403, 404, 422), context
    assert tried >= 6
    assert snapshot(world, "B") == before, "the other tenant's data changed"
