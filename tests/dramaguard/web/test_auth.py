"""Password login, sessions, CSRF, login rate limiting and API tokens, over the real app."""
from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from dramaguard.web import create_app
from storage.auth import ApiToken, LoginAttempt, Role, User, WebSession
from storage.db import transaction

from .conftest import PASSWORD, seed


@pytest.fixture
def site(web_settings):
    app = create_app(web_settings)
    with TestClient(app) as client:
        actors, holders, _ = seed(app, passwords=True)
        yield app, client, actors, holders


def login_form(client: TestClient, email: str, password: str, next_path: str = "/works", csrf: str | None = None):
    page = client.get("/login")
    token = csrf if csrf is not None else re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token, "next": next_path},
        follow_redirects=False,
    )


def test_login_sets_a_session_cookie_and_stores_only_its_hash(site):
    app, client, actors, _ = site
    legal = actors[(Role.LEGAL, "A")]
    response = login_form(client, legal.email, PASSWORD)
    assert response.status_code == 303 and response.headers["location"] == "/works"
    cookie = response.cookies["dg_session"]
    assert "httponly" in response.headers["set-cookie"].lower()
    page = client.get("/works")
    assert page.status_code == 200 and legal.email.split("@")[0] in page.text
    with transaction(app.state.services.sessions) as session:
        hashes = set(session.scalars(select(WebSession.token_hash)))
        stored = session.scalar(select(User.password_hash).where(User.id == legal.user_id))
    assert cookie not in hashes and len(hashes) == len(actors) + 1
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_wrong_password_and_unknown_user_look_the_same(site):
    _, client, actors, _ = site
    wrong = login_form(client, actors[(Role.LEGAL, "A")].email, "nope nope nope")
    unknown = login_form(client, "nobody@example.test", "nope nope nope")
    assert wrong.status_code == unknown.status_code == 401
    assert "dg_session" not in wrong.cookies and "dg_session" not in unknown.cookies


def test_login_is_rate_limited_per_account_even_with_the_right_password(site):
    app, client, actors, _ = site
    email = actors[(Role.RIGHTS_HOLDER, "B")].email
    for _ in range(app.state.settings.web.login_max_failures):
        assert login_form(client, email, "wrong password!").status_code == 401
    blocked = login_form(client, email, PASSWORD)
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
    assert "dg_session" not in blocked.cookies
    api = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert api.status_code == 429
    # another account from elsewhere is unaffected; the failures were recorded, the blocked tries not
    assert client.post("/api/v1/auth/login", json={"email": actors[(Role.LEGAL, "B")].email, "password": PASSWORD}).status_code == 201
    with transaction(app.state.services.sessions) as session:
        attempts = session.scalars(select(LoginAttempt.succeeded).where(LoginAttempt.email == email.lower())).all()
    assert attempts == [False] * app.state.settings.web.login_max_failures


def test_login_form_needs_its_csrf_token(site):
    _, client, actors, _ = site
    response = login_form(client, actors[(Role.LEGAL, "A")].email, PASSWORD, csrf="forged")
    assert response.status_code == 403


def test_open_redirects_are_refused(site):
    _, client, actors, _ = site
    response = login_form(client, actors[(Role.LEGAL, "A")].email, PASSWORD, next_path="//evil.example/x")
    assert response.status_code == 303 and response.headers["location"] == "/"


def test_forms_and_cookie_api_calls_need_the_session_csrf_token(site):
    _, client, actors, _ = site
    owner = actors[(Role.RIGHTS_HOLDER, "A")]
    cookie = {"Cookie": f"dg_session={owner.cookie}"}
    forged = client.post("/works", data={"title": "X", "csrf_token": "guess"}, headers=cookie, follow_redirects=False)
    assert forged.status_code == 403
    good = client.post("/works", data={"title": "X", "csrf_token": owner.csrf}, headers=cookie, follow_redirects=False)
    assert good.status_code == 303
    no_header = client.post("/api/v1/works", json={"title": "Y"}, headers=cookie)
    assert no_header.status_code == 403
    with_header = client.post("/api/v1/works", json={"title": "Y"}, headers={**cookie, "X-CSRF-Token": owner.csrf})
    assert with_header.status_code == 201
    assert client.get("/api/v1/works", headers=cookie).status_code == 200  # reads need no token


def test_logout_ends_the_session(site):
    _, client, actors, _ = site
    owner = actors[(Role.RIGHTS_HOLDER, "A")]
    cookie = {"Cookie": f"dg_session={owner.cookie}"}
    assert client.post("/logout", data={"csrf_token": owner.csrf}, headers=cookie, follow_redirects=False).status_code == 303
    assert client.get("/works", headers=cookie, follow_redirects=False).status_code == 303
    assert client.get("/api/v1/me", headers=cookie).status_code == 401


def test_api_tokens_are_hashed_revocable_and_personal(site):
    app, client, actors, _ = site
    legal = actors[(Role.LEGAL, "A")]
    created = client.post("/api/v1/auth/login", json={"email": legal.email, "password": PASSWORD, "token_name": "script"})
    assert created.status_code == 201
    token = created.json()["token"]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me["role"] == "legal" and me["holder_name"] == "holder-A"
    with transaction(app.state.services.sessions) as session:
        stored = set(session.scalars(select(ApiToken.token_hash)))
    assert token not in stored and all(len(h) == 64 for h in stored)
    listed = client.get("/api/v1/auth/tokens", headers={"Authorization": f"Bearer {token}"}).json()
    assert {t["name"] for t in listed} == {"tests", "script"} and all("token" not in t for t in listed)
    revoke = client.delete(f"/api/v1/auth/tokens/{created.json()['id']}", headers=legal.bearer)
    assert revoke.status_code == 204
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert client.get("/api/v1/me", headers=legal.bearer).status_code == 200


def test_deactivated_users_lose_access_at_once(site):
    _, client, actors, _ = site
    admin, victim = actors[(Role.ADMIN, None)], actors[(Role.RIGHTS_HOLDER, "A")]
    response = client.patch(f"/api/v1/admin/users/{victim.user_id}", json={"is_active": False}, headers=admin.bearer)
    assert response.status_code == 200 and response.json()["is_active"] is False
    assert client.get("/api/v1/me", headers=victim.bearer).status_code == 401
    assert client.get("/works", headers={"Cookie": f"dg_session={victim.cookie}"}, follow_redirects=False).status_code == 303
    assert login_form(client, victim.email, PASSWORD).status_code == 401


def test_admins_cannot_lock_themselves_out_and_tenants_are_required(site):
    _, client, actors, holders = site
    admin = actors[(Role.ADMIN, None)]
    demote = client.patch(
        f"/api/v1/admin/users/{admin.user_id}", json={"role": "legal", "holder_id": holders["A"]}, headers=admin.bearer
    )
    assert demote.status_code == 409
    orphan = client.post("/api/v1/admin/users", json={"email": "x@example.test", "role": "legal"}, headers=admin.bearer)
    assert orphan.status_code == 400 and "holder_id" in orphan.text


def test_pages_forbid_framing_and_foreign_scripts(site):
    _, client, _, _ = site
    headers = client.get("/login").headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
