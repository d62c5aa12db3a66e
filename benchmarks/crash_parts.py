"""The crash campaign's parts (benchmarks.crash_campaign runs them): its processes, the
platform's side of the count (what it received), the invariants checked after every round
(shared with tests/dramaguard/test_crash_campaign.py), and the media it uploads."""
from __future__ import annotations

import asyncio
import email
import email.policy
import os
import random
import signal
import socket
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from benchmarks.procstat import children
from crawler.simulated.server import PlatformSim
from monitor import samples
from monitor.demo import CopyrightMailbox
from indexing.maintenance import CheckReport
from storage.cases import Case, Delivery
from storage.daemon import QueuedCandidate
from storage.db import transaction
from storage.uploads import UploadJob

NOTIFY_WORK, REVIEW_WORK, API_WORK = "契约新娘", "复核剧", "接口上传剧"
HOLDER = "崩溃测试影视"
WORKER_GRACE_S = 5.0


# ---- processes ----------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Proc:
    """One ``dramaguard`` subprocess in its own session, its stderr appended to a log."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.name, self.argv, self.env, self.log = name, argv, env, log
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with open(self.log, "ab") as log:
            self.proc = await asyncio.create_subprocess_exec(
                *self.argv, env=self.env, stdout=asyncio.subprocess.DEVNULL, stderr=log,
                start_new_session=True)

    def kill(self) -> set[int]:
        """SIGKILL the process itself (not its group); returns its children at that moment."""
        kids = children(self.proc.pid)
        os.kill(self.proc.pid, signal.SIGKILL)
        return kids

    async def stop(self) -> int | None:
        if self.proc is None or self.proc.returncode is not None:
            return None if self.proc is None else self.proc.returncode
        self.proc.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(self.proc.wait(), 40)
        except TimeoutError:
            self.proc.kill()
            return await self.proc.wait()

    def kill_group(self) -> None:
        """Last resort at the end: nothing this campaign started may outlive it."""
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


# ---- the platform's side: what it received --------------------------------------------------------

ANSWER_DELAY_S = (0.2, 0.6)  # the platform records a complaint, then takes this long to answer


class CountingPlatform(PlatformSim):
    """The simulated platform, also counting complaint requests (idempotent replays included).

    It answers a complaint only a while after recording it, as a real complaint desk does: a
    kill in that window leaves a notice sent but not recorded, the case the outbox must handle.
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.complaint_posts = 0

    async def _complain(self, request):
        self.complaint_posts += 1
        response = await super()._complain(request)
        await asyncio.sleep(random.uniform(*ANSWER_DELAY_S))
        return response

    def notices_by_video(self) -> Counter:
        return Counter(v for c in self.complaints.values() for v in c.video_ids)


class CountingMailbox(CopyrightMailbox):
    """The e-mail desk, remembering which videos each Message-ID listed."""

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.listed: dict[str, set[str]] = {}
        self.unmarked_resends: list[str] = []  # a Message-ID seen again without the resend marks

    async def handle_DATA(self, server, session, envelope) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        if message["Message-ID"] in self.listed and not (
                message["X-DramaGuard-Resend"] == "yes" and "RESEND" in str(message["Subject"])):
            self.unmarked_resends.append(str(message["Message-ID"]))
        body = message.get_body(preferencelist=("plain", "html"))
        text = body.get_content() if body is not None else ""
        self.listed[message["Message-ID"]] = {
            v.id for v in self.sim.videos.values() if self.sim.page_url(v) in text}
        answer = await super().handle_DATA(server, session, envelope)
        await asyncio.sleep(random.uniform(*ANSWER_DELAY_S))
        return answer

    def notices_by_video(self) -> Counter:
        return Counter(v for videos in self.listed.values() for v in videos)


# ---- the invariants (shared with tests/dramaguard/test_crash_campaign.py) ------------------------

def case_keys(sessions: sessionmaker[Session]) -> dict[int, tuple[str, str]]:
    with transaction(sessions) as session:
        return {c.id: (c.platform, c.video_id) for c in session.scalars(select(Case))}


def lost_cases(before: dict[int, tuple[str, str]], after: dict[int, tuple[str, str]]) -> list[str]:
    return [f"case {cid} ({key[1]}) existed at the kill and is gone" for cid, key in before.items()
            if after.get(cid) != key]


def notice_violations(received: Counter, kinds: dict[str, str], cases_by_video: Counter) -> list[str]:
    """Exactly one notice per pirated/approved upload, none and no case for innocent ones."""
    out = []
    for video, kind in kinds.items():
        got = received[video]
        if kind in ("pirated", "review"):
            if got != 1:
                out.append(f"{video} ({kind}): {got} notices received, expected 1")
            if cases_by_video[video] != 1:
                out.append(f"{video} ({kind}): {cases_by_video[video]} cases, expected 1")
        elif got or cases_by_video[video]:
            out.append(f"{video} ({kind}): innocent upload got {got} notices, "
                       f"{cases_by_video[video]} cases")
    return out


def store_violations(report: CheckReport) -> list[str]:
    """What a check may never find, even right after a crash (repairable drift is fine)."""
    store = report.store
    return ([f"corrupt fingerprint of episode {e}" for e in report.bad_digests]
            + store.bad_evidence + store.bad_receipts + store.bad_samples)


def index_drift(report: CheckReport) -> list[str]:
    return ([f"episode {e} missing from the index" for e in report.missing_from_index]
            + [f"episode {e} in the index but not registered" for e in report.orphans_in_index])


# Half the kills fall at a uniform random time; the other half wait for one of these moments
# (then a further 0–0.3 s), so that the short windows — a delivery being sent, an episode being
# registered — are hit too, not only the idle stretches between them.
DAEMON_MOMENTS = ("candidate pending", "case opened, notice not sent", "delivery sending")
API_MOMENTS = ("registering an episode", "approval being dispatched")


def moment_reached(session: Session, moment: str, videos: list[str]) -> bool:
    if moment == "candidate pending":
        return session.scalar(select(QueuedCandidate.id).where(
            QueuedCandidate.video_id.in_(videos), QueuedCandidate.state == "pending").limit(1)) is not None
    if moment == "case opened, notice not sent":
        return session.scalar(select(Case.id).where(
            Case.video_id.in_(videos), Case.notified_at.is_(None)).limit(1)) is not None
    if moment == "delivery sending":
        return session.scalar(select(Delivery.id).where(Delivery.status == "sending").limit(1)) is not None
    if moment == "registering an episode":
        return session.scalar(select(UploadJob.id).where(
            UploadJob.state.in_(("queued", "fingerprinting"))).limit(1)) is not None
    if moment == "approval being dispatched":
        return session.scalar(select(Case.id).where(Case.state == "approved").limit(1)) is not None
    raise ValueError(moment)


def kill_point(session: Session, videos: list[str], expected: int) -> str:
    """Where the daemon's work on this round's ``expected`` uploads (``videos`` of them on the
    platform so far) stood when it was killed."""
    rows = list(session.scalars(select(QueuedCandidate).where(QueuedCandidate.video_id.in_(videos))))
    cases = list(session.scalars(select(Case).where(Case.video_id.in_(videos))))
    if len(rows) < expected:
        return "discovery"
    if any(r.state == "pending" for r in rows):
        return "sample/fingerprint/match"
    if session.scalar(select(Delivery.id).where(Delivery.status == "sending").limit(1)):
        return "delivering (claimed, not recorded)"
    if any(c.notified_at is None and c.state != "pending_review" for c in cases):
        return "case open, notice due"
    if any(c.state == "pending_review" for c in cases):
        return "waiting for review"
    if any(c.removed_at is None for c in cases):
        return "notified, re-checking removal"
    return "idle"


# ---- the campaign ---------------------------------------------------------------------------------

@dataclass
class Media:
    episodes: dict[str, list[Path]]
    pirated: list[Path]
    review: list[Path]
    innocent: list[Path]


def make_media(root: Path) -> Media:
    root.mkdir(parents=True, exist_ok=True)
    ep = lambda name, seed, s=6: samples.make_episode(root / name, seed=seed, seconds=s)  # noqa: E731
    a1, a2, b1 = ep("a1.mp4", 1), ep("a2.mp4", 2), ep("b1.mp4", 3)
    pirated = [
        samples.pirate_copy(a1, root / "p1.mp4", transforms=(samples.hflip, samples.crop(0.10))),
        samples.pirate_copy(a2, root / "p2.mp4", transforms=(samples.pad_16x9,), speed=1.25),
    ]
    review = [samples.pirate_copy(b1, root / "r1.mp4", transforms=(samples.hflip,))]
    innocent = [ep("i1.mp4", 901, 5), ep("i2.mp4", 902, 5)]
    return Media({NOTIFY_WORK: [a1, a2], REVIEW_WORK: [b1]}, pirated, review, innocent)


@dataclass
class Summary:
    rounds: int = 0
    kills: Counter = field(default_factory=Counter)  # daemon | api | both
    points: Counter = field(default_factory=Counter)  # "daemon: <point>", "api: <op>"
    uploads: Counter = field(default_factory=Counter)  # by kind
    registrations: int = 0
    re_uploads: int = 0
    approvals: int = 0
    drift_repaired: Counter = field(default_factory=Counter)  # what check --repair removed
    orphan_workers_checked: int = 0
    notices_sent: int = 0  # as the platform received them, re-sends included
    notices_distinct: int = 0  # distinct complaints (idempotency keys) or e-mails (Message-IDs)
    unmarked_resends: int = 0  # e-mail: a second copy of a Message-ID not marked as a re-send
    violations: list[str] = field(default_factory=list)
    wall_s: float = 0.0
    cpu_s: float = 0.0
    round_s: list[float] = field(default_factory=list)
