"""Crash campaign: SIGKILL the daemon and the API server at random moments, many times, and count.

One data home, one simulated platform (complaint API, or its e-mail desk) and two real
processes: ``dramaguard daemon`` and ``dramaguard serve`` (uvicorn). Each round uploads pirated
copies (one work's policy notices them at once), copies needing a legal review (another work's
policy), and innocent videos to the platform; registers a new episode through the API; approves
review cases through the API (whose background dispatch races the daemon's); and SIGKILLs the
daemon, the API, or both — the daemon by its pid alone, so that its fingerprint workers must die
by themselves — at a random time, or (half the kills) a random 0–0.3 s after a chosen moment
(a candidate in processing, a case opened, a delivery being sent, an episode being registered,
an approval being dispatched); then restarts what was killed. When the round's
work is done the invariants are checked:

- ``dramaguard check`` (indexing.maintenance.check, the same code): database, index and
  evidence store agree, no digest mismatch; orphans and half-written leftovers a crash left are
  counted, removed with ``--repair``, and the home must then check clean;
- every case that existed at the moment of the kill still exists (same id, same upload);
- every pirated or approved upload got exactly one complaint at the platform (counted on the
  platform's side), innocent uploads none and no case;
- the killed daemon's fingerprint workers were gone within 5 s;
- every episode the API accepted is registered (or the re-upload after the crash says so).

    .venv/bin/python -m benchmarks.crash_campaign [--rounds 30] [--seed 1] [--channel http|email]
        [--database-url URL] [--kill-window-s 7] [--home DIR]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import resource
import signal
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import aiohttp
from sqlalchemy import select

from benchmarks.procstat import alive
from dramaguard.accounts import create_user, issue_token
from monitor.demo import demo_settings, prepare_work, settings_env
from indexing.maintenance import check
from indexing.catalogue import Services
from dramaguard.settings import Settings
from notices.policy import Action, PolicyRule
from storage import work_rules
from storage.auth import Role
from storage.cases import Case
from storage.daemon import QueuedCandidate
from storage.db import make_engine, session_factory, transaction
from storage.models import Work

from benchmarks.crash_api import ApiTraffic
from benchmarks.crash_parts import (
    API_MOMENTS,
    DAEMON_MOMENTS,
    REVIEW_WORK,
    API_WORK,
    HOLDER,
    WORKER_GRACE_S,
    free_port,
    Proc,
    CountingPlatform,
    CountingMailbox,
    case_keys,
    lost_cases,
    notice_violations,
    store_violations,
    index_drift,
    moment_reached,
    kill_point,
    Media,
    make_media,
    Summary,
)


class Campaign(ApiTraffic):
    def __init__(self, home: Path, *, seed: int = 1, channel: str = "http",
                 database_url: str | None = None, kill_window_s: float = 7.0,
                 round_timeout_s: float = 120.0, media: Media | None = None,
                 echo=print) -> None:
        self.home, self.rng, self.channel = home, random.Random(seed), channel
        self.kill_window_s, self.round_timeout_s = kill_window_s, round_timeout_s
        self.settings = Settings(home=home, database_url=database_url)
        self.media = media
        self.echo = echo
        self.summary = Summary()
        self.kinds: dict[str, str] = {}  # platform video id → pirated | review | innocent
        self.ops: Counter = Counter()  # API requests in flight: upload | approve
        self.next_episode = 1

    # -- set-up -------------------------------------------------------------------------------
    def _register(self) -> None:
        with Services.open(self.settings) as services:
            for work, files in self.media.episodes.items():
                services.register_files(files, work=work, holder=HOLDER)
            with transaction(services.sessions) as session:
                review = session.scalar(select(Work).where(Work.title == REVIEW_WORK))
                work_rules.add_policy_rule(session, work_id=review.id, rule=PolicyRule(
                    Action.REVIEW, priority=10, min_matched_s=1.0, name="campaign: review all"))
                for work in session.scalars(select(Work)):
                    prepare_work(session, work, notify_score=self.settings.matcher.notify_score,
                                 home=self.settings.home)
                api_work = Work(holder_id=review.holder_id, title=API_WORK)
                session.add(api_work)
                admin = create_user("crash@campaign.example", role=Role.ADMIN, holder=None,
                                    password=None, session=session)
                _, self.token = issue_token(admin, "campaign", session=session)
                session.flush()
                self.api_work_id = api_work.id

    async def _setup(self) -> None:
        if self.media is None:
            self.media = await asyncio.to_thread(make_media, self.home.parent / "campaign-media")
        await asyncio.to_thread(self._register)
        self.sessions = session_factory(make_engine(self.settings.resolved_database_url))
        self.sim = CountingPlatform(takedown_delay_s=0.5)
        url = await self.sim.start()
        self.mailbox = CountingMailbox(self.sim, self.home / "mailbox", asyncio.get_running_loop())
        self.mailbox.controller.start()
        run = demo_settings(self.settings, platform_url=url, channel=self.channel,
                            smtp_port=self.mailbox.port)
        run = run.model_copy(update={"daemon": run.daemon.model_copy(update={"workers": 1})})
        env = {**os.environ, **settings_env(run), "DRAMAGUARD_HOME": str(self.home)}
        if self.settings.database_url:
            env["DRAMAGUARD_DATABASE_URL"] = self.settings.resolved_database_url  # a SecretStr
        self.api_port = free_port()
        self.api_url = f"http://127.0.0.1:{self.api_port}"
        cmd = [sys.executable, "-m", "dramaguard", "--home", str(self.home)]
        self.procs = {
            "daemon": Proc("daemon", cmd + ["daemon"], env, self.home / "daemon.log"),
            "api": Proc("api", cmd + ["serve", "--port", str(self.api_port)], env,
                        self.home / "api.log"),
        }
        self.http = aiohttp.ClientSession(headers={"Authorization": f"Bearer {self.token}"},
                                          # no keep-alive: a pooled connection to a killed server
                                          # would fail the next request, not the one cut off
                                          connector=aiohttp.TCPConnector(force_close=True),
                                          timeout=aiohttp.ClientTimeout(total=30))
        for proc in self.procs.values():
            await proc.start()
        await self._api_ready()

    async def _upload_round(self, plan: list[tuple[str, Path, float]], videos: list[str]) -> None:
        for n, (kind, path, delay) in enumerate(plan):
            await asyncio.sleep(delay)
            video = self.sim.add_video(path.read_bytes(), title=f"{kind} {n}",
                                       uploader_id=f"u-{len(self.kinds)}")
            self.kinds[video.id] = kind
            self.summary.uploads[kind] += 1
            videos.append(video.id)

    def _round_done(self, videos: list[str]) -> bool:
        with transaction(self.sessions) as session:
            rows = list(session.scalars(select(QueuedCandidate)
                                        .where(QueuedCandidate.video_id.in_(videos))))
            notified = {c.video_id for c in session.scalars(select(Case).where(
                Case.video_id.in_(videos), Case.notified_at.is_not(None)))}
        received = self.received()
        return (len(rows) == len(videos) and all(r.state != "pending" for r in rows)
                and all(v in notified and received[v] >= 1 for v in videos
                        if self.kinds[v] != "innocent"))

    def received(self) -> Counter:
        return (self.sim if self.channel == "http" else self.mailbox).notices_by_video()

    async def _kill(self, victim: str, videos: list[str], expected: int) -> tuple[dict, set[int]]:
        names = ["daemon", "api"] if victim == "both" else [victim]
        api_op = ",".join(sorted(op for op, n in self.ops.items() if n > 0))
        workers: set[int] = set()
        for name in names:
            kids = self.procs[name].kill()
            if name == "daemon":
                workers = kids
        for name in names:
            await self.procs[name].proc.wait()
        with transaction(self.sessions) as session:
            if "daemon" in names:
                self.summary.points[f"daemon: {kill_point(session, videos, expected)}"] += 1
            if "api" in names:
                if moment_reached(session, "registering an episode", videos):
                    op = "registering an episode"
                elif moment_reached(session, "approval being dispatched", videos):
                    op = "approved, notice being dispatched"
                else:
                    op = f"request in flight: {api_op}" if api_op else "idle"
                self.summary.points[f"api: {op}"] += 1
        return case_keys(self.sessions), workers

    async def round(self, number: int) -> None:
        rng = self.rng
        started = time.monotonic()
        victim = rng.choice(["daemon", "api", "both"])
        kill_at = rng.uniform(0.3, self.kill_window_s)
        moments = {"daemon": DAEMON_MOMENTS, "api": API_MOMENTS,
                   "both": DAEMON_MOMENTS + API_MOMENTS}[victim]
        moment = rng.choice(moments) if rng.random() < 0.5 else None
        extra = rng.uniform(0.0, 0.3)
        if moment == "delivery sending":
            extra = 0.0  # the window is the platform's answer time: kill as soon as it opens
        kinds = ["pirated"] * rng.randint(1, 2) + ["innocent"] + ["review"] * (rng.random() < 0.6)
        rng.shuffle(kinds)
        pools = {"pirated": self.media.pirated, "innocent": self.media.innocent,
                 "review": self.media.review}
        plan = [(kind, rng.choice(pools[kind]), rng.uniform(0.0, 0.6)) for kind in kinds]
        videos: list[str] = []
        uploading = asyncio.create_task(self._upload_round(plan, videos))
        registering = asyncio.create_task(self._register_via_api(rng.uniform(0.0, 3.0)))
        if moment is None:
            await asyncio.sleep(kill_at)
        else:
            if not await self._until_moment(moment, videos,
                                            deadline=time.monotonic() + self.kill_window_s):
                moment += ": not reached, killed at the window's end"
            await asyncio.sleep(extra)
            kill_at = time.monotonic() - started
        before, workers = await self._kill(victim, list(videos), len(plan))
        self.summary.kills[victim] += 1
        await asyncio.sleep(rng.uniform(0.0, 0.5))
        for name in (["daemon", "api"] if victim == "both" else [victim]):
            await self.procs[name].start()
        if workers:
            end = time.monotonic() + WORKER_GRACE_S
            while any(alive(p) for p in workers) and time.monotonic() < end:
                await asyncio.sleep(0.1)
            left = [p for p in workers if alive(p)]
            self.summary.orphan_workers_checked += len(workers)
            if left:
                self.summary.violations.append(
                    f"round {number}: daemon workers {left} outlived it by {WORKER_GRACE_S} s")
        if victim != "daemon":
            await self._api_ready()
        await uploading
        end = time.monotonic() + self.round_timeout_s
        while not self._round_done(videos) and time.monotonic() < end:
            await asyncio.sleep(0.3)
        try:
            await asyncio.wait_for(registering, max(1.0, end - time.monotonic()))
        except TimeoutError:
            self.summary.violations.append(f"round {number}: the API registration never finished")
        problems = [] if self._round_done(videos) else [f"round {number}: unfinished after "
                                                        f"{self.round_timeout_s:.0f} s"]
        problems += await self._verify(before)
        self.summary.violations += problems
        self.summary.rounds += 1
        self.summary.round_s.append(time.monotonic() - started)
        self.echo(f"round {number:3d}: killed {victim:6s} at {kill_at:4.1f}s "
                  f"({'when ' + moment if moment else 'random time'}), "
                  f"{len(videos)} uploads, {time.monotonic() - started:5.1f}s"
                  + (f" — {problems}" if problems else ""))

    async def _until_moment(self, moment: str, videos: list[str], *, deadline: float) -> bool:
        while time.monotonic() < deadline:
            with transaction(self.sessions) as session:
                if moment_reached(session, moment, videos):
                    return True
            await asyncio.sleep(0.02)
        return False

    async def _verify(self, before: dict[int, tuple[str, str]], *, grace_s: float = 2.0) -> list[str]:
        problems = lost_cases(before, case_keys(self.sessions))
        with transaction(self.sessions) as session:
            cases_by_video = Counter(session.scalars(select(Case.video_id)))
        problems += notice_violations(self.received(), self.kinds, cases_by_video)
        # 2 s of grace: a refresh of the index may be writing its temporary file right now
        report = await asyncio.to_thread(check, self.settings, grace_s=grace_s)
        problems += store_violations(report) + index_drift(report)
        problems += [f"episode {e} registered without reference keyframes"
                     for e in report.store.without_keyframes]
        if report.store.drift:
            repaired = await asyncio.to_thread(check, self.settings, repair=True, grace_s=grace_s)
            for name in repaired.store.removed:
                self.summary.drift_repaired[_kind_of(name)] += 1
            again = await asyncio.to_thread(check, self.settings, grace_s=grace_s)
            if not again.ok:
                problems.append(f"check still not clean after --repair: {again.as_json()}")
        return problems

    # -- the whole run --------------------------------------------------------------------------
    async def run(self, rounds: int) -> Summary:
        started, cpu = time.monotonic(), _cpu()
        try:
            await self._setup()
            approver = asyncio.create_task(self._approver())
            try:
                for number in range(1, rounds + 1):
                    await self.round(number)
            finally:
                approver.cancel()
            codes = {name: await proc.stop() for name, proc in self.procs.items()}
            for name, code in codes.items():
                if code not in (0, -signal.SIGTERM):  # uvicorn re-raises SIGTERM once shut down
                    self.summary.violations.append(f"{name} exited with {code} on SIGTERM")
            self.summary.violations += await self._verify({}, grace_s=0)
        finally:
            for proc in getattr(self, "procs", {}).values():
                proc.kill_group()
                if proc.proc is not None and proc.proc.returncode is None:
                    await proc.proc.wait()
            if hasattr(self, "http"):
                await self.http.close()
            if hasattr(self, "sim"):
                if self.channel == "http":
                    self.summary.notices_sent = self.sim.complaint_posts
                    self.summary.notices_distinct = len(self.sim.complaints)
                else:
                    self.summary.notices_sent = self.mailbox.received
                    self.summary.notices_distinct = len(self.mailbox.listed)
                    self.summary.unmarked_resends = len(self.mailbox.unmarked_resends)
                    self.summary.violations += [f"{mid}: re-sent without the resend marks"
                                                for mid in self.mailbox.unmarked_resends]
                await self.sim.close()
                self.mailbox.controller.stop()
        self.summary.wall_s = time.monotonic() - started
        self.summary.cpu_s = _cpu() - cpu
        return self.summary


def _kind_of(name: str) -> str:
    """What a removed orphan/leftover was, for the summary."""
    top = name.split("/", 1)[0]
    return {"evidence": "evidence package" if not name.endswith(".tmp") else "evidence .tmp",
            "index": "index .tmp", "references": "reference keyframes",
            "samples": "sample staging", "uploads": "upload spool"}.get(top, top)


def _cpu() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def print_summary(summary: Summary, echo=print) -> None:
    rounds = summary.round_s or [0.0]
    echo(f"rounds run: {summary.rounds}")
    echo(f"kills: {dict(summary.kills)} (daemon killed {summary.kills['daemon'] + summary.kills['both']}×, "
         f"API {summary.kills['api'] + summary.kills['both']}×)")
    echo("kill points:")
    for point, n in sorted(summary.points.items()):
        echo(f"  {n:4d}  {point}")
    echo(f"uploads: {dict(summary.uploads)}; API registrations {summary.registrations} "
         f"({summary.re_uploads} cut off by a crash and uploaded again); approvals {summary.approvals}")
    echo(f"notices received at the platform: {summary.notices_distinct} distinct, "
         f"{summary.notices_sent} deliveries ({summary.notices_sent - summary.notices_distinct} "
         f"re-sends with the same idempotency key / Message-ID"
         + (f", {summary.unmarked_resends} of them unmarked)" if summary.unmarked_resends else ")"))
    echo(f"daemon workers checked after its SIGKILL: {summary.orphan_workers_checked}")
    echo(f"crash debris found by check and removed by --repair: {dict(summary.drift_repaired) or 'none'}")
    echo(f"violations: {len(summary.violations)}")
    for violation in summary.violations:
        echo(f"  {violation}")
    echo(f"time: {summary.wall_s:.0f} s wall ({sum(rounds) / len(rounds):.1f} s per round), "
         f"{summary.cpu_s:.0f} s CPU (campaign + its processes)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--channel", choices=("http", "email"), default="http")
    parser.add_argument("--database-url", help="default: SQLite in the home")
    parser.add_argument("--kill-window-s", type=float, default=7.0,
                        help="kill at a uniform random time in [0.3, this] after the round starts")
    parser.add_argument("--home", help="default: a new temporary folder")
    parser.add_argument("--json", action="store_true", help="also print the summary as JSON")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    root = Path(args.home or tempfile.mkdtemp(prefix="dg-crash-"))
    print(f"home {root / 'home'}; seed {args.seed}; channel {args.channel}; "
          f"database {args.database_url or 'sqlite'}")
    campaign = Campaign(root / "home", seed=args.seed, channel=args.channel,
                        database_url=args.database_url, kill_window_s=args.kill_window_s)
    summary = asyncio.run(campaign.run(args.rounds))
    print_summary(summary)
    if args.json:
        print(json.dumps({**summary.__dict__, "kills": dict(summary.kills),
                          "points": dict(summary.points)}, default=dict))
    sys.exit(1 if summary.violations else 0)


if __name__ == "__main__":
    main()
