"""The API and review UI under concurrent load: latency percentiles, error rate, server RSS and CPU.

Seeds a home (tenants, users of every role, real registered episodes, a few hundred cases waiting
for review with evidence keyframes), starts a real ``dramaguard serve`` (uvicorn, its own process)
on loopback, and runs N concurrent aiohttp clients in bounded loops for a fixed time (or request
budget). Each client is a legal reviewer, a rights holder or an admin of some tenant; a quarter
of them log in through the UI form (argon2) and browse with the session cookie and CSRF token,
the rest use API tokens. The mix: review queue (JSON and HTML), case pages (JSON and HTML),
evidence keyframes, static files, logins, approvals / rejections (API token or UI form with CSRF),
small real video uploads, and upload status polls.

An error is a connection failure, a timeout, a 5xx, or any status the request type does not
expect (a 409 on a decision is expected: another reviewer got there first).

    nice -n 10 .venv/bin/python -m benchmarks.api_load [--clients 200] [--duration 60]
        [--requests N] [--cases 300] [--database-url URL] [--json FILE]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from benchmarks import procstat
from benchmarks.load_seed import PASSWORD, Account, Seeded, seed
from dramaguard.settings import Settings
from storage.auth import Role
from benchmarks.api_load_server import (
    free_port,
    percentile,
    sample_rss,
    start_server,
    wait_up,
)

BENCH = Path(os.environ.get("DRAMAGUARD_BENCH_DIR", Path(__file__).resolve().parents[2] / "shared" / "bench"))
CSRF_FIELD = re.compile(r'name="csrf-token" content="([^"]+)"')
# relative weights per client kind; every op a client cannot do is simply not in its mix
MIX = {
    Role.LEGAL: {"queue_json": 18, "queue_html": 12, "case_json": 18, "case_html": 18, "keyframe": 14,
                 "static": 8, "decide": 4, "login": 2},
    Role.RIGHTS_HOLDER: {"case_json": 20, "case_html": 15, "keyframe": 10, "static": 8, "cases_list": 15,
                         "upload": 3, "upload_status": 6, "login": 2},
    Role.ADMIN: {"queue_json": 20, "queue_html": 10, "case_json": 15, "case_html": 15, "keyframe": 10,
                 "static": 5, "cases_list": 10, "login": 2},
}
EXPECTED = {"decide": {200, 303, 409}, "login": {303}, "upload": {202}}


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, dict[int | str, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    samples: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def record(self, op: str, seconds: float, status: int | str, ok: bool) -> None:
        self.latencies[op].append(seconds)
        self.statuses[op][status] += 1
        if not ok:
            self.errors[op] += 1


@dataclass
class Shared:
    """What the clients share: the seed, the stop condition and the upload counter."""

    base: str
    seeded: Seeded
    uploads: list[Path]
    stop_at: float
    budget: int
    stats: Stats = field(default_factory=Stats)
    sent: int = 0
    episode_no: int = 100
    upload_jobs: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def more(self) -> bool:
        if time.monotonic() >= self.stop_at or (self.budget and self.sent >= self.budget):
            return False
        self.sent += 1
        return True


class Client:
    def __init__(self, shared: Shared, account: Account, ui: bool, rng: random.Random):
        self.shared, self.account, self.ui, self.rng = shared, account, ui, rng
        self.http = aiohttp.ClientSession(
            cookie_jar=aiohttp.CookieJar(unsafe=True), timeout=aiohttp.ClientTimeout(total=120)
        )
        self.csrf = ""
        tenants = [account.tenant] if account.tenant else list(shared.seeded.case_ids)
        self.cases = [c for t in tenants for c in shared.seeded.case_ids[t]]
        self.work_id = shared.seeded.work_ids.get(account.tenant or "")
        mix = MIX[account.role]
        self.ops, self.weights = list(mix), list(mix.values())

    @property
    def headers(self) -> dict[str, str]:
        return {} if self.ui else {"Authorization": f"Bearer {self.account.token}"}

    async def request(self, op: str, method: str, path: str, **kw) -> tuple[int, str]:
        """One timed request; returns (status, body text or '')."""
        expected = EXPECTED.get(op)
        started = time.perf_counter()
        try:
            async with self.http.request(method, self.shared.base + path, allow_redirects=False,
                                         headers={**self.headers, **kw.pop("headers", {})}, **kw) as response:
                body = await response.read()
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            self.shared.stats.record(op, time.perf_counter() - started, type(exc).__name__, ok=False)
            self._sample(op, f"{type(exc).__name__}: {exc}")
            return 0, ""
        ok = status in expected if expected else 200 <= status < 400
        self.shared.stats.record(op, time.perf_counter() - started, status, ok=ok)
        text = body.decode("utf-8", "replace") if body[:1] in (b"<", b"{", b"[") else ""
        if not ok:
            self._sample(op, f"{method} {path} → {status}: {text[:200]}")
        return status, text

    def _sample(self, op: str, line: str) -> None:
        if len(self.shared.stats.samples[op]) < 3:
            self.shared.stats.samples[op].append(line)

    async def login(self) -> None:
        """The UI form: GET /login (sets the login CSRF cookie), POST it with the password."""
        self.http.cookie_jar.clear()
        status, _ = await self.request("login_page", "GET", "/login")
        token = next((c.value for c in self.http.cookie_jar if c.key == "dg_login_csrf"), "")
        if status != 200 or not token:
            return
        data = {"email": self.account.email, "password": PASSWORD, "csrf_token": token, "next": "/"}
        status, _ = await self.request("login", "POST", "/login", data=data)
        if status == 303 and self.ui:
            _, page = await self.request("queue_html" if self.account.role != Role.RIGHTS_HOLDER else "works_html",
                                         "GET", "/queue" if self.account.role != Role.RIGHTS_HOLDER else "/works")
            match = CSRF_FIELD.search(page)
            self.csrf = match.group(1) if match else ""

    async def run(self) -> None:
        try:
            if self.ui:
                await self.login()
            while self.shared.more():
                op = self.rng.choices(self.ops, self.weights)[0]
                await getattr(self, f"op_{op}")()
        finally:
            await self.http.close()

    # -- the operations ---------------------------------------------------------------------------
    def _case(self) -> int:
        return self.rng.choice(self.cases)

    async def op_queue_json(self) -> None:
        await self.request("queue_json", "GET", "/api/v1/review/queue", headers=self._cookie_api())

    async def op_queue_html(self) -> None:
        if self.ui:
            await self.request("queue_html", "GET", "/queue")
        else:  # token clients read the same page's data through the API
            await self.request("queue_json", "GET", "/api/v1/review/queue")

    async def op_cases_list(self) -> None:
        await self.request("cases_list", "GET", "/api/v1/cases?limit=50", headers=self._cookie_api())

    async def op_case_json(self) -> None:
        await self.request("case_json", "GET", f"/api/v1/cases/{self._case()}", headers=self._cookie_api())

    async def op_case_html(self) -> None:
        if self.ui:
            await self.request("case_html", "GET", f"/cases/{self._case()}")
        else:
            await self.op_case_json()

    async def op_keyframe(self) -> None:
        await self.request("keyframe", "GET", f"/api/v1/cases/{self._case()}/keyframes/{self.rng.randint(1, 2)}")

    async def op_static(self) -> None:
        await self.request("static", "GET", self.rng.choice(["/static/app.css", "/static/app.js",
                                                             "/static/htmx.min.js"]))

    async def op_login(self) -> None:
        if self.ui:
            await self.login()
        else:  # a token client logging in through the form too, then going back to its token
            saved, self.ui = self.ui, True
            try:
                await self.login()
            finally:
                self.ui = saved
                self.http.cookie_jar.clear()

    async def op_decide(self) -> None:
        case = self._case()
        approve = self.rng.random() < 0.3
        if self.ui:
            form = {"decision": "approve" if approve else "reject", "note": "load test",
                    "csrf_token": self.csrf}
            await self.request("decide", "POST", f"/cases/{case}/review", data=form)
        else:
            verb = "approve" if approve else "reject"
            await self.request("decide", "POST", f"/api/v1/cases/{case}/{verb}", json={"note": "load test"})

    async def op_upload(self) -> None:
        if self.work_id is None:
            return await self.op_case_json()
        self.shared.episode_no += 1
        clip = self.rng.choice(self.shared.uploads)
        status, text = await self.request(
            "upload", "POST",
            f"/api/v1/works/{self.work_id}/episodes?number={self.shared.episode_no}&filename={clip.name}",
            data=clip.read_bytes(), headers={"Content-Type": "video/mp4", **self._cookie_api()},
        )
        if status == 202 and text:
            self.shared.upload_jobs[self.account.tenant].append(json.loads(text)["id"])

    async def op_upload_status(self) -> None:
        jobs = self.shared.upload_jobs.get(self.account.tenant or "")
        if not jobs:
            return await self.op_cases_list()
        await self.request("upload_status", "GET", f"/api/v1/uploads/{self.rng.choice(jobs)}",
                           headers=self._cookie_api())

    def _cookie_api(self) -> dict[str, str]:
        """UI clients call the API with their session cookie plus the CSRF header."""
        return {"X-CSRF-Token": self.csrf} if self.ui else {}


# -- the server process ------------------------------------------------------------------------------
def table(stats: Stats, wall_s: float) -> tuple[str, dict]:
    rows, summary = [], {}
    everything: list[float] = []
    for op in sorted(stats.latencies):
        lat = stats.latencies[op]
        everything += lat
        summary[op] = row = {
            "count": len(lat), "p50_ms": 1000 * percentile(lat, 0.5), "p95_ms": 1000 * percentile(lat, 0.95),
            "p99_ms": 1000 * percentile(lat, 0.99), "errors": stats.errors.get(op, 0),
            "statuses": {str(k): v for k, v in stats.statuses[op].items()},
        }
        rows.append((op, row))
    total_errors = sum(stats.errors.values())
    summary["all"] = {
        "count": len(everything), "p50_ms": 1000 * percentile(everything, 0.5),
        "p95_ms": 1000 * percentile(everything, 0.95), "p99_ms": 1000 * percentile(everything, 0.99),
        "errors": total_errors, "throughput_rps": len(everything) / wall_s,
    }
    rows.append(("ALL", summary["all"]))
    lines = [f"{'request':<14}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}{'err %':>7}  statuses"]
    for op, row in rows:
        rate = 100 * row["errors"] / row["count"] if row["count"] else 0.0
        statuses = " ".join(f"{k}:{v}" for k, v in sorted(row.get("statuses", {}).items()))
        lines.append(f"{op:<14}{row['count']:>7}{row['p50_ms']:>9.0f}{row['p95_ms']:>9.0f}{row['p99_ms']:>9.0f}"
                     f"{row['errors']:>8}{rate:>7.2f}  {statuses}")
    return "\n".join(lines), summary


async def drive(args, home: Path, seeded: Seeded) -> dict:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = home / "serve.log"
    server = start_server(home, port, args.database_url, log_path)
    try:
        await wait_up(base, server)
        start = procstat.read(server.pid)
        cpu0, rss0 = start.cpu_s, start.rss_bytes
        uploads = sorted((BENCH / "dev" / "queries").glob("*.mp4"))[: args.upload_files]
        rng = random.Random(args.seed)
        accounts = seeded.accounts
        clients = []
        for i in range(args.clients):
            account = accounts[i % len(accounts)]
            clients.append((account, rng.random() < args.ui_share))
        shared = Shared(base, seeded, uploads, stop_at=time.monotonic() + args.duration, budget=args.requests)
        peak, stop = [rss0], asyncio.Event()
        sampler = asyncio.create_task(sample_rss(server.pid, peak, stop))
        client_cpu0 = time.process_time()
        started = time.monotonic()
        shared.stop_at = started + args.duration
        await asyncio.gather(*(Client(shared, a, ui, random.Random(args.seed * 1000 + i)).run()
                               for i, (a, ui) in enumerate(clients)))
        wall = time.monotonic() - started
        stop.set()
        await sampler
        end = procstat.read(server.pid)
        cpu1, rss1 = end.cpu_s, end.rss_bytes
        text, summary = table(shared.stats, wall)
        requests = summary["all"]["count"]
        server_log = log_path.read_text("utf-8", "replace")
        report = {
            "clients": args.clients, "ui_clients": sum(ui for _, ui in clients), "wall_s": wall,
            "requests": requests, "throughput_rps": requests / wall,
            "server_cpu_s": cpu1 - cpu0, "server_cpu_ms_per_request": 1000 * (cpu1 - cpu0) / max(1, requests),
            "client_cpu_s": time.process_time() - client_cpu0,
            "server_rss_start_mib": rss0 / 2**20, "server_rss_peak_mib": peak[0] / 2**20,
            "server_rss_end_mib": rss1 / 2**20,
            "server_log_errors": server_log.count(" ERROR ") + server_log.count("Traceback"),
            "database_locked": server_log.count("database is locked"),
            "loadavg": os.getloadavg(), "cpus": os.cpu_count(), "per_op": summary,
            "error_samples": dict(shared.stats.samples),
            "database": "postgresql" if args.database_url else "sqlite",
        }
        print(text)
        print(f"\n{args.clients} clients ({report['ui_clients']} UI sessions) for {wall:.1f} s on "
              f"{report['database']}: {requests} requests, {report['throughput_rps']:.1f} req/s; server CPU "
              f"{report['server_cpu_s']:.1f} s = {report['server_cpu_ms_per_request']:.1f} ms/request; "
              f"client CPU {report['client_cpu_s']:.1f} s; server RSS {report['server_rss_start_mib']:.0f} → peak "
              f"{report['server_rss_peak_mib']:.0f} MiB (end {report['server_rss_end_mib']:.0f}); "
              f"load average {report['loadavg'][0]:.1f} on {report['cpus']} CPUs; server log errors "
              f"{report['server_log_errors']}, 'database is locked' {report['database_locked']}")
        for op, lines in shared.stats.samples.items():
            for line in lines:
                print(f"  sample error [{op}] {line}")
        return report
    finally:
        os.killpg(server.pid, 15)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, 9)
            server.wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    parser.add_argument("--requests", type=int, default=0, help="stop after this many requests (0: no cap)")
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--tenants", type=int, default=3)
    parser.add_argument("--users-per-role", type=int, default=4)
    parser.add_argument("--ui-share", type=float, default=0.25, help="clients that browse with a UI session")
    parser.add_argument("--upload-files", type=int, default=12, help="distinct query clips to upload")
    parser.add_argument("--database-url", help="PostgreSQL URL (an empty database); default SQLite in the home")
    parser.add_argument("--home", type=Path)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, help="write the report here")
    args = parser.parse_args(argv)
    home = args.home or Path(tempfile.mkdtemp(prefix="dg-load-"))
    settings = Settings(home=home, database_url=args.database_url)
    refs = sorted((BENCH / "dev" / "refs").glob("*.mp4"), key=lambda p: p.stat().st_size)[: args.tenants]
    t0, cpu0 = time.monotonic(), time.process_time()
    seeded = seed(settings, refs, tenants=args.tenants, cases=args.cases, users_per_role=args.users_per_role)
    print(f"seeded {home}: {len(seeded.accounts)} users, {sum(map(len, seeded.case_ids.values()))} cases "
          f"in {time.monotonic() - t0:.1f} s (CPU {time.process_time() - cpu0:.1f} s)")
    report = asyncio.run(drive(args, home, seeded))
    report["command"] = "python -m benchmarks.api_load " + " ".join(argv if argv is not None else sys.argv[1:])
    peak_client = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    report["client_rss_peak_mib"] = peak_client
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=str))


if __name__ == "__main__":
    main()
