"""A web world: two tenants, a user of every role in each (admins have no tenant), a work each.

The app runs its real lifespan (SQLite in a temp home, migrations, index); ``live_server`` serves
it with uvicorn on a loopback port for tests that need real HTTP.
"""
from __future__ import annotations

import functools
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from monitor import casework
from dramaguard.accounts import create_user, issue_token
from indexing.reports import MatchReport
from dramaguard.settings import Settings, WebSettings
from dramaguard.web import create_app
from dramaguard.security import hash_password, new_secret
from notices.clock import SystemClock
from notices.evidence import KeyframePair
from notices.model import CandidateInfo
from sqlalchemy import select
from storage import registry
from storage.base import utcnow
from storage.cases import Case, Delivery, Notice, NoticeItemRow
from storage.auth import Role, open_session
from storage.db import transaction
from storage.models import Episode, Fingerprint, RightsHolder, Work

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


@functools.cache
def undecodable_video() -> bytes:
    """A real MP4 whose header is intact (so the upload is accepted) but whose frames are zeroed:
    registration fails in the background without registering an episode."""
    import tempfile

    from monitor import samples

    with tempfile.TemporaryDirectory() as folder:
        data = bytearray(samples.make_episode(Path(folder) / "z.mp4", seed=3, seconds=1).read_bytes())
    at = data.index(b"mdat") - 4
    size = int.from_bytes(data[at : at + 4], "big")
    data[at + 8 : at + size] = bytes(size - 8)
    return bytes(data)


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



def fake_episode(app: FastAPI, work_id: int, number: int = 900) -> int:
    """A registered episode row (not indexed) for cases to cite; reused per work."""
    with transaction(app.state.services.sessions) as session:
        episode = session.scalar(select(Episode).where(Episode.work_id == work_id, Episode.number == number))
        if episode is None:
            episode = Episode(work_id=work_id, number=number, source_name=f"ep{number}.mp4", duration_s=95.0,
                              sha256=f"{work_id:032d}{number:032d}", size_bytes=1000, fp_algorithm="test",
                              fp_version=1, fp_params={})
            episode.fingerprint = Fingerprint(frame_count=1, dim=1, times_ms=b"\0" * 8, vectors=b"\0" * 4,
                                              digest="d" * 64)
            session.add(episode)
            session.flush()
        return episode.id


def frame(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 255, (64, 36, 3), dtype=np.uint8)


def add_case(app: FastAPI, work_id: int, *, video_id: str | None = None, seconds: float = 12.0,
             episode_id: int | None = None, frames: list[KeyframePair] | None = None) -> int:
    """A case opened by the real casework code (12 s of match: grey zone, so pending review)."""
    episode_id = episode_id or fake_episode(app, work_id)
    video_id = video_id or uuid.uuid4().hex[:12]
    services = app.state.services
    with transaction(services.sessions) as session:
        episode = session.get_one(Episode, episode_id)
        report = MatchReport(
            work=episode.work.title, work_id=work_id, episode=episode.number, episode_id=episode_id,
            reference=episode.source_name, score=0.8, query_start=1.0, query_end=1.0 + seconds,
            ref_start=10.0, ref_end=10.0 + seconds, query_coverage=0.9, ref_coverage=seconds / episode.duration_s,
        )
        candidate = CandidateInfo(
            platform="douyin", video_id=video_id, url=f"https://v.douyin.example/{video_id}",
            title=f"{episode.work.title} 全集", uploader_id="pirate-1", uploader_name="搬运工", view_count=5000,
            uploaded_at=utcnow(),
        )
        pairs = frames if frames is not None else [KeyframePair(1000, 10_000, frame(1), frame(2))]
        [outcome] = casework.ingest_matches(
            session, candidate=candidate, reports=[report], clock=SystemClock(), settings=services.settings,
            keyframes={episode_id: pairs},
        )
        return outcome.case_id


def complete_claimant(app: FastAPI, work_id: int, legal_name: str = "星河短剧有限公司") -> None:
    """A complete claimant profile (example data), seal and certificate for the work's holder."""
    from monitor.demo_profile import register_example_claimant

    with transaction(app.state.services.sessions) as session:
        register_example_claimant(session, session.get_one(Work, work_id), home=app.state.settings.home,
                                  legal_name=legal_name)


def add_notice(app: FastAPI, case_id: int, *, status: str = "sent") -> int:
    """A notice listing ``case_id`` (rows as casework's outbox leaves them), sent or ``failed``."""
    with transaction(app.state.services.sessions) as session:
        case = session.get_one(Case, case_id)
        now = utcnow()
        notice = Notice(public_id=f"DG-T-{case_id}", holder_id=case.holder_id, work_id=case.work_id,
                        platform=case.platform, stage="notice", language="zh", recipient="copyright@douyin.example",
                        subject="侵权通知", text="通知正文", html="<p>通知正文</p>", pdf=b"%PDF", created_at=now)
        notice.items = [NoticeItemRow(case_id=case_id, stage="notice")]
        notice.delivery = Delivery(key=f"k-{case_id}", channel="email", status=status, attempts=1, created_at=now,
                                   sent_at=now if status == "sent" else None,
                                   last_error=None if status == "sent" else "550 5.7.1 rejected by policy")
        session.add(notice)
        session.flush()
        return notice.id
