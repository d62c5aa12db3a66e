"""CSRF on every state-changing route (taken from the app's route list, not written by hand), and
login brute force per account and per address, over real HTTP (uvicorn on loopback)."""
from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest
from fastapi.routing import APIRoute

from dramaguard.settings import Settings, WebSettings
from dramaguard.web import create_app
from dramaguard.web.deps import CSRF_HEADER, SESSION_COOKIE
from dramaguard.security import new_secret
from storage.auth import Role, User, open_session
from storage.db import transaction

from .conftest import PASSWORD, LiveServer, World, seed

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
MAX_FAILURES = 3


def routes(app):
    """(path, methods) of every route, through included routers (newer FastAPI keeps them nested)."""
    for route in app.routes:
        if isinstance(route, APIRoute):
            yield route.path, route.methods
        elif hasattr(route, "effective_route_contexts"):
            for context in route.effective_route_contexts():
                yield context.path, getattr(context.original_route, "methods", None) or set()


def unsafe_routes(app, *, api: bool) -> list[tuple[str, str]]:
    return sorted(
        (method, path)
        for path, methods in routes(app)
        if path.startswith("/api/") == api
        for method in methods & UNSAFE
    )


def concrete(path: str) -> str:
    """Any id will do: the CSRF check runs before the endpoint looks anything up."""
    return re.sub(r"\{[^}]+\}", "1", path)


def admin_session(world: World) -> tuple[str, str]:
    """A new UI session (cookie, CSRF token) for the admin, who may call every route."""
    cookie, csrf = new_secret(), new_secret()
    with transaction(world.app.state.services.sessions) as session:
        open_session(session.get_one(User, world.actor(Role.ADMIN).user_id), cookie, csrf,
                     timedelta(hours=1), session=session)
    return cookie, csrf


def test_every_state_changing_form_refuses_a_missing_or_wrong_token(world: World):
    session_cookie, csrf = admin_session(world)
    routes = [r for r in unsafe_routes(world.app, api=False) if r[1] != "/login"]
    routes.sort(key=lambda r: r[1] == "/logout")  # its control call ends the session: last
    assert {("POST", "/works"), ("POST", "/logout"), ("POST", "/cases/{case_id}/review")} <= set(routes)
    cookie = {"Cookie": f"{SESSION_COOKIE}={session_cookie}"}
    for method, path in routes:
        for form in ({}, {"csrf_token": ""}, {"csrf_token": "forged"}, {"csrf_token": csrf[:-1]}):
            response = world.client.request(method, concrete(path), data=form, headers=cookie,
                                            follow_redirects=False)
            assert response.status_code == 403, (method, path, form, response.status_code, response.headers.get("location"))
            assert "CSRF" in response.text
        # control: the right token gets past the check (whatever the endpoint then says)
        good = world.client.request(method, concrete(path), data={"csrf_token": csrf}, headers=cookie,
                                    follow_redirects=False)
        assert good.status_code != 403 or "CSRF" not in good.text, (method, path)


def test_the_login_form_refuses_a_missing_or_wrong_token(world: World):
    legal = world.actor(Role.LEGAL)
    for token in (None, "", "forged"):
        form = {"email": legal.email, "password": PASSWORD, **({} if token is None else {"csrf_token": token})}
        assert world.client.post("/login", data=form, follow_redirects=False).status_code == 403


def test_every_state_changing_api_call_with_a_cookie_needs_the_csrf_header(world: World):
    session_cookie, csrf = admin_session(world)
    routes = [r for r in unsafe_routes(world.app, api=True) if r[1] != "/api/v1/auth/login"]
    assert len(routes) >= 12
    world.client.cookies.clear()
    cookie = {"Cookie": f"{SESSION_COOKIE}={session_cookie}"}
    for method, path in routes:
        for header in ({}, {CSRF_HEADER: ""}, {CSRF_HEADER: "forged"}, {CSRF_HEADER: csrf.upper()}):
            response = world.client.request(method, concrete(path), headers={**cookie, **header})
            assert response.status_code == 403, (method, path, header, response.status_code)
            assert CSRF_HEADER in response.json()["detail"]
        good = world.client.request(method, concrete(path), headers={**cookie, CSRF_HEADER: csrf})
        assert good.status_code != 403, (method, path, good.text)


# ---- brute force, on a real socket so the client address is real ----

@pytest.fixture
def live(tmp_path):
    app = create_app(Settings(home=tmp_path / "home", web=WebSettings(login_max_failures=MAX_FAILURES)))
    with LiveServer(app) as server:
        actors, _, _ = seed(app, passwords=True)
        yield server.url, actors


def client_from(url: str, address: str) -> httpx.Client:
    """A client whose connections come from ``address`` (any 127.x.y.z is this machine)."""
    return httpx.Client(base_url=url, transport=httpx.HTTPTransport(local_address=address), timeout=30)


def api_login(client: httpx.Client, email: str, password: str, **headers) -> int:
    return client.post("/api/v1/auth/login", json={"email": email, "password": password},
                       headers=headers).status_code


def test_password_spraying_from_one_address_is_blocked_for_every_account(live):
    """Many accounts, one wrong password each, from one address: the address limit (4× the
    per-account one) trips, and then even a right password from there is refused — but not from
    another address. Rotating X-Forwarded-For does not help: the sender is not a trusted proxy."""
    url, actors = live
    victim = actors[(Role.LEGAL, "A")].email
    with client_from(url, "127.0.0.2") as attacker, client_from(url, "127.0.0.3") as bystander:
        statuses = [
            api_login(attacker, f"user{i}@example.test", "Winter2026!", **{"X-Forwarded-For": f"203.0.113.{i}"})
            for i in range(4 * MAX_FAILURES + 3)
        ]
        assert statuses[: 4 * MAX_FAILURES] == [401] * (4 * MAX_FAILURES)
        assert set(statuses[4 * MAX_FAILURES :]) == {429}
        assert api_login(attacker, victim, PASSWORD, **{"X-Forwarded-For": "198.51.100.7"}) == 429
        assert api_login(bystander, victim, PASSWORD) == 201


def test_guessing_one_account_from_many_addresses_is_blocked_per_account(live):
    url, actors = live
    victim = actors[(Role.RIGHTS_HOLDER, "B")].email
    statuses = []
    for i in range(MAX_FAILURES + 2):
        with client_from(url, f"127.0.1.{i + 1}") as client:
            statuses.append(api_login(client, victim.upper() if i % 2 else victim, f"guess-{i}"))
    assert statuses == [401] * MAX_FAILURES + [429, 429]  # the address changes; the e-mail's case too
    with client_from(url, "127.0.2.1") as fresh:
        assert api_login(fresh, victim, PASSWORD) == 429  # even the right password, from anywhere
        assert api_login(fresh, actors[(Role.LEGAL, "B")].email, PASSWORD) == 201
