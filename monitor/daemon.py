"""`dramaguard daemon`: the APScheduler process that watches platforms around the clock.

Jobs live in a persistent SQLAlchemy job store on the configured database, so a restart keeps
their schedule: a run missed while the daemon was down is made up once (``coalesce``) if it is at
most ``misfire_grace_s`` late. Every job runs with ``max_instances=1``. Jobs are stored as the
textual reference :func:`run_job` plus plain arguments, and find the running :class:`Daemon`
through a module-level handle (a job store can persist neither bound methods nor live objects).

Shutdown (SIGTERM/SIGINT): the scheduler stops starting jobs, the queue stops handing out work,
running jobs and in-flight candidates get ``shutdown_grace_s`` to finish, and whatever is still
running then is cancelled — safe, because nothing is marked done before its transaction commits.
"""
from __future__ import annotations

import asyncio
import errno
import logging
import os
import signal
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import select

from indexing import retrain
from monitor.health import HealthPortInUse, LiveStatus, start_health_server
from monitor.pipeline import CaseworkFactory, Pipeline
from indexing.catalogue import Services
from monitor.config import MonitorConfig
from storage import daemon as store
from storage.db import transaction
from storage.lease import Lease
from storage.models import Work

log = logging.getLogger(__name__)

_current: Daemon | None = None
HEARTBEAT_S = 2.0


class _SkipNotice(logging.Filter):
    """A job still running at its next start is skipped by design (max_instances=1): not news."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "maximum number of running instances reached" not in record.getMessage()


async def run_job(job_id: str, kind: str, params: dict) -> None:
    """The job-store entry point for every job."""
    daemon = _current
    if daemon is None or daemon.stopping:
        log.info("job %s skipped: the daemon is stopping", job_id)
        return
    await daemon.run_tracked(job_id, kind, params)


@dataclass(frozen=True)
class JobSpec:
    job_id: str
    kind: str
    interval_s: float
    params: dict


class Daemon:
    def __init__(self, settings: MonitorConfig, casework_factory: CaseworkFactory):
        self.settings = settings
        self.casework_factory = casework_factory
        self.stopping = False
        self.scheduler: AsyncIOScheduler | None = None
        self.services: Services | None = None
        self.pipeline: Pipeline | None = None
        self.health_url: str | None = None
        self._running_jobs: set[asyncio.Task] = set()
        self._heartbeat_id: int | None = None
        self.lease: Lease | None = None

    # -- jobs ---------------------------------------------------------------------------------
    def job_specs(self) -> list[JobSpec]:
        """The jobs this configuration wants, including one discovery job per platform and work."""
        cfg = self.settings.daemon
        specs = [
            JobSpec("pipeline:feed", "feed", cfg.feed_interval_s, {}),
            JobSpec("notices:dispatch", "dispatch", cfg.dispatch_interval_s, {}),
            JobSpec("notices:recheck", "recheck", cfg.recheck_interval_s, {}),
            JobSpec("deadline:watchdog", "watchdog", cfg.watchdog_interval_s, {}),
            JobSpec("index:refresh", "refresh", cfg.index_refresh_interval_s, {}),
        ]
        works = self._works() if cfg.search_works else []
        fresh_after = datetime.now(UTC) - timedelta(days=cfg.fresh_work_days)
        for platform in cfg.platforms:
            specs.append(JobSpec(f"discover:{platform}:new", "discover", cfg.new_uploads_interval_s,
                                 {"platform": platform}))
            for work_id, created_at in works:
                interval = cfg.fresh_work_interval_s if created_at >= fresh_after else cfg.old_work_interval_s
                specs.append(JobSpec(f"discover:{platform}:work:{work_id}", "discover", interval,
                                     {"platform": platform, "work_id": work_id}))
        return specs

    def _works(self) -> list[tuple[int, datetime]]:
        with transaction(self.services.sessions) as session:
            return [(w, c) for w, c in session.execute(select(Work.id, Work.created_at))]

    def sync_jobs(self) -> dict:
        """Make the job store hold exactly the wanted jobs; keep the persisted next run times."""
        wanted = {spec.job_id: spec for spec in self.job_specs()}
        added = changed = removed = 0
        for job in self.scheduler.get_jobs():
            if job.id not in wanted:
                job.remove()
                removed += 1
        now = datetime.now(UTC)
        for spec in wanted.values():
            job = self.scheduler.get_job(spec.job_id)
            if job is None:
                self.scheduler.add_job(
                    run_job, "interval", seconds=spec.interval_s, id=spec.job_id, name=spec.job_id,
                    args=[spec.job_id, spec.kind, spec.params], next_run_time=now,
                )
                added += 1
            elif job.trigger.interval.total_seconds() != spec.interval_s or job.args[2] != spec.params:
                job.modify(args=[spec.job_id, spec.kind, spec.params])
                job.reschedule("interval", seconds=spec.interval_s)
                changed += 1
        return {"added": added, "changed": changed, "removed": removed}

    async def run_tracked(self, job_id: str, kind: str, params: dict) -> None:
        """Run one job, recording its start, end, outcome and summary in ``job_runs``."""
        task = asyncio.current_task()
        self._running_jobs.add(task)
        started = time.monotonic()
        ok, error, summary = True, None, {}
        try:
            await asyncio.to_thread(self._db, lambda s: store.job_started(job_id, session=s))
            summary = await self._job(kind, params) or {}
        except asyncio.CancelledError:  # only our own shutdown cancels jobs; nothing half-done
            summary = {"cancelled_at_shutdown": True}
            log.info("job %s cancelled at shutdown", job_id)
        except Exception as exc:
            ok, error = False, f"{type(exc).__name__}: {exc}"
            if getattr(exc, "expected", False):
                log.warning("job %s: %s", job_id, error)
            else:
                log.exception("job %s failed", job_id)
        finally:
            self._running_jobs.discard(task)
            record = asyncio.to_thread(self._db, lambda s: store.job_finished(
                job_id, ok=ok, duration_s=time.monotonic() - started, error=error,
                summary=summary, session=s))
            try:
                await asyncio.shield(record)
            except asyncio.CancelledError:
                # the loop is closing (shutdown or interpreter exit) while the end is recorded:
                # the record still completes in its thread; there is nothing else to undo
                log.info("job %s cancelled while its end was being recorded", job_id)

    def _job(self, kind: str, params: dict) -> Awaitable[dict]:
        pipeline, casework = self.pipeline, self.pipeline.casework
        jobs: dict[str, Callable[[], Awaitable[dict]]] = {
            "discover": lambda: pipeline.discover(params["platform"], work_id=params.get("work_id")),
            "feed": pipeline.feed,
            "dispatch": casework.dispatch,
            "recheck": casework.recheck,
            "watchdog": self.watchdog,
            "refresh": self.refresh_index,
        }
        return jobs[kind]()

    async def refresh_index(self) -> dict:
        """Pick up episodes registered (or removed) by other processes, and new works' jobs; and
        rebuild the IVF index with all its cells once the library can fill them (a cheap check,
        true once per library: see ``indexing/retrain.py``). A rebuild holds this job, so other
        processes' registrations wait for it; matching goes on."""
        added, removed = await self.pipeline.stages.refresh()
        summary = {"episodes_added": added, "episodes_removed": removed, **self.sync_jobs()}
        if self.services.retrain_due():
            index = self.services.index
            log.info("index: %d cells for %d descriptors (nlist %d, %d cells per vector%s): retraining",
                     index.cells, index.size, index.nlist, index.cells_per_vector,
                     ", copies missing" if index.copies_missing else "")
            try:
                report = await self.pipeline.stages.retrain(self._unless_stopping)
            except retrain.RetrainAbandoned:
                log.info("index retraining abandoned at shutdown; it starts again after the restart")
                return {**summary, "retrain_abandoned": True}
            log.info("%s; %d episodes registered meanwhile added", report.summary(), report.added_after)
            summary["retrained"] = asdict(report)
        return summary

    def _unless_stopping(self, phase: str, done: int, total: int) -> None:
        """A rebuild runs in a thread that shutdown cannot cancel: it stops between episodes."""
        if self.stopping:
            raise retrain.RetrainAbandoned(f"stopped while {phase} ({done} of {total} episodes)")

    async def watchdog(self) -> dict:
        """Warn about candidates not even processed yet close to their notice deadline."""
        within = timedelta(seconds=self.settings.daemon.deadline_warning_s)
        late = await asyncio.to_thread(
            self._db, lambda s: [(r.id, r.url, r.deadline_at) for r in
                                 store.overdue_pending(datetime.now(UTC), within, session=s)])
        for candidate_id, url, deadline in late:
            log.warning("candidate %d (%s) still unprocessed; notice deadline %s", candidate_id, url,
                        deadline.isoformat())
        return {"unprocessed_near_deadline": len(late), **(await self.pipeline.casework.watchdog())}

    # -- lifecycle ------------------------------------------------------------------------------
    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Run until ``stop`` is set or SIGTERM/SIGINT arrives; then shut down gracefully."""
        global _current
        stop = stop or asyncio.Event()
        scheduler_log = logging.getLogger("apscheduler.scheduler")
        if not any(isinstance(f, _SkipNotice) for f in scheduler_log.filters):
            scheduler_log.addFilter(_SkipNotice())
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        self.services = Services.open(self.settings)
        self.lease = Lease(self.services.engine, self.services.sessions, purpose="daemon",
                           ttl_s=self.settings.daemon.lease_ttl_s)
        try:
            await asyncio.to_thread(self.lease.acquire)  # StoreBusy: another daemon has the store
            self.pipeline = Pipeline(self.services, self.casework_factory)
            health = await self._start_health()  # before the pipeline opens its HTTP session
            await self.pipeline.start()
            _current = self
            self.scheduler = AsyncIOScheduler(
                jobstores={"default": SQLAlchemyJobStore(engine=self.services.engine)},
                job_defaults={"coalesce": True, "max_instances": 1,
                              "misfire_grace_time": self.settings.daemon.misfire_grace_s},
                timezone=UTC,
            )
            self.scheduler.start(paused=True)
            log.info("jobs: %s", self.sync_jobs())
            self.scheduler.resume()
            self._heartbeat_id = await asyncio.to_thread(self._db, lambda s: store.start_heartbeat(
                os.getpid(), socket.gethostname(), self.health_url, session=s))
            log.info("daemon running (pid %d, health %s)", os.getpid(), self.health_url)
            await self._beat_until(stop)
            await self._shutdown(health)
        finally:
            _current = None
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(sig)
            await asyncio.to_thread(self.lease.release)
            self.services.close()

    async def _beat_until(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await asyncio.to_thread(self._db, lambda s: store.beat(
                self._heartbeat_id, self.pipeline.live(), session=s))
            if not await asyncio.to_thread(self.lease.renew):
                log.error("the store lease was taken over (this daemon's heartbeat was late past "
                          "daemon.lease_ttl_s); stopping so that only one daemon works on it")
                stop.set()
                break
            try:
                await asyncio.wait_for(stop.wait(), HEARTBEAT_S)
            except TimeoutError:
                pass

    async def _shutdown(self, health) -> None:
        grace = self.settings.daemon.shutdown_grace_s
        log.info("shutting down: no new jobs; %.0f s for work in flight", grace)
        self.stopping = True
        self.scheduler.shutdown(wait=False)
        await self.pipeline.stop(grace)
        if self._running_jobs:
            done, running = await asyncio.wait(set(self._running_jobs), timeout=grace or None)
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)
        await health.cleanup()
        await asyncio.to_thread(self._db, lambda s: store.beat(
            self._heartbeat_id, self.pipeline.live(), stopped=True, session=s))
        log.info("daemon stopped")

    def live_status(self) -> LiveStatus:
        """The snapshot ``/healthz`` reads: the live queue figures, and whether we are stopping."""
        return LiveStatus(self.pipeline.live(), self.stopping)

    async def _start_health(self):
        cfg = self.settings.daemon
        try:
            runner, self.health_url = await start_health_server(self.services, cfg, self.live_status)
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
            raise HealthPortInUse(cfg.health_host, cfg.health_port) from exc
        return runner

    def _db(self, fn):
        with transaction(self.services.sessions) as session:
            return fn(session)
