"""The in-memory queue: earliest deadline first, bounded, and never holding a candidate twice."""
from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from monitor.workqueue import DeadlineQueue

T0 = datetime(2026, 11, 22, tzinfo=UTC)


def test_queue_orders_by_deadline_refuses_when_full_and_dedupes_in_flight():
    async def scenario():
        queue = DeadlineQueue(maxsize=3)
        assert await queue.offer(1, T0 + timedelta(hours=2))
        assert await queue.offer(2, T0 + timedelta(minutes=5))
        assert await queue.offer(3, T0 + timedelta(hours=1))
        assert not await queue.offer(4, T0), "a full queue must refuse (the row stays in the DB)"
        first = await queue.take()
        assert first.candidate_id == 2
        assert not await queue.offer(2, T0), "in flight: not queued again"
        queue.done(2)
        assert await queue.offer(2, T0)
        order = [(await queue.take()).candidate_id for _ in range(3)]
        left = await queue.close()
        return order, left, await queue.take()

    order, left, after_close = asyncio.run(scenario())
    assert order == [2, 3, 1]
    assert left == [] and after_close is None
