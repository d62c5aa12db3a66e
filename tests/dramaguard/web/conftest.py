"""A web world: two tenants, a user of every role in each (admins have no tenant), a work each.

The app runs its real lifespan (SQLite in a temp home, migrations, index); ``live_server`` serves
it with uvicorn on a loopback port for tests that need real HTTP.
"""
from __future__ import annotations

import functools
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from dramaguard.accounts import create_user, issue_token
from dramaguard.settings import Settings, WebSettings
from dramaguard.web import create_app
from dramaguard.security import hash_password, new_secret
from storage import registry
from storage.auth import Role, User, open_session
from storage.db import transaction
from storage.models import RightsHolder

TENANTS = ("A", "B")
PASSWORD = "correct horse battery"


@functools.cache
def password_hash() -> str:
    """argon2 is slow on purpose: hash the shared test password once per run."""
    return hash_password(PASSWORD)


@dataclass
class Actor:
    role: Role
    tenant: str | None
    user_id: int
    email: str
    token: str
    cookie: str = ""
    csrf: str = ""

    @property
    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class World:
    app: FastAPI
    client: TestClient
    actors: dict[tuple[Role, str | None], Actor]
    holder_ids: dict[str, int]
    work_ids: dict[str, int]
    extra: dict = field(default_factory=dict)

    def actor(self, role: Role, tenant: str | None = "A") -> Actor:
        return self.actors[(role, None if role == Role.ADMIN else tenant)]


def seed(app: FastAPI, *, passwords: bool = False) -> tuple[dict, dict, dict]:
    """Tenants A and B with a work each, and users of every role with tokens and UI sessions."""
    services = app.state.services
    actors, holders, works = {}, {}, {}
    with transaction(services.sessions) as session:
        for tenant in TENANTS:
            holder = registry.get_or_create_holder(f"holder-{tenant}", session=session)
            holders[tenant] = holder.id
            works[tenant] = registry.get_or_create_work(f"剧-{tenant}", holder, session=session).id
        people = [(Role.ADMIN, None)] + [(r, t) for t in TENANTS for r in (Role.RIGHTS_HOLDER, Role.LEGAL)]
        for role, tenant in people:
            email = f"{role.value}-{tenant or 'x'}@example.test"
            holder = session.get(RightsHolder, holders[tenant]) if tenant else None
            user = create_user(email, role=role, holder=holder, password=None, session=session)
            user.password_hash = password_hash() if passwords else None
            _, token = issue_token(user, "tests", session=session)
            cookie, csrf = new_secret(), new_secret()
            open_session(user, cookie, csrf, timedelta(hours=1), session=session)
            actors[(role, tenant)] = Actor(role, tenant, user.id, email, token, cookie, csrf)
    return actors, holders, works


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    settings = Settings(home=tmp_path_factory.mktemp("web-home"), web=WebSettings(max_upload_bytes=4 << 20))
    app = create_app(settings)
    with TestClient(app) as client:
        actors, holders, works = seed(app)
        yield World(app, client, actors, holders, works)


def wait_for_upload(client: TestClient, url: str, headers: dict, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(url, headers=headers).json()
        if job["state"] in ("registered", "failed"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"upload still {job['state']} after {timeout} s")


class LiveServer:
    """uvicorn serving the app on 127.0.0.1:<free port> in a thread (lifespan included)."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    def __exit__(self, *exc_info) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


@pytest.fixture
def web_settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home", web=WebSettings(login_max_failures=3))

