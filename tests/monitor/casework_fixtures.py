"""A migrated SQLite database seeded with one rights holder, one work and two episodes."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from indexing.reports import MatchReport
from dramaguard.settings import NoticeSettings, Settings
from notices.clock import ManualClock
from notices.model import CandidateInfo
from monitor.demo_profile import register_example_claimant
from storage.db import make_engine, session_factory, transaction, upgrade
from storage.models import Episode, Fingerprint, RightsHolder, Work

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


@dataclass
class World:
    sessions: sessionmaker[Session]
    settings: Settings
    clock: ManualClock
    work_id: int
    holder_id: int
    episode_ids: list[int]

    def report(self, *, episode: int = 1, seconds: float = 80.0, score: float = 0.9,
               ref_start: float = 5.0, ref_share: float = 0.85) -> MatchReport:
        return MatchReport("霸道总裁的契约新娘", self.work_id, episode,
                           self.episode_ids[episode - 1],
                           f"ep{episode:02d}.mp4", score, 0.0, seconds, ref_start,
                           ref_start + seconds, 0.95, ref_share)


def candidate(video_id: str = "v1", **kw) -> CandidateInfo:
    base = dict(platform="douyin", video_id=video_id, url=f"https://v.douyin.example/{video_id}",
                title=f"契约新娘 全集 {video_id}", uploader_id="pirate-1", uploader_name="搬运工",
                view_count=5000, captured_at=T0, uploaded_at=T0, media_sha256=(video_id * 64)[:64])
    base.update(kw)
    return CandidateInfo(**base)


def make_world(home: Path, notices: NoticeSettings, *, claimant: bool = True,
               database_url: str | None = None) -> World:
    settings = Settings(home=home, notices=notices, database_url=database_url)
    engine = make_engine(settings.resolved_database_url)
    upgrade(engine)
    sessions = session_factory(engine)
    with transaction(sessions) as s:
        holder = RightsHolder(name="星河短剧有限公司", contact_email="legal@xinghe.example")
        work = Work(holder=holder, title="霸道总裁的契约新娘", aliases=[],
                    registration_number="国作登字-2026-I-00000001",
                    licensed_accounts=["official-xinghe"])
        s.add(work)
        episodes = []
        for number in (1, 2):
            ep = Episode(work=work, number=number, source_name=f"ep{number:02d}.mp4",
                         duration_s=95.0, sha256=f"{number}" * 64, size_bytes=1_000_000,
                         fp_algorithm="dg-test", fp_version=1, fp_params={}, registered_at=T0)
            ep.fingerprint = Fingerprint(frame_count=1, dim=1, times_ms=b"\0" * 8,
                                         vectors=b"\0" * 4, digest=f"d{number}" * 32)
            episodes.append(ep)
            s.add(ep)
        s.flush()
        if claimant:  # complete: profile, seal, a registration certificate for the work
            register_example_claimant(s, work, home=home, legal_name="星河短剧有限公司")
        ids = (work.id, holder.id, [e.id for e in episodes])
    return World(sessions, settings, ManualClock(T0), ids[0], ids[1], ids[2])
