"""The daemon under a flood of candidates: memory stays bounded and work follows deadline order.

Puts N candidates (default 10,000) with shuffled notice deadlines straight into the durable
queue (``candidate_queue``), as a burst of discovery would, then runs the real ``dramaguard
daemon`` (its own process) against the simulated platform on loopback. The videos are already
gone from the platform (404), so each candidate takes the daemon's cheap path — feed, take, fetch
the sample, record "gone" — and the run measures the queue machinery, not fingerprinting.

Samples the daemon's RSS (and its fingerprint workers') and the pending backlog over time; at the
end reads the order in which candidates were finished and counts deadline inversions (pairs
finished in the opposite order of their deadlines) and the largest displacement from strict
deadline order. The in-memory queue holds ``queue_size`` items and ``2 × workers`` consumers run
at once, so small local inversions are expected; large ones would mean the order is lost. It also
checks that discovery paused while the backlog exceeded ``max_backlog``.

    nice -n 10 .venv/bin/python -m benchmarks.daemon_flood [--candidates 10000] [--max-backlog 5000]
        [--queue-size 32] [--workers 1] [--timeout 900] [--home DIR] [--json FILE]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from benchmarks import procstat
from crawler.models import Candidate
from crawler.simulated.server import PlatformSim
from monitor.demo import demo_settings, settings_env
from dramaguard.settings import Settings
from storage import daemon as store
from storage.base import utcnow
from storage.db import make_engine, session_factory, transaction, upgrade


def flood(sessions, count: int, platform_url: str, window_s: float, rng: random.Random) -> None:
    """``count`` pending candidates whose deadlines are shuffled relative to their ids."""
    now = utcnow()
    batch = 1000
    for start in range(0, count, batch):
        rows = []
        for i in range(start, min(count, start + batch)):
            video_id = f"flood{i:06d}"
            candidate = Candidate(
                platform="simulated", video_id=video_id, url=f"{platform_url}/v/{video_id}",
                title=f"霸道总裁 第{i % 80 + 1}集", uploader_id=f"u{i % 500}", uploaded_at=now,
                media_url=f"{platform_url}/media/{video_id}.mp4",
            )
            deadline = now + timedelta(seconds=rng.uniform(0, window_s))
            rows.append(store.NewCandidate(candidate, source="flood", deadline_at=deadline))
        with transaction(sessions) as session:
            store.enqueue(rows, session=session)


def count_pending(sessions) -> int:
    with transaction(sessions) as session:
        return session.scalar(select(func.count()).select_from(store.QueuedCandidate)
                              .where(store.QueuedCandidate.state == store.PENDING))


def inversions(values: list[float]) -> int:
    """Pairs i < j with values[i] > values[j] (merge sort, O(n log n))."""
    def sort(items: list[float]) -> tuple[list[float], int]:
        if len(items) < 2:
            return items, 0
        mid = len(items) // 2
        left, a = sort(items[:mid])
        right, b = sort(items[mid:])
        merged, count, i, j = [], a + b, 0, 0
        while i < len(left) and j < len(right):
            if left[i] <= right[j]:
                merged.append(left[i])
                i += 1
            else:
                merged.append(right[j])
                count += len(left) - i
                j += 1
        return merged + left[i:] + right[j:], count

    return sort(values)[1]


def order_report(rows: list[tuple[int, float]]) -> dict:
    """rows: (candidate id, deadline epoch) in the order the daemon finished them."""
    deadlines = [d for _, d in rows]
    rank = {cid: r for r, (cid, _) in enumerate(sorted(rows, key=lambda row: (row[1], row[0])))}
    displacement = [abs(position - rank[cid]) for position, (cid, _) in enumerate(rows)]
    n = len(rows)
    pairs = n * (n - 1) // 2
    count = inversions(deadlines)
    return {"processed": n, "inversions": count, "inverted_pair_share": count / pairs if pairs else 0.0,
            "max_displacement": max(displacement, default=0),
            "mean_displacement": sum(displacement) / n if n else 0.0}


async def run(args) -> dict:
    home = Path(args.home or tempfile.mkdtemp(prefix="dg-flood-"))
    home.mkdir(parents=True, exist_ok=True)
    sim = PlatformSim()
    platform_url = await sim.start()
    settings = demo_settings(Settings(home=home), platform_url=platform_url)
    settings = settings.model_copy(update={"daemon": settings.daemon.model_copy(update={
        "max_backlog": args.max_backlog, "queue_size": args.queue_size, "workers": args.workers,
        "new_uploads_interval_s": 1.0, "watchdog_interval_s": 2.0, "feed_interval_s": args.feed_interval,
    })})
    engine = make_engine(settings.resolved_database_url)
    upgrade(engine)
    sessions = session_factory(engine)
    t0 = time.monotonic()
    flood(sessions, args.candidates, platform_url, window_s=settings.daemon.notice_window_s,
          rng=random.Random(args.seed))
    print(f"queued {args.candidates} candidates in {time.monotonic() - t0:.1f} s; starting the daemon")

    log_path = home / "daemon.log"
    env = {**os.environ, **settings_env(settings), "PYTHONUNBUFFERED": "1"}
    daemon = subprocess.Popen([sys.executable, "-m", "dramaguard", "--home", str(home), "daemon"],
                              env=env, stdout=log_path.open("wb"), stderr=subprocess.STDOUT,
                              start_new_session=True)
    timeline: list[dict] = []
    started = time.monotonic()
    try:
        while True:
            await asyncio.sleep(args.sample_s)
            if daemon.poll() is not None:
                raise RuntimeError(f"the daemon exited with {daemon.returncode}; see {log_path}")
            own = procstat.read(daemon.pid)
            cpu, rss = own.cpu_s, own.rss_bytes
            workers_rss = 0
            for child in procstat.children(daemon.pid):
                try:
                    workers_rss += procstat.read(child).rss_bytes
                except OSError:
                    pass
            pending = await asyncio.to_thread(count_pending, sessions)
            timeline.append({"t_s": time.monotonic() - started, "pending": pending, "rss_mib": rss / 2**20,
                             "workers_rss_mib": workers_rss / 2**20, "cpu_s": cpu})
            if pending == 0 or time.monotonic() - started > args.timeout:
                break
        elapsed = time.monotonic() - started
        daemon_cpu = timeline[-1]["cpu_s"]
    finally:
        os.killpg(daemon.pid, signal.SIGTERM)
        try:
            daemon.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(daemon.pid, signal.SIGKILL)
            daemon.wait()
        await sim.close()

    with transaction(sessions) as session:
        finished = session.execute(
            select(store.QueuedCandidate.id, store.QueuedCandidate.deadline_at)
            .where(store.QueuedCandidate.processed_at.is_not(None))
            .order_by(store.QueuedCandidate.processed_at, store.QueuedCandidate.id)
        ).all()
        outcomes = dict(session.execute(select(store.QueuedCandidate.outcome, func.count())
                                        .group_by(store.QueuedCandidate.outcome)).all())
        discovery = [(r.job_id, r.summary, r.runs) for r in store.job_runs(session=session)
                     if r.job_id.startswith("discover:")]
    engine.dispose()
    log = log_path.read_text("utf-8", "replace")
    paused_runs = log.count("discovery paused (backpressure)")
    order = order_report([(cid, deadline.timestamp()) for cid, deadline in finished])
    peak = max(timeline, key=lambda s: s["rss_mib"])
    report = {
        "candidates": args.candidates, "queue_size": args.queue_size, "workers": args.workers,
        "consumers": 2 * args.workers, "max_backlog": args.max_backlog, "elapsed_s": elapsed,
        "rate_per_s": order["processed"] / elapsed, "daemon_cpu_s": daemon_cpu,
        "daemon_cpu_ms_per_candidate": 1000 * daemon_cpu / max(1, order["processed"]),
        "rss_first_mib": timeline[0]["rss_mib"], "rss_peak_mib": peak["rss_mib"],
        "rss_peak_at_pending": peak["pending"], "rss_last_mib": timeline[-1]["rss_mib"],
        "workers_rss_peak_mib": max(s["workers_rss_mib"] for s in timeline),
        "outcomes": outcomes, "order": order, "discovery_paused_runs": paused_runs,
        "discovery": discovery, "log_errors": log.count(" ERROR ") + log.count("Traceback"),
        "loadavg": os.getloadavg(), "timeline": timeline[:: max(1, len(timeline) // 40)],
    }
    print(f"{'t s':>7}{'pending':>9}{'daemon RSS MiB':>16}{'workers RSS MiB':>17}")
    for sample in report["timeline"]:
        print(f"{sample['t_s']:>7.0f}{sample['pending']:>9}{sample['rss_mib']:>16.1f}{sample['workers_rss_mib']:>17.1f}")
    print(f"\n{order['processed']} of {args.candidates} candidates finished in {elapsed:.0f} s "
          f"({report['rate_per_s']:.1f}/s; daemon CPU {daemon_cpu:.1f} s = "
          f"{report['daemon_cpu_ms_per_candidate']:.1f} ms/candidate); outcomes {outcomes}")
    print(f"daemon RSS: first sample {report['rss_first_mib']:.0f} MiB, peak {report['rss_peak_mib']:.0f} MiB "
          f"(with {peak['pending']} pending), last {report['rss_last_mib']:.0f} MiB; fingerprint workers peak "
          f"{report['workers_rss_peak_mib']:.0f} MiB")
    print(f"deadline order: {order['inversions']} inverted pairs of {order['processed']} "
          f"({100 * order['inverted_pair_share']:.4f} % of pairs), max displacement "
          f"{order['max_displacement']} places, mean {order['mean_displacement']:.2f} "
          f"(queue {args.queue_size}, {2 * args.workers} consumers)")
    print(f"discovery paused by the backlog cap ({args.max_backlog}) on {paused_runs} runs; "
          f"daemon log errors {report['log_errors']}; load average {report['loadavg'][0]:.1f}")
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--candidates", type=int, default=10_000)
    parser.add_argument("--max-backlog", type=int, default=5_000)
    parser.add_argument("--queue-size", type=int, default=32)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--feed-interval", type=float, default=0.5)
    parser.add_argument("--sample-s", type=float, default=1.0)
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--home", type=Path)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    report = asyncio.run(run(args))
    report["command"] = "python -m benchmarks.daemon_flood " + " ".join(argv if argv is not None else sys.argv[1:])
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=str))


if __name__ == "__main__":
    main()
