"""Crash safety: SIGKILL the daemon process at several points of a run, restart it, and count.

The platform (complaints by video, deduplicated by nothing but the notices' idempotency key) lives
in the test process; the daemon is a real `dramaguard daemon` subprocess using the real casework
(storage.cases). After every kill a new daemon resumes from the database and job store. At the end
every pirated upload must have exactly one complaint, one case and one delivered notice, its
removal verified, and innocent uploads nothing.
"""
from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter

from sqlalchemy import func, select

from crawler.simulated.server import PlatformSim
from monitor.demo import demo_settings, prepare_work, settings_env
from indexing.catalogue import Services
from storage.cases import Case, Delivery, NoticeItemRow
from storage.daemon import QueuedCandidate
from storage.db import transaction
from storage.models import Work

PIRATED = ("flip", "pad_speed", "compilation")


async def _start_daemon(settings, env):
    log = open(settings.home / "daemon.log", "ab")  # a pipe nobody reads would block the daemon
    try:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "dramaguard", "--home", str(settings.home), "daemon",
            env={**os.environ, **env}, stdout=asyncio.subprocess.DEVNULL, stderr=log,
            start_new_session=True,  # its own process group: a kill takes its workers down too
        )
    finally:
        log.close()


def _count(services, query):
    with transaction(services.sessions) as session:
        return session.scalar(query) or 0


async def _until(predicate, timeout: float) -> bool:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while loop.time() < end:
        if predicate():
            return True
        await asyncio.sleep(0.1)
    return False


async def _scenario(settings, media):
    sim = PlatformSim(takedown_delay_s=0.5)
    url = await sim.start()
    run = demo_settings(settings, platform_url=url)
    env = settings_env(run)
    with Services.open(settings) as services:
        services.register_files([media["ep1"], media["ep2"]], work="契约新娘", holder="holder")
        with transaction(services.sessions) as session:
            work = session.scalar(select(Work).where(Work.title == "契约新娘"))
            prepare_work(session, work, notify_score=settings.matcher.notify_score, home=settings.home)
        videos = {}
        for name in ("flip", "innocent", "pad_speed", "compilation"):
            videos[name] = sim.add_video(media[name].read_bytes(), title=name, uploader_id=f"u-{name}").id

        cases = lambda: _count(services, select(func.count()).select_from(Case))
        done = lambda: _count(services, select(func.count()).select_from(QueuedCandidate)
                              .where(QueuedCandidate.state != "pending"))
        sent = lambda: _count(services, select(func.count()).select_from(NoticeItemRow)
                              .join(Delivery, Delivery.notice_id == NoticeItemRow.notice_id)
                              .where(Delivery.status == "sent"))
        # kill points: as soon as candidates are queued, after the first case, after the first
        # notice went out, and mid-way through the rest
        kill_points = [
            lambda: _count(services, select(func.count()).select_from(QueuedCandidate)) > 0,
            lambda: cases() >= 1,
            lambda: sent() >= 1 or len(sim.complaints) >= 1,
            lambda: sent() >= 3,
        ]
        kills = 0
        for point in kill_points:
            proc = await _start_daemon(settings, env)
            reached = await _until(point, 90)
            os.killpg(proc.pid, signal.SIGKILL)  # the daemon and its fingerprint workers, at once
            await proc.wait()
            kills += reached
        # the last daemon runs to the end and is stopped cleanly
        proc = await _start_daemon(settings, env)
        finished = await _until(
            lambda: done() == len(videos) and all(
                sim.videos[videos[n]].state == "taken_down" for n in PIRATED)
            and _count(services, select(func.count()).select_from(Case)
                       .where(Case.state == "removed")) == len(PIRATED), 120)
        proc.send_signal(signal.SIGTERM)
        await proc.wait()
        stderr = (settings.home / "daemon.log").read_bytes()
        with transaction(services.sessions) as session:
            cases_by_video = {
                c.video_id: (c.state, [(i.stage, i.notice.delivery.status) for i in session.scalars(
                    select(NoticeItemRow).where(NoticeItemRow.case_id == c.id))])
                for c in session.scalars(select(Case))}
            case_videos = Counter(c.video_id for c in session.scalars(select(Case)))
    await sim.close()
    return sim, videos, cases_by_video, case_videos, kills, finished, proc.returncode, stderr


def test_sigkill_at_several_points_loses_no_case_and_sends_nothing_twice(settings, sample_media):
    sim, videos, cases_by_video, case_videos, kills, finished, code, stderr = asyncio.run(
        _scenario(settings, sample_media))
    assert kills >= 3, "the daemon was not killed where the test meant to"
    assert finished, stderr.decode()[-3000:]
    assert code == 0, stderr.decode()[-3000:]  # SIGTERM: graceful exit
    complaints = Counter(v for c in sim.complaints.values() for v in c.video_ids)
    for name in PIRATED:
        assert complaints[videos[name]] == 1, (name, complaints)
        assert case_videos[videos[name]] == 1, (name, case_videos)
    assert complaints[videos["innocent"]] == 0 and case_videos[videos["innocent"]] == 0
    for name in PIRATED:
        # exactly one notice listed the case, and it was delivered; the removal was verified
        assert cases_by_video[videos[name]] == ("removed", [("notice", "sent")]), name
