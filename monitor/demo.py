"""`dramaguard demo`: the product's main job, end to end, on the embedded defaults.

It generates a small drama and registers it (with a claimant profile, so notices are legally
complete), starts the simulated platform on loopback, and runs the real daemon against it while
uploads appear over time: pirated copies (mirrored + cropped, padded + sped up, a "全集"
compilation) among innocent videos and one upload by the licensed account. The daemon discovers,
matches, opens cases (storage.cases, with evidence packages), sends the notices through the
notices channels — by default e-mail to the platform's copyright mailbox, a real SMTP server on
loopback (aiosmtpd) that keeps each notice as ``mailbox/*.eml`` and has the platform take the listed
videos down, as a platform's e-mail complaint desk would; ``channel="http"`` uses the platform's
complaint API instead — and the platform removes the copies, which the daemon's re-check verifies. Then a timeline per upload
and a summary are printed. Everything stays in the data home (database, index, samples,
``evidence/``) for the API and UI to browse.

``time_scale`` stretches every interval and delay (1.0 is the quick default). The pieces
(:func:`demo_settings`, :func:`prepare_work`, :func:`timeline`) are shared by the tests and
benchmark.
"""
from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, Self

from aiosmtpd.controller import Controller
from rich.console import Console
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from crawler.simulated.streams import package as stream_package
from crawler.simulated.server import PlatformSim
from monitor import samples
from monitor.casework_adapter import NoticesCasework
from monitor.daemon import Daemon
from indexing.catalogue import Services
from monitor.demo_profile import register_example_claimant
from monitor.config import MonitorConfig
from notices.policy import Action, PolicyRule
from storage import work_rules
from storage.cases import Case
from storage.daemon import QueuedCandidate
from storage.db import transaction
from storage.models import Work

TITLE = "霸道总裁的契约新娘"
HOLDER = "示例影视有限公司"
LICENSED_ACCOUNT = "official_studio"
EPISODE_SECONDS = 8


@dataclass(frozen=True)
class Upload:
    name: str
    title: str
    description: str
    kind: str  # pirated | innocent | licensed
    uploader: str = "user_{n}"
    stream: str = "mp4"  # how the platform serves it: mp4, hls, hls-fmp4, dash


def uploads_for(episodes: int) -> list[Upload]:
    last = min(2, episodes)
    return [
        Upload("copy_flip_crop.mp4", f"{TITLE} 第1集", "flip+crop ep1", "pirated"),
        Upload("innocent_1.mp4", "我的周末vlog", "unrelated", "innocent"),
        Upload("copy_pad_speed.mp4", f"{TITLE} 第{last}集 高清", f"pad+1.25× ep{last}, HLS",
               "pirated", stream="hls"),
        Upload("licensed.mp4", f"{TITLE} 第{last}集 官方", f"ep{last}, licensee", "licensed",
               LICENSED_ACCOUNT),
        Upload("innocent_2.mp4", "另一部短剧 第3集", "other drama, fMP4 HLS", "innocent",
               stream="hls-fmp4"),
        Upload("compilation.mp4", f"{TITLE} 全集", f"全集 ep1–{episodes}, DASH", "pirated",
               stream="dash"),
    ]


def generate(media: Path, episodes: int) -> tuple[list[Path], dict[str, Path]]:
    """Make the episodes and the uploads (files already there are reused)."""
    media.mkdir(parents=True, exist_ok=True)
    eps = []
    for n in range(1, episodes + 1):
        path = media / f"episode_{n:02d}.mp4"
        if not path.exists():
            samples.make_episode(path, seed=n, seconds=EPISODE_SECONDS)
        eps.append(path)
    last = eps[min(2, episodes) - 1]
    makers = {
        "copy_flip_crop.mp4": lambda p: samples.pirate_copy(eps[0], p, transforms=(samples.hflip, samples.crop(0.10))),
        "copy_pad_speed.mp4": lambda p: samples.pirate_copy(last, p, transforms=(samples.pad_16x9,), speed=1.25),
        "compilation.mp4": lambda p: samples.compilation(eps, p),
        "licensed.mp4": lambda p: samples.pirate_copy(last, p),
        "innocent_1.mp4": lambda p: samples.make_episode(p, seed=1001, seconds=6),
        "innocent_2.mp4": lambda p: samples.make_episode(p, seed=1002, seconds=6),
    }
    files = {}
    for name, make in makers.items():
        path = media / "uploads" / name
        if not path.exists():
            make(path)
        files[name] = path
    return eps, files


class DemoConfig(MonitorConfig, Protocol):
    """The monitor's view plus pydantic's copy with updated sections, which the demo's overrides use."""

    def model_copy(self, *, update: dict[str, Any] | None = None, deep: bool = False) -> Self: ...


def demo_settings(
    settings: DemoConfig, *, platform_url: str, scale: float = 1.0, channel: str = "http",
    smtp_port: int | None = None, search: bool = False,
) -> DemoConfig:
    """The daemon on a fast clock, watching the simulated platform on loopback; notices for it
    go through ``channel`` (its complaint API, or e-mail to its copyright mailbox on
    ``smtp_port``) and removals are re-checked every ``scale`` seconds."""
    crawler = settings.crawler.model_copy(update={
        "allow_private_addresses": True, "rate_per_s": 0.0, "retries": 2, "backoff_s": 0.1,
        "platforms": {**settings.crawler.platforms, "simulated": {"base_url": platform_url}},
    })
    daemon = settings.daemon.model_copy(update={
        "platforms": ["simulated"], "search_works": search,
        "new_uploads_interval_s": 1.0 * scale, "feed_interval_s": 0.5 * scale,
        "dispatch_interval_s": 0.5 * scale, "recheck_interval_s": 1.0 * scale,
        "watchdog_interval_s": 5.0 * scale, "index_refresh_interval_s": 10.0 * scale,
        "misfire_grace_s": max(1, int(5 * scale)), "health_port": 0, "shutdown_grace_s": 5.0,
    })
    notices = settings.notices.model_copy(update={
        "platform_channels": {**settings.notices.platform_channels, "simulated": channel},
        "complaint_api_urls": {**settings.notices.complaint_api_urls, "simulated": platform_url},
        "email_recipients": {**settings.notices.email_recipients, "simulated": COPYRIGHT_DESK},
        "smtp_host": "127.0.0.1", "smtp_port": smtp_port or settings.notices.smtp_port,
        "smtp_starttls": False,
        "recheck_interval_minutes": scale / 60, "send_lease_s": 10.0 * scale,
    })
    return settings.model_copy(update={"crawler": crawler, "daemon": daemon, "notices": notices})


COPYRIGHT_DESK = "copyright@platform.example"


class CopyrightMailbox:
    """The simulated platform's e-mail complaint desk: a real SMTP server (aiosmtpd) on loopback.

    Every notice is kept as an ``.eml`` file; the platform's video URLs it lists are taken down
    after the platform's takedown delay, on the demo's event loop.
    """

    def __init__(self, sim: PlatformSim, folder: Path, loop: asyncio.AbstractEventLoop) -> None:
        self.sim, self.folder, self.loop = sim, folder, loop
        self.received = 0
        folder.mkdir(parents=True, exist_ok=True)
        self.controller = Controller(self, hostname="127.0.0.1", port=_free_port())

    @property
    def port(self) -> int:
        return self.controller.port

    async def handle_DATA(self, server, session, envelope) -> str:
        self.received += 1
        (self.folder / f"notice_{self.received:03d}.eml").write_bytes(envelope.content)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain", "html"))
        text = body.get_content() if body is not None else ""
        listed = [v.id for v in self.sim.videos.values() if self.sim.page_url(v) in text]
        self.loop.call_soon_threadsafe(self._take_down_later, listed)
        return "250 OK"

    def _take_down_later(self, video_ids: list[str]) -> None:
        for video_id in video_ids:
            self.loop.call_later(self.sim.takedown_delay_s, self.sim.take_down, video_id)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare_work(session: Session, work: Work, *, notify_score: float, home: Path) -> None:
    """What a rights holder sets up once: who signs the notices (a complete profile, seal and
    registration certificate, all marked as example data), and a policy for episodes this short
    (the default policy wants 30 s of match; the demo's episodes last 8 s)."""
    register_example_claimant(session, work, home=home)
    if not work_rules.policy_rules(session, work_id=work.id):
        for rule in (
            PolicyRule(Action.NOTIFY, priority=10, min_matched_s=3.0, min_ref_share=0.5,
                       min_score=notify_score, name="demo: short episodes, mostly copied"),
            PolicyRule(Action.REVIEW, priority=20, min_matched_s=1.0, name="demo: partial"),
        ):
            work_rules.add_policy_rule(session, work_id=work.id, rule=rule)


@dataclass
class Row:
    video_id: str
    upload: Upload
    uploaded: datetime
    discovered: datetime | None = None
    matched: datetime | None = None
    notified: datetime | None = None
    removed: datetime | None = None
    outcome: str = "pending"


def timeline(services: Services, uploaded: dict[str, tuple[Upload, datetime]]) -> list[Row]:
    """What happened to each upload (by platform video id), read back from the database."""
    rows = {vid: Row(vid, up, at) for vid, (up, at) in uploaded.items()}
    with transaction(services.sessions) as session:
        for c in session.scalars(select(QueuedCandidate).where(QueuedCandidate.video_id.in_(rows))):
            row = rows[c.video_id]
            row.discovered = c.discovered_at
            row.outcome = c.outcome or c.state
            row.matched = c.processed_at if c.outcome == "matched" else None
            for case in session.scalars(select(Case).where(
                    Case.platform == c.platform, Case.video_id == c.video_id)):
                row.notified, row.removed = case.notified_at, case.removed_at
                row.outcome = case.state
    return list(rows.values())


def finished(rows: list[Row]) -> bool:
    """Every pirated upload removed, every other upload processed."""
    return all(
        r.removed is not None if r.upload.kind == "pirated" else r.outcome not in ("pending", "retry")
        for r in rows
    )


def settings_env(settings: MonitorConfig) -> dict[str, str]:
    """Environment that gives a daemon subprocess these crawler, daemon and notices sections."""
    return {"DRAMAGUARD_CRAWLER": settings.crawler.model_dump_json(),
            "DRAMAGUARD_DAEMON": settings.daemon.model_dump_json(),
            "DRAMAGUARD_NOTICES": settings.notices.model_dump_json()}


@dataclass
class Outcome:
    rows: list[Row]
    sim: PlatformSim
    mails: int = 0  # notices received by the platform's copyright mailbox


async def run_scenario(settings: DemoConfig, *, episodes: int, scale: float, console: Console,
                       timeout_s: float = 100.0, channel: str = "email", search: bool = False) -> Outcome:
    eps, files = await asyncio.to_thread(generate, settings.home / "demo-media", episodes)
    with Services.open(settings) as services:
        results = services.register_files(eps, work=TITLE, holder=HOLDER)
        with transaction(services.sessions) as session:
            work = session.scalar(select(Work).where(Work.title == TITLE))
            work.licensed_accounts = [LICENSED_ACCOUNT]
            prepare_work(session, work, notify_score=settings.matcher.notify_score, home=settings.home)
        console.print(f"registered {sum(not r.error for r in results)} episodes of '{TITLE}' "
                      f"({EPISODE_SECONDS} s each); licensed account: {LICENSED_ACCOUNT}")
    sim = PlatformSim(takedown_delay_s=1.0 * scale)
    platform_url = await sim.start()
    mailbox = CopyrightMailbox(sim, settings.home / "mailbox", asyncio.get_running_loop())
    mailbox.controller.start()
    where = (f"e-mail to {COPYRIGHT_DESK} on smtp://127.0.0.1:{mailbox.port}" if channel == "email"
             else "its complaint API")
    console.print(f"simulated platform {platform_url} (notices go by {where})")
    run_settings = demo_settings(settings, platform_url=platform_url, scale=scale, channel=channel,
                                 smtp_port=mailbox.port, search=search)
    stop = asyncio.Event()
    daemon = Daemon(run_settings, NoticesCasework)
    daemon_task = asyncio.create_task(daemon.run(stop))
    uploaded: dict[str, tuple[Upload, datetime]] = {}
    try:
        for n, upload in enumerate(uploads_for(episodes), start=1):
            await asyncio.sleep(1.0 * scale)
            data = files[upload.name].read_bytes()
            served = None if upload.stream == "mp4" else await asyncio.to_thread(
                stream_package, data, upload.stream)  # segmenting is FFmpeg work: off the loop
            video = sim.add_video(data, title=upload.title, uploader_id=upload.uploader.format(n=n),
                                  stream=upload.stream, package=served)
            uploaded[video.id] = (upload, video.uploaded_at)
            console.print(f"  upload {video.id}: {upload.title} ({upload.description}) by {video.uploader_id}")
        deadline = time.monotonic() + timeout_s
        with Services.open(settings) as services:
            while time.monotonic() < deadline and not daemon_task.done():
                rows = timeline(services, uploaded)
                if finished(rows):
                    break
                await asyncio.sleep(0.5)
            rows = timeline(services, uploaded)
    finally:
        stop.set()
        await daemon_task
        await sim.close()
        mailbox.controller.stop()
    return Outcome(rows, sim, mailbox.received)


def print_timeline(rows: list[Row], console: Console) -> None:
    def after(start: datetime, at: datetime | None) -> str:
        return f"{(at - start).total_seconds():.1f}s" if at else "—"

    table = Table("upload", "kind", "edit", "found", "matched", "notified", "removed", "outcome")
    for r in rows:
        table.add_row(r.video_id, r.upload.kind, r.upload.description, after(r.uploaded, r.discovered),
                      after(r.uploaded, r.matched), after(r.uploaded, r.notified),
                      after(r.uploaded, r.removed), r.outcome)
    console.print(table)


def run_demo(settings: DemoConfig, *, episodes: int, console: Console, time_scale: float = 1.0) -> bool:
    """Run the scenario and print the timeline; True when every upload was handled correctly."""
    started = time.monotonic()
    console.print(f"[bold]DramaGuard demo[/bold] — data home {settings.home}")
    outcome = asyncio.run(run_scenario(settings, episodes=episodes, scale=time_scale, console=console))
    rows = outcome.rows
    console.print("times are seconds after each upload appeared on the platform:")
    print_timeline(rows, console)
    pirated = [r for r in rows if r.upload.kind == "pirated"]
    others = [r for r in rows if r.upload.kind != "pirated"]
    found = sum(r.matched is not None for r in pirated)
    notified = sum(r.notified is not None for r in pirated)
    removed = sum(r.removed is not None for r in pirated)
    left_alone = sum(r.notified is None and r.outcome in ("no_match", "licensed") for r in others)
    ok = found == notified == removed == len(pirated) and left_alone == len(others)
    console.print(
        f"copies found {found}/{len(pirated)}, notices sent {notified} "
        f"({outcome.mails} e-mails in {settings.home / 'mailbox'}), removals verified {removed}; "
        f"innocent and licensed uploads left alone {left_alone}/{len(others)} — "
        f"{'[green]all correct[/green]' if ok else '[red]NOT all correct[/red]'} "
        f"in {time.monotonic() - started:.1f} s"
    )
    console.print(f"cases: dramaguard --home {settings.home} cases list; evidence: "
                  f"{settings.home / 'evidence'}; health: dramaguard --home {settings.home} status")
    return ok
