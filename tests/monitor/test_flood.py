"""A flood of candidates: the daemon's pipeline keeps memory bounded and works in deadline order.

Many more candidates than the in-memory queue holds are put in the durable queue with deadlines
shuffled against their ids; the real pipeline (simulated platform on loopback, the videos already
gone, so each candidate is cheap) drains them through ``feed`` as the scheduler would. Held in
memory never exceeds the queue plus the consumers, the finishing order stays within a few places
of deadline order, and discovery refuses new work while the backlog is over its cap.
(benchmarks/daemon_flood.py runs the same at 10,000 candidates against the real daemon process.)
"""
from __future__ import annotations

import asyncio
import random
from datetime import timedelta

from sqlalchemy import select

from crawler.models import Candidate
from crawler.simulated.server import PlatformSim
from monitor.casework_adapter import NoticesCasework
from monitor.demo import demo_settings
from monitor.pipeline import Pipeline
from indexing.catalogue import Services
from dramaguard.settings import Settings
from storage import daemon as store
from storage.base import utcnow
from storage.db import transaction

FLOOD, QUEUE, BACKLOG = 150, 8, 100


def _flood(services: Services, base_url: str) -> None:
    now, rng = utcnow(), random.Random(7)
    rows = [
        store.NewCandidate(
            Candidate(platform="simulated", video_id=f"f{i}", url=f"{base_url}/v/f{i}", title=f"短剧 {i}",
                      media_url=f"{base_url}/media/f{i}.mp4"),
            source="flood", deadline_at=now + timedelta(seconds=rng.uniform(0, 7200)),
        )
        for i in range(FLOOD)
    ]
    with transaction(services.sessions) as session:
        assert len(store.enqueue(rows, session=session)) == FLOOD


def test_flood_is_drained_in_deadline_order_with_bounded_memory_and_paused_discovery(tmp_path):
    async def scenario():
        sim = PlatformSim()
        url = await sim.start()
        settings = demo_settings(Settings(home=tmp_path / "home"), platform_url=url)
        settings = settings.model_copy(update={"daemon": settings.daemon.model_copy(
            update={"queue_size": QUEUE, "max_backlog": BACKLOG, "workers": 1})})
        services = Services.open(settings)
        pipeline = Pipeline(services, NoticesCasework)
        try:
            _flood(services, url)
            await pipeline.start()
            paused = await pipeline.discover("simulated")
            held = 0
            for _ in range(3000):  # the scheduler's feed job, run back to back
                await pipeline.feed()
                held = max(held, len(pipeline.queue.known))
                with transaction(services.sessions) as session:
                    if store.backlog(session=session) == 0:
                        break
                await asyncio.sleep(0.01)
            resumed = await pipeline.discover("simulated")
            await pipeline.stop(10)
            with transaction(services.sessions) as session:
                finished = session.execute(
                    select(store.QueuedCandidate.id, store.QueuedCandidate.deadline_at, store.QueuedCandidate.outcome)
                    .order_by(store.QueuedCandidate.processed_at, store.QueuedCandidate.id)
                ).all()
            return paused, resumed, held, finished, pipeline.stages.workers * 2
        finally:
            services.close()
            await sim.close()

    paused, resumed, held, finished, consumers = asyncio.run(scenario())
    assert paused == {"paused": True, "backlog": FLOOD}, "discovery must pause over the backlog cap"
    assert resumed == {"found": 0, "queued": 0}, "and resume once the backlog is drained"
    assert {outcome for _, _, outcome in finished} == {"gone"} and len(finished) == FLOOD
    assert held <= QUEUE + consumers, f"{held} candidates held in memory"
    by_deadline = {cid: rank for rank, (cid, _, _) in enumerate(sorted(finished, key=lambda r: (r[1], r[0])))}
    displacement = [abs(position - by_deadline[cid]) for position, (cid, _, _) in enumerate(finished)]
    # ids are shuffled against deadlines: feeding by id (or FIFO) would be off by ~FLOOD / 3 on average
    assert max(displacement) <= QUEUE, f"finished {max(displacement)} places out of deadline order"
