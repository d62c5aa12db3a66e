"""Casework throughput: matches → cases (with evidence packages) → notices delivered to the
simulated platform → re-check finds the copies down.

Seeds a temporary SQLite home with W works (one episode each) and C pirated uploads per work on
the simulated platform, then times each stage with the real clock and prints the figures, among
them detection → notice delivered, to compare with the 2-hour anchor.

    .venv/bin/python -m benchmarks.notices [--works 10] [--copies 20] [--language zh]
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import tempfile
import time
from pathlib import Path

import aiohttp
import numpy as np

from crawler.simulated.server import PlatformSim
from monitor import casework
from monitor import followup
from indexing.reports import MatchReport
from dramaguard.settings import NoticeSettings, Settings
from notices.channels import HttpComplaintChannel
from notices.clock import SystemClock
from notices.evidence import KeyframePair
from notices.model import CandidateInfo
from storage.cases import ClaimantProfile, Notice
from storage.db import make_engine, session_factory, transaction, upgrade
from storage.models import Episode, Fingerprint, RightsHolder, Work


def seed(sessions, works: int) -> list[tuple[int, int]]:
    with transaction(sessions) as s:
        holder = RightsHolder(name="星河短剧有限公司", contact_email="legal@xinghe.example")
        s.add(holder)
        s.flush()
        s.add(ClaimantProfile(holder_id=holder.id, legal_name=holder.name,
                              address="北京市朝阳区星河路1号", email="legal@xinghe.example",
                              signatory="李明"))
        pairs = []
        for n in range(works):
            work = Work(holder=holder, title=f"契约新娘{n}", aliases=[], licensed_accounts=[])
            ep = Episode(work=work, number=1, source_name="ep01.mp4", duration_s=95.0,
                         sha256=f"{n:064x}", size_bytes=1, fp_algorithm="bench", fp_version=1,
                         fp_params={}, fingerprint=Fingerprint(
                             frame_count=1, dim=1, times_ms=b"", vectors=b"", digest="0" * 64))
            s.add(ep)
            s.flush()
            pairs.append((work.id, ep.id))
        return pairs


async def page_is_gone(url: str) -> bool:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status in (404, 410)


async def run(args: argparse.Namespace) -> None:
    sim = PlatformSim()
    await sim.start()
    home = Path(tempfile.mkdtemp(prefix="dg-bench-notices-"))
    notices = NoticeSettings(default_channel="http", complaint_api_urls={"simulated": sim.base_url},
                             platform_languages={"simulated": args.language},
                             recheck_interval_minutes=0.001)
    settings = Settings(home=home, notices=notices)
    engine = make_engine(settings.resolved_database_url)
    upgrade(engine)
    sessions = session_factory(engine)
    clock = SystemClock()
    pairs = seed(sessions, args.works)
    frame = np.random.default_rng(0).integers(0, 255, (640, 360, 3), dtype=np.uint8)
    try:
        started = time.perf_counter()
        for work_id, episode_id in pairs:
            for c in range(args.copies):
                video = sim.add_video(b"x", title=f"契约新娘 全集 {c}", uploader_id=f"p{c}")
                cand = CandidateInfo(platform="simulated", video_id=video.id,
                                     url=sim.page_url(video), title=video.title,
                                     uploader_id=video.uploader_id, captured_at=clock.now())
                report = MatchReport("w", work_id, 1, episode_id, "ep01.mp4", 0.9, 0.0, 80.0,
                                     5.0, 85.0, 0.95, 0.85)
                with transaction(sessions) as s:
                    casework.ingest_matches(
                        s, candidate=cand, reports=[report], clock=clock, settings=settings,
                        keyframes={episode_id: [KeyframePair(10_000, 15_000, frame, frame)]})
        ingest_s = time.perf_counter() - started
        cases = args.works * args.copies

        started = time.perf_counter()
        results = await casework.dispatch_notices(
            sessions, channels={"http": HttpComplaintChannel()}, clock=clock, settings=notices, home=settings.home)
        dispatch_s = time.perf_counter() - started
        with transaction(sessions) as s:
            pdf_sizes = [len(n.pdf) for n in s.query(Notice)]
        await asyncio.sleep(0.1)
        started = time.perf_counter()
        checked = await followup.recheck_removals(sessions, url_is_down=page_is_gone,
                                                  clock=clock, settings=notices)
        recheck_s = time.perf_counter() - started
        with transaction(sessions) as s:
            metrics = followup.casework_metrics(s, settings=notices)
    finally:
        await sim.close()
        engine.dispose()

    sent = sum(r.status == "sent" for r in results)
    print(f"works {args.works}, uploads {cases}, language {args.language}")
    print(f"ingest (policy + case + evidence package with 1 keyframe pair): "
          f"{cases / ingest_s:.1f} cases/s ({1000 * ingest_s / cases:.1f} ms per case)")
    print(f"dispatch: {sent}/{len(results)} notices sent, {args.copies} URLs each, "
          f"{dispatch_s:.2f} s ({1000 * dispatch_s / max(1, len(results)):.0f} ms per notice incl. "
          f"render + PDF + HTTP), PDF median {statistics.median(pdf_sizes) / 1024:.0f} KiB")
    print(f"complaints at the platform: {len(sim.complaints)}")
    print(f"re-check: {sum(v == 'removed' for v in checked.values())}/{len(checked)} removed, "
          f"{recheck_s:.2f} s")
    print(f"median detection → notice delivered: {metrics['median_detect_to_notice_s']:.2f} s "
          f"(anchor: 7200 s); takedown rate 24 h: {metrics['takedown_rate_24h']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--works", type=int, default=10)
    parser.add_argument("--copies", type=int, default=20)
    parser.add_argument("--language", choices=("zh", "en"), default="zh")
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
