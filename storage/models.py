"""Registry tables: rights holders, works, episodes and their frame fingerprints."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.base import Base, UTCDateTime, utcnow


class RightsHolder(Base):
    __tablename__ = "rights_holders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    contact_email: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    works: Mapped[list[Work]] = relationship(back_populates="holder")


class Work(Base):
    __tablename__ = "works"
    __table_args__ = (UniqueConstraint("holder_id", "title"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    holder_id: Mapped[int] = mapped_column(ForeignKey("rights_holders.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(300), index=True)
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    registration_number: Mapped[str | None] = mapped_column(String(100))
    english_title: Mapped[str | None] = mapped_column(String(300))
    licensed_accounts: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # set instead of deleting when cases or notices cite the work: legal records stay, matching stops
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    holder: Mapped[RightsHolder] = relationship(back_populates="works")
    episodes: Mapped[list[Episode]] = relationship(
        back_populates="work", cascade="all, delete-orphan", order_by="Episode.number"
    )


class Episode(Base):
    """One registered video file; the fingerprint triple says how its frames were described."""

    __tablename__ = "episodes"
    __table_args__ = (UniqueConstraint("work_id", "number"), UniqueConstraint("sha256"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    work_id: Mapped[int] = mapped_column(ForeignKey("works.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    source_name: Mapped[str] = mapped_column(String(500))
    duration_s: Mapped[float] = mapped_column(Float)
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    fp_algorithm: Mapped[str] = mapped_column(String(50))
    fp_version: Mapped[int] = mapped_column(Integer)
    fp_params: Mapped[dict] = mapped_column(JSON)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    work: Mapped[Work] = relationship(back_populates="episodes")
    fingerprint: Mapped[Fingerprint | None] = relationship(
        back_populates="episode", cascade="all, delete-orphan", uselist=False
    )


class Fingerprint(Base):
    """The episode's frame descriptors, kept so the index can be rebuilt from the database.

    ``times_ms`` and ``vectors`` are raw little-endian arrays (int64, float32 rows of ``dim``).
    """

    __tablename__ = "fingerprints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    episode_id: Mapped[int] = mapped_column(
        ForeignKey("episodes.id", ondelete="CASCADE"), unique=True
    )
    frame_count: Mapped[int] = mapped_column(Integer)
    dim: Mapped[int] = mapped_column(Integer)
    times_ms: Mapped[bytes] = mapped_column(LargeBinary)
    vectors: Mapped[bytes] = mapped_column(LargeBinary)
    digest: Mapped[str] = mapped_column(String(64), doc="SHA-256 of times and vectors")
    description: Mapped[str | None] = mapped_column(Text)

    episode: Mapped[Episode] = relationship(back_populates="fingerprint")
