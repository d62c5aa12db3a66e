"""Health and status: one snapshot for ``/healthz`` (from the live daemon) and ``dramaguard status``.

The snapshot is built from the database (queue counts, last run of each job, the daemon's
heartbeat, candidates and cases (storage.cases) near their notice deadline) plus the index on disk, so ``dramaguard status`` works
whether or not a daemon is running; the daemon adds its live in-memory queue figures.
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from monitor.casework_adapter import cases_near_deadline
from monitor.notice_blocks import problems
from indexing.catalogue import Services
from storage import daemon as store
from storage import registry
from monitor.config import DaemonSettings
from storage.db import transaction

STALE_BEAT_S = 15.0


class HealthPortInUse(Exception):
    """The ``/healthz`` address is taken: an operator's choice to change, not our bug."""

    def __init__(self, host: str, port: int):
        super().__init__(f"the health port {host}:{port} is in use — stop what listens there, or "
                         "pass --health-port N (0: any free port) / set DRAMAGUARD_DAEMON__HEALTH_PORT")


@dataclass(frozen=True)
class LiveStatus:
    """What the running daemon publishes for ``/healthz``: its in-memory queue figures and
    whether it is shutting down. Health reads this snapshot; it never imports the daemon."""

    queue: dict
    stopping: bool


def snapshot(services: Services, live: dict | None = None) -> dict[str, Any]:
    """Everything an operator asks first: is it running, is work piling up, is a deadline close."""
    settings = services.settings
    now = datetime.now(UTC)
    within = timedelta(seconds=settings.daemon.deadline_warning_s)
    with transaction(services.sessions) as session:
        counts = store.counts(session=session)
        jobs = [
            {
                "job": r.job_id,
                "last_started": _iso(r.started_at),
                "last_finished": _iso(r.finished_at),
                "ok": r.ok,
                "error": r.error,
                "duration_s": r.duration_s,
                "runs": r.runs,
                "failures": r.failures,
                "summary": r.summary,
            }
            for r in store.job_runs(session=session)
        ]
        beat = store.latest_heartbeat(session=session)
        urgent = [
            {"candidate": r.id, "url": r.url, "deadline": _iso(r.deadline_at),
             "seconds_left": round((r.deadline_at - now).total_seconds())}
            for r in store.overdue_pending(now, within, session=session)
        ]
        registered = registry.episode_ids(session=session)
        cases = cases_near_deadline(
            session, now=now, within=timedelta(minutes=settings.notices.warn_before_minutes))
        # blocked notices and deliveries given up or retrying: each says what to do
        notice_problems = [p.as_dict() for p in problems(
            session, now=now, warn_before=timedelta(minutes=settings.notices.warn_before_minutes))
            if not p.kind.startswith("deadline")]
    running = bool(beat and beat.stopped_at is None and (now - beat.beat_at).total_seconds() < STALE_BEAT_S)
    daemon = {
        "running": running,
        "pid": beat.pid if beat else None,
        "started": _iso(beat.started_at) if beat else None,
        "last_beat": _iso(beat.beat_at) if beat else None,
        "stopped": _iso(beat.stopped_at) if beat else None,
        "health_url": beat.health_url if beat else None,
    }
    index = {
        "ready": services.index.is_ready(),
        "stale": services.index.is_stale(registered),
        "episodes": len(registered),
    }
    queue = {**{f"db_{k}": v for k, v in counts.items()}, **(live if live is not None else (beat.live if running else {}))}
    failing = [j["job"] for j in jobs if j["ok"] is False]
    return {
        "status": ("ok" if index["ready"] and not failing and not urgent and not cases and not notice_problems
                   else "degraded"),
        "checked": _iso(now),
        "daemon": daemon,
        "queue": queue,
        "index": index,
        "jobs": jobs,
        "failing_jobs": failing,
        "unprocessed_near_deadline": urgent,
        "cases_near_deadline": cases,
        "notice_problems": notice_problems,
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


async def start_health_server(
    services: Services, cfg: DaemonSettings, live: Callable[[], LiveStatus]
) -> tuple[web.AppRunner, str]:
    """Serve ``GET /healthz`` (200 when ok, 503 when degraded) on the configured address."""

    async def healthz(request: web.Request) -> web.Response:
        status = live()
        body = await asyncio.to_thread(snapshot, services, status.queue)
        body["daemon"]["running"] = not status.stopping
        return web.json_response(body, status=200 if body["status"] == "ok" else 503)

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, cfg.health_host, cfg.health_port)
    await site.start()
    host, port = runner.addresses[0][:2]
    return runner, f"http://{host}:{port}/healthz"
