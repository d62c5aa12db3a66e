"""Registration receipts: the signed record that an episode was registered, with its file and
fingerprint digests; issued once per episode and cited by every notice's evidence."""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from notices.receipts import RegistrationReceipt, RightsDocument
from storage.base import Base, UTCDateTime
from storage.models import Episode


class RegistrationReceiptRow(Base):
    __tablename__ = "registration_receipts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("episodes.id", ondelete="CASCADE"),
                                            unique=True)
    receipt_id: Mapped[str] = mapped_column(String(100), unique=True)
    sha256: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text, doc="the canonical JSON the digest covers")
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())


def issue_receipt(session: Session, *, episode: Episode, issued_at: datetime,
                  documents: tuple[RightsDocument, ...] = ()) -> RegistrationReceipt:
    """The episode's registration receipt; issued once, the stored one is returned after."""
    existing = session.scalar(select(RegistrationReceiptRow).where(
        RegistrationReceiptRow.episode_id == episode.id))
    if existing is not None:
        return RegistrationReceipt.from_dict(json.loads(existing.body))
    if episode.fingerprint is None:
        raise ValueError(f"episode {episode.id} has no fingerprint; register it first")
    work = episode.work
    receipt = RegistrationReceipt(
        receipt_id=f"DG-R-{episode.id:06d}", holder=work.holder.name, work_title=work.title,
        registration_number=work.registration_number or "", episode_number=episode.number,
        source_name=episode.source_name, file_sha256=episode.sha256,
        size_bytes=episode.size_bytes, duration_s=episode.duration_s,
        fingerprint_algorithm=episode.fp_algorithm, fingerprint_version=episode.fp_version,
        fingerprint_digest=episode.fingerprint.digest, registered_at=episode.registered_at,
        issued_at=issued_at, documents=documents,
    )
    session.add(RegistrationReceiptRow(episode_id=episode.id, receipt_id=receipt.receipt_id,
                                       sha256=receipt.sha256, body=receipt.to_json(),
                                       issued_at=issued_at))
    session.flush()
    return receipt


def receipt_for(session: Session, *, episode_id: int) -> RegistrationReceipt | None:
    row = session.scalar(select(RegistrationReceiptRow).where(
        RegistrationReceiptRow.episode_id == episode_id))
    return RegistrationReceipt.from_dict(json.loads(row.body)) if row else None
