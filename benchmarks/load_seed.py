"""A seeded home for the load test: tenants, users of every role, real episodes, cases with evidence.

Episodes are real registrations of clips from ``../shared/bench/dev/refs`` (so the server's index
reconcile on start-up sees genuine fingerprints); cases are opened by the real casework code with
keyframes decoded from those clips, so case pages and keyframe images do their full work.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from monitor import casework
from dramaguard.accounts import create_user, issue_token
from dramaguard.security import hash_password
from indexing.catalogue import Services
from indexing.reports import MatchReport
from dramaguard.settings import Settings
from notices.clock import SystemClock
from notices.evidence import KeyframePair
from notices.model import CandidateInfo
from storage import registry
from storage.auth import Role
from storage.db import transaction
from storage.models import Episode

PASSWORD = "load-test password 1"


@dataclass
class Account:
    email: str
    role: Role
    tenant: str | None
    token: str


@dataclass
class Seeded:
    accounts: list[Account]
    work_ids: dict[str, int]  # tenant → work
    case_ids: dict[str, list[int]] = field(default_factory=dict)  # tenant → pending cases


def _frames(path: Path, count: int = 2) -> list[np.ndarray]:
    """``count`` RGB frames spread over a real clip (the evidence keyframes)."""
    capture = cv2.VideoCapture(str(path))
    total = int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) or 1
    frames = []
    for i in range(count):
        capture.set(cv2.CAP_PROP_POS_FRAMES, (i + 1) * total // (count + 1))
        ok, bgr = capture.read()
        if not ok:
            raise RuntimeError(f"cannot decode a frame of {path}")
        frames.append(cv2.cvtColor(cv2.resize(bgr, (320, 180)), cv2.COLOR_BGR2RGB))
    capture.release()
    return frames


def seed(settings: Settings, refs: list[Path], *, tenants: int, cases: int, users_per_role: int) -> Seeded:
    """Register one reference clip per tenant, add users and tokens, open ``cases`` pending cases."""
    names = [chr(ord("A") + i) for i in range(tenants)]
    password_hash = hash_password(PASSWORD)  # argon2 is slow on purpose: hash once, share it
    accounts: list[Account] = []
    work_ids: dict[str, int] = {}
    episodes: dict[str, int] = {}
    with Services.open(settings) as services:
        for name, ref in zip(names, refs, strict=False):
            [result] = services.register_files([ref], work=f"load-drama-{name}", holder=f"holder-{name}")
            if result.error:
                raise RuntimeError(f"registering {ref}: {result.error}")
            episodes[name] = result.episode_id
        with transaction(services.sessions) as session:
            people = [(Role.ADMIN, None)] + [(r, t) for t in names for r in (Role.LEGAL, Role.RIGHTS_HOLDER)]
            for role, tenant in people:
                holder = registry.get_or_create_holder(f"holder-{tenant}", session=session) if tenant else None
                for n in range(users_per_role):
                    email = f"{role.value}-{tenant or 'x'}-{n}@load.test"
                    user = create_user(email, role=role, holder=holder, password=None, session=session)
                    user.password_hash = password_hash
                    _, token = issue_token(user, "load", session=session)
                    accounts.append(Account(email, role, tenant, token))
            for name, episode_id in episodes.items():
                work_ids[name] = session.get_one(Episode, episode_id).work_id
        seeded = Seeded(accounts, work_ids)
        for i in range(cases):
            name = names[i % len(names)]
            seeded.case_ids.setdefault(name, []).append(
                _open_case(services, episodes[name], refs[names.index(name)], i)
            )
    return seeded


_FRAME_CACHE: dict[Path, list[np.ndarray]] = {}


def _open_case(services: Services, episode_id: int, ref: Path, i: int) -> int:
    """A grey-zone match (12 s), so the case waits for legal review."""
    frames = _FRAME_CACHE.setdefault(ref, _frames(ref))
    seconds = 12.0
    video_id = uuid.uuid4().hex[:12]
    with transaction(services.sessions) as session:
        episode = session.get_one(Episode, episode_id)
        report = MatchReport(
            work=episode.work.title, work_id=episode.work_id, episode=episode.number, episode_id=episode_id,
            reference=episode.source_name, score=0.8, query_start=1.0, query_end=1.0 + seconds,
            ref_start=0.5, ref_end=0.5 + seconds, query_coverage=0.9,
            ref_coverage=min(1.0, seconds / max(episode.duration_s, seconds)),
        )
        candidate = CandidateInfo(
            platform="douyin", video_id=video_id, url=f"https://v.douyin.example/{video_id}",
            title=f"{episode.work.title} 全集 {i}", uploader_id=f"pirate-{i % 17}", uploader_name="搬运工",
            view_count=1000 + i,
        )
        pairs = [KeyframePair(1000 + 500 * k, 1500 + 500 * k, frames[k], frames[k]) for k in range(len(frames))]
        [outcome] = casework.ingest_matches(
            session, candidate=candidate, reports=[report], clock=SystemClock(), settings=services.settings,
            keyframes={episode_id: pairs},
        )
        if outcome.case_id is None:
            raise RuntimeError(f"no case opened for {video_id}: {outcome}")
        return outcome.case_id

