"""Alerts: what a person must see (a deadline near or breached, a delivery failing, legal
action due), raised once per dedupe key."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from storage.base import Base, UTCDateTime, utcnow


class Alert(Base):
    """Something a person must see (deadline near or breached, delivery failing); raised once
    per ``dedupe_key``."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    acknowledged: Mapped[bool] = mapped_column(Boolean, default=False)


def raise_alert(session: Session, *, kind: str, message: str, dedupe_key: str, at: datetime,
                case_id: int | None = None) -> bool:
    """Record an alert once; False when one with this key already exists.

    Two writers racing on the same key make one transaction fail on the unique key; its job
    runs again and finds the alert (jobs run with max_instances=1, so this is rare).
    """
    if session.scalar(select(Alert.id).where(Alert.dedupe_key == dedupe_key)) is not None:
        return False
    for pending in session.new:
        if isinstance(pending, Alert) and pending.dedupe_key == dedupe_key:
            return False
    session.add(Alert(kind=kind, message=message, dedupe_key=dedupe_key, case_id=case_id,
                      created_at=at))
    return True


def alerts(session: Session, *, kind: str | None = None) -> list[Alert]:
    query = select(Alert).order_by(Alert.id)
    if kind:
        query = query.where(Alert.kind == kind)
    return list(session.scalars(query))
