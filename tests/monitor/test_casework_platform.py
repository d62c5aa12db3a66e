"""Casework against the crawler's simulated platform (the real counterpart of the complaint
protocol), and the exactly-once path on PostgreSQL."""
from __future__ import annotations

import asyncio
from datetime import timedelta

import aiohttp
import pytest
from sqlalchemy import func, select

from crawler.simulated.server import PlatformSim
from monitor import casework
from monitor import followup
from dramaguard.settings import NoticeSettings
from notices.channels import HttpComplaintChannel
from storage.cases import CaseEventRow
from storage.db import transaction
from tests.monitor.casework_fixtures import candidate, make_world
from tests.monitor.test_casework import Crash, CrashAfterSend, ingest, states
from tests.notices.servers import ComplaintServer


async def page_is_gone(url: str) -> bool:
    async with aiohttp.ClientSession() as session:
        async with session.get(url) as response:
            return response.status in (404, 410)


def test_notice_takes_copies_down_on_the_simulated_platform(tmp_path) -> None:
    async def run():
        sim = PlatformSim()
        await sim.start()
        try:
            v1 = sim.add_video(b"copy one", title="契约新娘 全集", uploader_id="pirate")
            v2 = sim.add_video(b"copy two", title="契约新娘 第2集", uploader_id="pirate")
            keep = sim.add_video(b"licensed", title="契约新娘 官方", uploader_id="official-xinghe")
            world = make_world(tmp_path, NoticeSettings(
                default_channel="http", complaint_api_urls={"simulated": sim.base_url}))
            for video in (v1, v2, keep):
                ingest(world, candidate(video.id, platform="simulated", url=sim.page_url(video),
                                        uploader_id=video.uploader_id), world.report())
            settings = world.settings.notices
            with pytest.raises(Crash):
                await casework.dispatch_notices(world.sessions, channels={"http": CrashAfterSend()},
                                                clock=world.clock, settings=settings, home=world.settings.home)
            world.clock.advance(timedelta(seconds=settings.send_lease_s + 1))  # the dead sender's lease
            sent = await casework.dispatch_notices(
                world.sessions, channels={"http": HttpComplaintChannel()}, clock=world.clock,
                settings=settings, home=world.settings.home)
            world.clock.advance(timedelta(hours=1))
            checked = await followup.recheck_removals(world.sessions, url_is_down=page_is_gone,
                                                      clock=world.clock, settings=settings)
            return sim, world, (v1, v2, keep), sent, checked
        finally:
            await sim.close()

    sim, world, (v1, v2, keep), sent, checked = asyncio.run(run())
    assert [r.status for r in sent] == ["sent"]
    [complaint] = sim.complaints.values()
    assert sorted(complaint.video_ids) == sorted([v1.id, v2.id])
    assert complaint.complaint_id == sent[0].external_id
    assert sim.videos[keep.id].state == "live"
    assert sorted(checked.values()) == ["removed", "removed"]
    assert states(world) == {v1.id: "removed", v2.id: "removed"}
    with transaction(world.sessions) as s:
        metrics = followup.casework_metrics(s, settings=world.settings.notices)
    assert metrics["takedown_rate_24h"] == {"simulated": 1.0}


@pytest.mark.postgres
def test_exactly_once_on_postgres(tmp_path, fresh_postgres_url) -> None:
    async def run():
        async with ComplaintServer().running() as server:
            world = make_world(tmp_path, NoticeSettings(
                default_channel="http", complaint_api_urls={"douyin": server.base_url}),
                database_url=fresh_postgres_url)
            ingest(world, candidate("v1"), world.report())
            settings = world.settings.notices
            with pytest.raises(Crash):
                await casework.dispatch_notices(world.sessions, channels={"http": CrashAfterSend()},
                                                clock=world.clock, settings=settings, home=world.settings.home)
            world.clock.advance(timedelta(seconds=settings.send_lease_s + 1))  # the dead sender's lease
            for _ in range(2):
                await casework.dispatch_notices(
                    world.sessions, channels={"http": HttpComplaintChannel()}, clock=world.clock,
                    settings=settings, home=world.settings.home)
            with transaction(world.sessions) as s:
                sent = s.scalar(select(func.count()).select_from(CaseEventRow).where(
                    CaseEventRow.event == "notice_sent"))
            world.sessions.kw["bind"].dispose()
            return server, sent

    server, sent = asyncio.run(run())
    assert len(server.complaints) == 1 and len(server.requests) == 2 and sent == 1
