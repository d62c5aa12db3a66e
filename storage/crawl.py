"""Crawler persistence: per-platform cursors and the videos already seen (implements CrawlState)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Integer, String, Text, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from storage.base import Base, UTCDateTime, utcnow
from storage.db import transaction


class CrawlCursor(Base):
    __tablename__ = "crawl_cursors"
    __table_args__ = (UniqueConstraint("platform", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(50))
    key: Mapped[str] = mapped_column(String(300))
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class SeenVideo(Base):
    __tablename__ = "seen_videos"
    __table_args__ = (UniqueConstraint("platform", "video_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(50))
    video_id: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(30))
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class SqlCrawlState:
    """``crawler.state.CrawlState`` on the shared database; one short transaction per call."""

    def __init__(self, sessions: sessionmaker[Session]):
        self.sessions = sessions

    def get_cursor(self, platform: str, key: str) -> str | None:
        with transaction(self.sessions) as session:
            return session.scalar(
                select(CrawlCursor.value).where(
                    CrawlCursor.platform == platform, CrawlCursor.key == key
                )
            )

    def set_cursor(self, platform: str, key: str, value: str) -> None:
        with transaction(self.sessions) as session:
            row = session.scalar(
                select(CrawlCursor).where(CrawlCursor.platform == platform, CrawlCursor.key == key)
            )
            if row is None:
                session.add(CrawlCursor(platform=platform, key=key, value=value))
            else:
                row.value = value

    def unseen(self, platform: str, video_ids: Iterable[str]) -> set[str]:
        wanted = set(video_ids)
        if not wanted:
            return set()
        with transaction(self.sessions) as session:
            seen = session.scalars(
                select(SeenVideo.video_id).where(
                    SeenVideo.platform == platform, SeenVideo.video_id.in_(wanted)
                )
            )
            return wanted - set(seen)

    def mark_seen(self, platform: str, video_id: str, *, url: str, status: str) -> None:
        # two discovery jobs (new uploads, a title search) may see one video at once: the loser
        # of the insert race finds the winner's row on its second try and updates it
        for attempt in range(2):
            try:
                with transaction(self.sessions) as session:
                    row = session.scalar(
                        select(SeenVideo).where(
                            SeenVideo.platform == platform, SeenVideo.video_id == video_id
                        )
                    )
                    if row is None:
                        session.add(
                            SeenVideo(platform=platform, video_id=video_id, url=url, status=status)
                        )
                    else:
                        row.status, row.url = status, url
                return
            except IntegrityError:
                if attempt:
                    raise
