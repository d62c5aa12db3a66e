"""Casework tables and their repository functions: cases with an audit log, notices with an
outbox of deliveries, review decisions and the memory of rejected matches. Per-work policy,
allowlists and excluded intervals (``storage.work_rules``), registration receipts
(``storage.receipts``) and alerts (``storage.alerts``) are their own aggregates: import them from there.

Exactly-once rests on two unique constraints: ``notice_items (case_id, stage)`` — a case is in
at most one notice per stage — and ``deliveries.key`` — one delivery per notice, keyed for the
receiver to dedupe on. See monitor.casework for the outbox steps.
"""
from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
    select,
    update,
)
from sqlalchemy import case as sa_case
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from notices.lifecycle import CaseEvent, CaseState, next_state
from storage.base import Base, UTCDateTime
from storage.models import Episode, RightsHolder, Work


class ClaimantProfile(Base):
    """Who signs a rights holder's notices: identity, contacts and any agent's authorization."""

    __tablename__ = "claimant_profiles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    holder_id: Mapped[int] = mapped_column(
        ForeignKey("rights_holders.id", ondelete="CASCADE"), unique=True
    )
    legal_name: Mapped[str] = mapped_column(String(300))
    address: Mapped[str] = mapped_column(String(500))
    email: Mapped[str] = mapped_column(String(320))
    phone: Mapped[str] = mapped_column(String(50), default="")
    registration_id: Mapped[str] = mapped_column(String(100), default="")
    signatory: Mapped[str] = mapped_column(String(200))
    # §512(c)(3)(A)(i): who signs, and in what capacity (法定代表人, legal counsel, agent)
    signatory_capacity: Mapped[str] = mapped_column(String(200), default="")
    english_name: Mapped[str] = mapped_column(String(300), default="")
    time_zone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    agent_name: Mapped[str | None] = mapped_column(String(300))
    agent_address: Mapped[str | None] = mapped_column(String(500))
    agent_email: Mapped[str | None] = mapped_column(String(320))
    agent_phone: Mapped[str | None] = mapped_column(String(50))
    agent_authorization: Mapped[str | None] = mapped_column(String(500))


class Case(Base):
    """One suspected copy of one work on one platform."""

    __tablename__ = "cases"
    __table_args__ = (UniqueConstraint("work_id", "platform", "video_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    holder_id: Mapped[int] = mapped_column(ForeignKey("rights_holders.id", ondelete="CASCADE"))
    work_id: Mapped[int] = mapped_column(ForeignKey("works.id", ondelete="CASCADE"), index=True)
    episode_id: Mapped[int | None] = mapped_column(ForeignKey("episodes.id", ondelete="SET NULL"))
    platform: Mapped[str] = mapped_column(String(50), index=True)
    video_id: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(2000))
    title: Mapped[str] = mapped_column(String(500), default="")
    uploader_id: Mapped[str | None] = mapped_column(String(200))
    uploader_name: Mapped[str | None] = mapped_column(String(300))
    channel_id: Mapped[str | None] = mapped_column(String(200))
    uploaded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    view_count: Mapped[int | None] = mapped_column(Integer)
    captured_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    media_sha256: Mapped[str | None] = mapped_column(String(64))

    state: Mapped[str] = mapped_column(String(30), index=True)
    action: Mapped[str] = mapped_column(String(10))
    policy_reason: Mapped[str] = mapped_column(String(200), default="")
    score: Mapped[float] = mapped_column(Float)
    matched_ms: Mapped[int] = mapped_column(Integer)
    query_share: Mapped[float] = mapped_column(Float)
    ref_share: Mapped[float] = mapped_column(Float)
    matches: Mapped[list] = mapped_column(JSON, default=list)

    detected_at: Mapped[datetime] = mapped_column(UTCDateTime())
    notice_deadline: Mapped[datetime] = mapped_column(UTCDateTime())
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    counter_notice_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    legal_action: Mapped[bool] = mapped_column(Boolean, default=False)

    evidence_id: Mapped[str | None] = mapped_column(String(100))
    evidence_sha256: Mapped[str | None] = mapped_column(String(64))
    evidence_dir: Mapped[str | None] = mapped_column(String(1000))

    work: Mapped[Work] = relationship()
    episode: Mapped[Episode | None] = relationship()
    events: Mapped[list[CaseEventRow]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="CaseEventRow.id"
    )


class CaseEventRow(Base):
    """The audit log: who did what to a case, when, and the state it moved between."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(200))
    event: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str | None] = mapped_column(String(30))
    to_state: Mapped[str] = mapped_column(String(30))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)

    case: Mapped[Case] = relationship(back_populates="events")


class Notice(Base):
    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    holder_id: Mapped[int] = mapped_column(ForeignKey("rights_holders.id", ondelete="CASCADE"))
    work_id: Mapped[int] = mapped_column(ForeignKey("works.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(50))
    stage: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(5))
    recipient: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(String(500))
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # what went with the notice: [{name, content_type, sha256, size, kind, proof_id}]
    attachments: Mapped[list] = mapped_column(JSON, default=list)
    evidence_pdf: Mapped[bytes | None] = mapped_column(LargeBinary)

    items: Mapped[list[NoticeItemRow]] = relationship(back_populates="notice",
                                                      cascade="all, delete-orphan")
    delivery: Mapped[Delivery | None] = relationship(back_populates="notice", uselist=False,
                                                     cascade="all, delete-orphan")


class NoticeItemRow(Base):
    """A case listed in a notice; unique per (case, stage) so no case is noticed twice."""

    __tablename__ = "notice_items"
    __table_args__ = (UniqueConstraint("case_id", "stage"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"),
                                           index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    stage: Mapped[str] = mapped_column(String(20))

    notice: Mapped[Notice] = relationship(back_populates="items")
    case: Mapped[Case] = relationship()


class Delivery(Base):
    """The outbox row: ``sending`` is written (with its key) before the channel is called."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"),
                                           unique=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    channel: Mapped[str] = mapped_column(String(30))
    # sending: due (again) | sent | failed: refused for good, a person must look
    status: Mapped[str] = mapped_column(String(10), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    external_id: Mapped[str | None] = mapped_column(String(300))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # a dispatcher sending this delivery holds it until then (see take_send_lease)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # a sender's lease ran out before it recorded an outcome: it died inside the exchange, so the
    # receiver may hold a copy (SMTP cannot tell) — shown to legal, the re-send says "resend"
    possibly_delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    notice: Mapped[Notice] = relationship(back_populates="delivery")


class ReviewDecision(Base):
    __tablename__ = "review_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    decision: Mapped[str] = mapped_column(String(10))  # approve | reject
    reviewer: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RejectedMatch(Base):
    """A copy legal staff judged not infringing: the same upload is never raised again."""

    __tablename__ = "rejected_matches"
    __table_args__ = (UniqueConstraint("work_id", "platform", "video_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    work_id: Mapped[int] = mapped_column(ForeignKey("works.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(50))
    video_id: Mapped[str] = mapped_column(String(200))
    media_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"))
    rejected_at: Mapped[datetime] = mapped_column(UTCDateTime())


# ---- repository functions -------------------------------------------------------------------

def transition(session: Session, case: Case, event: CaseEvent, *, actor: str, at: datetime,
               detail: dict | None = None) -> CaseState:
    """Apply a state-machine event and write the audit row; illegal events raise."""
    before = CaseState(case.state)
    after = next_state(before, event)
    case.state = after.value
    session.add(CaseEventRow(case_id=case.id, at=at, actor=actor, event=str(event),
                             from_state=before.value, to_state=after.value, detail=detail or {}))
    return after


def open_case(session: Session, case: Case, *, actor: str, detail: dict | None = None) -> Case:
    session.add(case)
    session.flush()
    session.add(CaseEventRow(case_id=case.id, at=case.detected_at, actor=actor, event="opened",
                             from_state=None, to_state=case.state, detail=detail or {}))
    return case


def find_case(session: Session, *, work_id: int, platform: str, video_id: str) -> Case | None:
    return session.scalar(select(Case).where(
        Case.work_id == work_id, Case.platform == platform, Case.video_id == video_id))


def get_case(session: Session, case_id: int) -> Case:
    """The case by id; LookupError when there is none (a stale id from a person or a link)."""
    case = session.get(Case, case_id)
    if case is None:
        raise LookupError(f"case {case_id} does not exist")
    return case


def list_cases(session: Session, *, state: str | None = None, platform: str | None = None,
               limit: int = 100) -> list[Case]:
    query = select(Case).order_by(Case.detected_at.desc(), Case.id.desc()).limit(limit)
    if state:
        query = query.where(Case.state == state)
    if platform:
        query = query.where(Case.platform == platform)
    return list(session.scalars(query))


def cases_in(session: Session, states: frozenset[CaseState] | set[CaseState]) -> list[Case]:
    return list(session.scalars(
        select(Case).where(Case.state.in_([s.value for s in states])).order_by(Case.id)))


def is_rejected(session: Session, *, work_id: int, platform: str, video_id: str,
                media_sha256: str | None = None) -> bool:
    """True when this upload (or the same media bytes re-uploaded) was rejected for the work."""
    same_upload = (RejectedMatch.platform == platform) & (RejectedMatch.video_id == video_id)
    condition = same_upload
    if media_sha256:
        condition = same_upload | (RejectedMatch.media_sha256 == media_sha256)
    found = session.scalar(select(RejectedMatch.id).where(
        RejectedMatch.work_id == work_id, condition).limit(1))
    return found is not None


def record_review(session: Session, case: Case, *, approve: bool, reviewer: str, at: datetime,
                  note: str = "") -> CaseState:
    """Legal staff's decision; a rejection is remembered so the upload is not raised again."""
    event = CaseEvent.APPROVE if approve else CaseEvent.REJECT
    state = transition(session, case, event, actor=reviewer, at=at, detail={"note": note})
    session.add(ReviewDecision(case_id=case.id, decision="approve" if approve else "reject",
                               reviewer=reviewer, note=note, decided_at=at))
    if not approve:
        session.add(RejectedMatch(work_id=case.work_id, platform=case.platform,
                                  video_id=case.video_id, media_sha256=case.media_sha256,
                                  case_id=case.id, rejected_at=at))
    return state


def review_counts(session: Session) -> tuple[int, int]:
    """(approved, rejected) review decisions, for the false-positive rate."""
    rows = dict(session.execute(
        select(ReviewDecision.decision, func.count()).group_by(ReviewDecision.decision)).all())
    return rows.get("approve", 0), rows.get("reject", 0)


def claimant(session: Session, *, holder_id: int) -> ClaimantProfile | None:
    return session.scalar(select(ClaimantProfile).where(ClaimantProfile.holder_id == holder_id))


def delivery_key(case_ids: list[int], stage: str) -> str:
    """The idempotency key of the notice that lists these cases at this stage.

    Each (case, stage) is in exactly one notice (unique constraint), so the key is stable for a
    notice and never shared by two.
    """
    body = f"{stage}:" + ",".join(str(i) for i in sorted(case_ids))
    return f"dg-{stage}-{hashlib.sha256(body.encode()).hexdigest()[:40]}"


def notice_public_id(key: str) -> str:
    """The id printed on a notice, derived from its delivery key so it is known before any row
    is written."""
    return "DG-" + key.rsplit("-", 1)[1][:12].upper()


def unsent_deliveries(session: Session) -> list[Delivery]:
    return list(session.scalars(
        select(Delivery).where(Delivery.status == "sending").order_by(Delivery.id)))


def take_send_lease(session: Session, delivery_id: int, *, now: datetime, until: datetime) -> bool:
    """Atomically become the one dispatcher sending this delivery until ``until``; False when
    it is sent already or another dispatcher holds an unexpired lease (it is sending it now).

    An expired lease (failures clear theirs) means the last sender died mid-exchange: the same
    statement marks the delivery possibly delivered."""
    result = session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.status == "sending",
               (Delivery.lease_until.is_(None)) | (Delivery.lease_until < now))
        .values(lease_until=until, possibly_delivered_at=sa_case(
            (Delivery.lease_until.is_not(None), func.coalesce(Delivery.possibly_delivered_at, now)),
            else_=Delivery.possibly_delivered_at)))
    return result.rowcount == 1


def holder_of(session: Session, work_id: int) -> RightsHolder:
    work = session.get(Work, work_id)
    if work is None:
        raise LookupError(f"work {work_id} does not exist")
    return work.holder
