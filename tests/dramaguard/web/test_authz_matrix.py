"""Authorization matrix: every endpoint × every role × own and foreign tenant (plus anonymous).

Expected outcomes come from one rule, not from a table of answers: a role outside the endpoint's
roles gets 403; a tenant-scoped object of another tenant gets 404 (admins see every tenant); else
the endpoint's success status. A test also fails when an API route is missing from the matrix.
"""
from __future__ import annotations

import functools
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pytest

from dramaguard.web.roles import Cap, roles_with
from storage.auth import Role
from storage import work_rules

from notices.allowlist import AllowEntry, AllowKind
from notices.policy import Action, PolicyRule
from storage.db import transaction

from . import authz_onboarding
from .authz_objects import _refused_notice, _disputed_case, _fresh_exclusion, _noticed_case, _receipted_episode, _same_user_form
from .conftest import TENANTS, World, add_case, add_notice, fake_episode, undecodable_video

ALL = frozenset(Role)
OWNERS = frozenset({Role.RIGHTS_HOLDER, Role.ADMIN})
REVIEWERS = frozenset({Role.LEGAL, Role.ADMIN})
RULES = frozenset({Role.RIGHTS_HOLDER, Role.LEGAL, Role.ADMIN})  # legal staff manage rules too
DISPUTERS = frozenset({Role.LEGAL, Role.ADMIN})
ADMIN = frozenset({Role.ADMIN})


def test_the_role_table_grants_what_the_matrix_expects() -> None:
    """The matrix's role sets are written out by hand: a change to roles.py must change them."""
    assert frozenset(roles_with(Cap.READ)) == ALL
    assert frozenset(roles_with(Cap.MANAGE_WORKS)) == OWNERS
    assert frozenset(roles_with(Cap.REVIEW)) == REVIEWERS
    assert frozenset(roles_with(Cap.MANAGE_RULES)) == RULES
    assert frozenset(roles_with(Cap.MANAGE_USERS)) == ADMIN
    assert frozenset(roles_with(Cap.DISPUTES)) == DISPUTERS


def _fresh_case(world: World, tenant: str) -> dict:
    return {"case": str(add_case(world.app, world.work_ids[tenant]))}


def _fresh_entry(world: World, tenant: str) -> dict:
    with transaction(world.app.state.services.sessions) as session:
        row = work_rules.add_allow_entry(session, AllowEntry(AllowKind.ACCOUNT, "x"), work_id=world.work_ids[tenant])
        return {"entry": str(row.id)}


def _fresh_rule(world: World, tenant: str) -> dict:
    with transaction(world.app.state.services.sessions) as session:
        row = work_rules.add_policy_rule(session, work_id=world.work_ids[tenant], rule=PolicyRule(Action.TRACK))
        return {"rule": str(row.id)}


def _fresh_track(world: World, tenant: str) -> dict:
    from fingerprint.audio import AudioFingerprint
    from storage.audio import add_music_exclusion
    from storage.models import RightsHolder

    fp = AudioFingerprint(np.arange(20, dtype=np.int64), np.arange(20, dtype=np.int64) * 32, 1000)
    with transaction(world.app.state.services.sessions) as session:
        holder = session.get(RightsHolder, world.holder_ids[tenant])
        row = add_music_exclusion(fp, title="stock", sha256="0" * 64, holder=holder, created_by="t", session=session)
        return {"track": str(row.id)}


@functools.cache
def music_file() -> bytes:
    import tempfile
    from pathlib import Path

    from benchmarks.audio_set import music, write

    with tempfile.TemporaryDirectory() as folder:
        return write(Path(folder) / "bgm.wav", music(seed=3, seconds=3)).read_bytes()


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # placeholders filled from the target tenant: {work} {upload} {user} {token}
    allowed: frozenset[Role]
    ok: int
    # what a non-admin gets when the target belongs to the other tenant; None: no tenant object
    foreign: int | None = 404
    json: Callable[[World, str], dict] | None = None
    content: Callable[[], bytes] | None = None
    ui: bool = False
    params: dict = field(default_factory=dict)
    # per call, a new object in the target tenant (for calls that consume or delete it)
    fresh: Callable[[World, str], dict] | None = None
    form: Callable[[World, str], dict] | None = None  # UI form fields (the CSRF token is added)

    @property
    def id(self) -> str:
        return f"{'UI ' if self.ui else ''}{self.method} {self.path}"


def _counter():
    n = itertools.count(1)
    return lambda: next(n)


_next = _counter()

API: list[Endpoint] = [
    Endpoint("GET", "/api/v1/me", ALL, 200, foreign=None),
    Endpoint("GET", "/api/v1/auth/tokens", ALL, 200, foreign=None),
    Endpoint("POST", "/api/v1/auth/tokens", ALL, 201, foreign=None, json=lambda w, t: {"name": "matrix"}),
    # tokens belong to a user: someone else's is "not found" even for admins
    Endpoint("DELETE", "/api/v1/auth/tokens/{token}", ALL, 204),
    Endpoint("GET", "/api/v1/works", ALL, 200, foreign=None),
    Endpoint(
        "POST", "/api/v1/works", OWNERS, 201, foreign=403,
        json=lambda w, t: {"title": f"新剧 {_next()}", "holder_id": w.holder_ids[t]},
    ),
    Endpoint("GET", "/api/v1/works/{work}", ALL, 200),
    Endpoint("PATCH", "/api/v1/works/{work}", OWNERS, 200, json=lambda w, t: {"registration_number": "REG-1"}),
    Endpoint(
        "POST", "/api/v1/works/{work}/episodes", OWNERS, 202,
        content=undecodable_video, params={"number": 7, "filename": "x.mp4"},
    ),
    Endpoint("GET", "/api/v1/works/{work}/uploads", ALL, 200),
    Endpoint("GET", "/api/v1/uploads/{upload}", ALL, 200),
    Endpoint("GET", "/api/v1/cases", ALL, 200, foreign=None),
    Endpoint("GET", "/api/v1/cases/{case}", ALL, 200),
    Endpoint("GET", "/api/v1/cases/{case}/keyframes/{index}", ALL, 200),
    Endpoint("GET", "/api/v1/review/queue", REVIEWERS, 200, foreign=None),
    Endpoint("POST", "/api/v1/cases/{case}/approve", REVIEWERS, 200, json=lambda w, t: {"note": "ok"}, fresh=_fresh_case),
    Endpoint("POST", "/api/v1/cases/{case}/reject", REVIEWERS, 200, json=lambda w, t: {"note": "no"}, fresh=_fresh_case),
    Endpoint("GET", "/api/v1/notices", ALL, 200, foreign=None),
    Endpoint("GET", "/api/v1/notices/{notice}", ALL, 200),
    Endpoint("POST", "/api/v1/notices/{notice}/send-again", REVIEWERS, 202, fresh=_refused_notice),
    Endpoint("GET", "/api/v1/allowlist", ALL, 200, foreign=None),
    Endpoint(
        "POST", "/api/v1/allowlist", RULES, 201,
        json=lambda w, t: {"kind": "account", "value": "licensed-1", "work_id": w.work_ids[t]},
    ),
    Endpoint("DELETE", "/api/v1/allowlist/{entry}", RULES, 204, fresh=_fresh_entry),
    Endpoint("GET", "/api/v1/works/{work}/policy", ALL, 200),
    Endpoint("POST", "/api/v1/works/{work}/policy", RULES, 201, json=lambda w, t: {"action": "review", "min_score": 0.3}),
    Endpoint("DELETE", "/api/v1/policy/{rule}", RULES, 204, fresh=_fresh_rule),
    Endpoint("GET", "/api/v1/works/{work}/exclusions", ALL, 200),
    Endpoint("POST", "/api/v1/works/{work}/exclusions", RULES, 201,
             json=lambda w, t: {"episode_id": fake_episode(w.app, w.work_ids[t], number=901), "whole": True, "reason": "trailer"}),
    Endpoint("DELETE", "/api/v1/exclusions/{exclusion}", RULES, 204, fresh=_fresh_exclusion),
    Endpoint("POST", "/api/v1/cases/{case}/counter-notice", DISPUTERS, 200, fresh=_noticed_case,
             json=lambda w, t: {"notice_id": w.extra["notice"], "sender": "上传者"}),
    Endpoint("POST", "/api/v1/cases/{case}/dispute-decision", DISPUTERS, 200, fresh=_disputed_case,
             json=lambda w, t: {"decision": "withdraw"}),
    Endpoint("GET", "/api/v1/music-exclusions", ALL, 200, foreign=None),
    # a holder's track lands in their own tenant; an admin's without holder_id applies to all
    Endpoint("POST", "/api/v1/music-exclusions", OWNERS, 201, foreign=None, content=music_file,
             params={"title": "stock bgm"}),
    Endpoint("DELETE", "/api/v1/music-exclusions/{track}", OWNERS, 204, fresh=_fresh_track),
    Endpoint("GET", "/api/v1/music-exclusions/shared", ALL, 200, foreign=None),
    Endpoint("GET", "/api/v1/admin/platforms", ADMIN, 200, foreign=None),
    Endpoint("GET", "/api/v1/admin/holders", ADMIN, 200, foreign=None),
    Endpoint("POST", "/api/v1/admin/holders", ADMIN, 201, foreign=None, json=lambda w, t: {"name": f"h{_next()}"}),
    Endpoint("GET", "/api/v1/admin/users", ADMIN, 200, foreign=None),
    Endpoint(
        "POST", "/api/v1/admin/users", ADMIN, 201, foreign=None,
        json=lambda w, t: {"email": f"u{_next()}@example.test", "role": "legal", "holder_id": w.holder_ids[t]},
    ),
    Endpoint("PATCH", "/api/v1/admin/users/{user}", ADMIN, 200, json=lambda w, t: {"display_name": "renamed"}),
]

UI: list[Endpoint] = [
    Endpoint("GET", "/dashboard", ALL, 200, foreign=None, ui=True),
    Endpoint("GET", "/works", ALL, 200, foreign=None, ui=True),
    Endpoint("GET", "/works/{work}", ALL, 200, ui=True),
    Endpoint("GET", "/works/{work}/episodes/{episode}/receipt", ALL, 200, ui=True),
    # the form's holder_id is ignored for non-admins: the work lands in their own tenant
    Endpoint("POST", "/works", OWNERS, 303, ui=True, foreign=303,
             form=lambda w, t: {"title": f"表单剧 {_next()}", "holder_id": w.holder_ids[t]}),
    # the title stays (other tests find the works by it)
    Endpoint("POST", "/works/{work}/edit", OWNERS, 303, ui=True,
             form=lambda w, t: {"title": f"剧-{t}", "aliases": "别名一，别名二、别名三", "registration_number": "REG-2"}),
    Endpoint("GET", "/queue", REVIEWERS, 200, foreign=None, ui=True),
    Endpoint("GET", "/cases/{case}", ALL, 200, ui=True),
    Endpoint("GET", "/cases/{case}/notices", ALL, 200, ui=True),
    Endpoint("POST", "/notices/{notice}/send-again", REVIEWERS, 303, ui=True, fresh=_refused_notice,
             form=lambda w, t: {}),
    Endpoint("POST", "/cases/{case}/review", REVIEWERS, 303, ui=True, fresh=_fresh_case,
             form=lambda w, t: {"decision": "reject", "note": "matrix"}),
    Endpoint("GET", "/cases", ALL, 200, foreign=None, ui=True),
    Endpoint("GET", "/cases.csv", ALL, 200, foreign=None, ui=True),
    # a foreign case id is skipped, not decided (the redirect reports it)
    Endpoint("POST", "/cases/bulk-review", REVIEWERS, 303, ui=True, foreign=303, fresh=_fresh_case,
             form=lambda w, t: {"decision": "reject", "case_id": "{case}"}),
    Endpoint("GET", "/allowlist", ALL, 200, foreign=None, ui=True),
    Endpoint("POST", "/allowlist", RULES, 303, ui=True,
             form=lambda w, t: {"kind": "account", "value": "licensed-ui", "work_id": str(w.work_ids[t])}),
    Endpoint("POST", "/allowlist/{entry}/delete", RULES, 303, ui=True, fresh=_fresh_entry, form=lambda w, t: {}),
    Endpoint("GET", "/works/{work}/rules", ALL, 200, ui=True),
    Endpoint("POST", "/works/{work}/policy", RULES, 303, ui=True, form=lambda w, t: {"action": "track", "priority": "5"}),
    Endpoint("POST", "/policy/{rule}/delete", RULES, 303, ui=True, fresh=_fresh_rule, form=lambda w, t: {}),
    Endpoint("POST", "/works/{work}/exclusions", RULES, 303, ui=True,
             form=lambda w, t: {"episode_id": str(fake_episode(w.app, w.work_ids[t], number=901)), "start_s": "1", "end_s": "3"}),
    Endpoint("POST", "/exclusions/{exclusion}/delete", RULES, 303, ui=True, fresh=_fresh_exclusion,
             form=lambda w, t: {}),
    Endpoint("POST", "/cases/{case}/counter-notice", DISPUTERS, 303, ui=True, fresh=_noticed_case,
             form=lambda w, t: {"notice_id": "{notice}", "sender": "上传者", "received_on": "2026-12-04"}),
    Endpoint("POST", "/cases/{case}/dispute-decision", DISPUTERS, 303, ui=True, fresh=_disputed_case,
             form=lambda w, t: {"decision": "court"}),
    Endpoint("GET", "/uploaders", ALL, 200, foreign=None, ui=True),
    Endpoint("GET", "/cases/{case}/export.pdf", ALL, 200, ui=True),
    Endpoint("GET", "/users", ADMIN, 200, foreign=None, ui=True),
    Endpoint("POST", "/users", ADMIN, 303, foreign=None, ui=True,
             form=lambda w, t: {"email": f"ui{_next()}@example.test", "role": "legal", "password": "a-long-password",
                                "holder_id": str(w.holder_ids[t])}),
    Endpoint("POST", "/users/{user}", ADMIN, 303, ui=True, form=_same_user_form),
    Endpoint("POST", "/holders", ADMIN, 303, foreign=None, ui=True, form=lambda w, t: {"name": f"公司{_next()}"}),
    Endpoint("GET", "/account", ALL, 200, foreign=None, ui=True),
    # seeded users have no password (none to check) until the first call sets the one the second gives
    Endpoint("POST", "/account/password", ALL, 303, foreign=None, ui=True,
             form=lambda w, t: {"current": "a-new-password-1", "new": "a-new-password-1", "repeat": "a-new-password-1"}),
    Endpoint("POST", "/account/zone", ALL, 303, foreign=None, ui=True, form=lambda w, t: {"zone": "Asia/Shanghai"}),
]

API += authz_onboarding.endpoints(Endpoint, ALL, OWNERS)
UI += authz_onboarding.ui_endpoints(Endpoint, ALL, OWNERS)
ENDPOINTS = API + UI
CALLERS = [(Role.ADMIN, None)] + [(r, "A") for r in (Role.RIGHTS_HOLDER, Role.LEGAL)]


@pytest.fixture(scope="module")
def targets(world: World) -> dict[str, dict[str, str]]:
    """Per tenant: an upload job and a (legal) user whose id the admin endpoints can name."""
    out = {}
    for tenant in TENANTS:
        owner = world.actor(Role.RIGHTS_HOLDER, tenant)
        response = world.client.post(
            f"/api/v1/works/{world.work_ids[tenant]}/episodes",
            params={"number": 1, "filename": "seed.mp4"},
            content=undecodable_video(),
            headers=owner.bearer,
        )
        assert response.status_code == 202, response.text
        case_id = add_case(world.app, world.work_ids[tenant])
        _fresh_entry(world, tenant)
        out[tenant] = {
            "work": str(world.work_ids[tenant]),
            "upload": response.json()["id"],
            "user": str(world.actor(Role.LEGAL, tenant).user_id),
            "case": str(case_id),
            "notice": str(add_notice(world.app, case_id)),
            "index": "1",
            "episode": str(_receipted_episode(world, tenant)),
            "holder": str(world.holder_ids[tenant]),
            "proof": authz_onboarding.new_proof(world, tenant),
            "kind": "notice",
        }
    return out


def _fresh_token_id(world: World, tenant: str, role: Role) -> str:
    actor = world.actor(role, tenant)
    response = world.client.post("/api/v1/auth/tokens", json={"name": "victim"}, headers=actor.bearer)
    return str(response.json()["id"])


def _call(world: World, targets, endpoint: Endpoint, caller, target: str, headers: dict):
    role, tenant = caller
    values = dict(targets[target])
    if endpoint.fresh:
        values.update(endpoint.fresh(world, target))
    if "{token}" in endpoint.path:
        # own: one of the caller's tokens; foreign: a token of the same role in the other tenant
        owner_tenant = tenant if target == (tenant or "A") else target
        owner_role = role if role != Role.ADMIN or target == "A" else Role.LEGAL
        values["token"] = _fresh_token_id(world, owner_tenant, owner_role)
    path = endpoint.path.format(**values)
    body = endpoint.json(world, target) if endpoint.json else None
    if endpoint.ui and endpoint.method == "POST":
        form = {"csrf_token": headers.pop("_csrf"),
                **{k: v.format(**values) if isinstance(v, str) else v for k, v in endpoint.form(world, target).items()}}
        files = {"file": ("upload.png", endpoint.content())} if endpoint.content else None
        return world.client.post(path, data=form, files=files, headers=headers, follow_redirects=False)
    return world.client.request(
        endpoint.method, path, json=body, content=endpoint.content() if endpoint.content else None, params=endpoint.params or None,
        headers=headers, follow_redirects=False,
    )


def expected(endpoint: Endpoint, role: Role, own: bool) -> int:
    if role not in endpoint.allowed:
        return 403
    if own:
        return endpoint.ok
    if endpoint.path.endswith("{token}"):  # tokens are personal, even to admins
        return 404
    if role == Role.ADMIN or endpoint.foreign is None:
        return endpoint.ok
    return endpoint.foreign


@pytest.mark.parametrize("own", [True, False], ids=["own", "foreign"])
@pytest.mark.parametrize("caller", CALLERS, ids=lambda c: c[0].value)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.id)
def test_matrix(world: World, targets, endpoint: Endpoint, caller, own: bool) -> None:
    role, tenant = caller
    actor = world.actor(role, tenant)
    target = (tenant or "A") if own else ("B" if (tenant or "A") == "A" else "A")
    if endpoint.ui:
        headers = {"Cookie": f"dg_session={actor.cookie}", "_csrf": actor.csrf}
    else:
        headers = dict(actor.bearer)
    response = _call(world, targets, endpoint, caller, target, headers)
    want = expected(endpoint, role, own)
    assert response.status_code == want, f"{endpoint.id} as {role} ({'own' if own else 'foreign'}): {response.text[:300]}"
    if endpoint.path == "/works" and endpoint.method == "POST" and want == 303 and role != Role.ADMIN:
        # a rights holder's form names another tenant: the work still lands in their own tenant
        work_id = int(response.headers["location"].rsplit("/", 1)[1])
        detail = world.client.get(f"/api/v1/works/{work_id}", headers=actor.bearer).json()
        assert detail["holder_id"] == world.holder_ids[tenant]


@pytest.mark.parametrize("caller", CALLERS, ids=lambda c: c[0].value)
def test_listings_never_show_another_tenant(world: World, targets, caller) -> None:
    role, tenant = caller
    actor = world.actor(role, tenant)
    works = world.client.get("/api/v1/works", headers=actor.bearer).json()
    holders = {w["holder_id"] for w in works}
    if role == Role.ADMIN:
        assert set(world.holder_ids.values()) <= holders
    else:
        assert holders == {world.holder_ids[tenant]}
    visible = set(TENANTS) if role == Role.ADMIN else {tenant}
    for listing in ("/api/v1/cases", "/api/v1/notices", "/api/v1/allowlist"):
        rows = world.client.get(listing, headers=actor.bearer).json()
        assert {r["work_id"] for r in rows} == {world.work_ids[t] for t in visible}, listing
    page = world.client.get("/works", headers={"Cookie": f"dg_session={actor.cookie}"})
    assert ("剧-B" in page.text) == (role == Role.ADMIN)
    assert "剧-A" in page.text


@pytest.mark.parametrize("endpoint", API, ids=lambda e: e.id)
def test_anonymous_gets_401(world: World, targets, endpoint: Endpoint) -> None:
    path = endpoint.path.format(**targets["A"], token="1", entry="1", rule="1", exclusion="1", track="1")
    response = world.client.request(endpoint.method, path, json=endpoint.json(world, "A") if endpoint.json else None)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("endpoint", [e for e in UI if e.method == "GET"], ids=lambda e: e.id)
def test_anonymous_ui_goes_to_login(world: World, targets, endpoint: Endpoint) -> None:
    response = world.client.get(endpoint.path.format(**targets["A"]), follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("http://testserver/login?next=")


def test_ui_pages_show_the_case_and_its_evidence(world: World, targets) -> None:
    legal = world.actor(Role.LEGAL, "A")
    cookie = {"Cookie": f"dg_session={legal.cookie}"}
    queue = world.client.get("/queue", headers=cookie).text
    assert f'data-case="{targets["A"]["case"]}"' in queue and f'data-case="{targets["B"]["case"]}"' not in queue
    assert "data-deadline=" in queue
    page = world.client.get(f"/cases/{targets['A']['case']}", headers=cookie).text
    assert f"/api/v1/cases/{targets['A']['case']}/keyframes/1" in page and 'class="seg"' in page
    image = world.client.get(f"/api/v1/cases/{targets['A']['case']}/keyframes/1", headers=cookie)
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
    board = world.client.get("/dashboard", headers=cookie)
    assert board.status_code == 200 and board.text.count("<svg") == 3


def test_every_api_route_is_in_the_matrix(world: World) -> None:
    routes = {
        (method.upper(), path)
        for path, operations in world.app.openapi()["paths"].items()
        for method in operations
    }
    assert len(routes) > 10  # the schema lists the API (a vacuous check would pass on nothing)
    covered = {(e.method, e.path.replace("{work}", "{work_id}").replace("{upload}", "{job_id}")
                .replace("{user}", "{user_id}").replace("{token}", "{token_id}")
                .replace("{case}", "{case_id}").replace("{notice}", "{notice_id}")
                .replace("{entry}", "{entry_id}").replace("{rule}", "{rule_id}")
                .replace("{exclusion}", "{exclusion_id}")
                .replace("{track}", "{track_id}")
                .replace("{proof}", "{proof_id}").split("?")[0]) for e in API}
    missing = routes - covered - {("POST", "/api/v1/auth/login")}
    assert not missing, f"endpoints missing from the authorization matrix: {sorted(missing)}"
