"""Claimant profiles' documents: ownership proofs (权属证明) and seal images, per rights holder.

A proof is a file in the data home (``storage.evidence_store.proof_path``, named by its SHA-256)
and a row saying whose it is, for which work (none: every work of the holder, e.g. a business
licence), what kind, and who uploaded it. Refused uploads are refused before anything is written;
a proof that a sent notice cites can never be deleted (the platform holds its digest).
"""
from __future__ import annotations

import hashlib
import os
from datetime import datetime
from pathlib import Path

from sqlalchemy import ForeignKey, Integer, String, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from notices.completeness import claimant_gaps
from notices.document import Party
from notices.proofs import OWNERSHIP_KINDS, ProofKind, sniff
from storage.base import Base, UTCDateTime
from storage.cases import ClaimantProfile, Delivery, Notice
from storage.evidence_store import proof_path
from storage.models import Work

PROFILE_FIELDS = ("legal_name", "english_name", "address", "email", "phone", "registration_id", "signatory",
                  "signatory_capacity", "time_zone", "agent_name", "agent_address", "agent_email", "agent_phone",
                  "agent_authorization")


class OwnershipProof(Base):
    __tablename__ = "ownership_proofs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    holder_id: Mapped[int] = mapped_column(ForeignKey("rights_holders.id", ondelete="CASCADE"), index=True)
    work_id: Mapped[int | None] = mapped_column(ForeignKey("works.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    filename: Mapped[str] = mapped_column(String(300))
    content_type: Mapped[str] = mapped_column(String(50))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(String(300), default="")  # "3 pages", "1200x800"
    uploaded_by: Mapped[str] = mapped_column(String(320))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime())

    @property
    def extension(self) -> str:
        return {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}[self.content_type]

    def path(self, home: Path) -> Path:
        return proof_path(home, self.holder_id, self.sha256, self.extension)


class ProofInUse(Exception):
    """A proof cited by a sent notice: deleting it would leave the platform's copy unverifiable."""

    expected = True


def save_profile(session: Session, *, holder_id: int, values: dict) -> ClaimantProfile:
    """Create or update the holder's profile with ``values`` (keys of PROFILE_FIELDS)."""
    profile = session.scalar(select(ClaimantProfile).where(ClaimantProfile.holder_id == holder_id))
    if profile is None:
        profile = ClaimantProfile(holder_id=holder_id, legal_name="", address="", email="", signatory="")
        session.add(profile)
    for key, value in values.items():
        if key not in PROFILE_FIELDS:
            raise KeyError(f"not a profile field: {key}")
        setattr(profile, key, value.strip() if isinstance(value, str) else value)
    session.flush()
    return profile


def store_proof(session: Session, *, home: Path, holder_id: int, work_id: int | None, kind: ProofKind,
                filename: str, data: bytes, uploaded_by: str, at: datetime, max_bytes: int) -> OwnershipProof:
    """Check ``data`` (ProofRefused: nothing is written), then keep the file and its row."""
    sniffed = sniff(data, max_bytes=max_bytes)
    digest = hashlib.sha256(data).hexdigest()
    name = os.path.basename(filename.replace("\\", "/"))[:300] or f"proof.{sniffed.extension}"
    row = OwnershipProof(holder_id=holder_id, work_id=work_id, kind=ProofKind(kind).value, filename=name,
                         content_type=sniffed.content_type, size_bytes=len(data), sha256=digest,
                         description=sniffed.pages_or_pixels, uploaded_by=uploaded_by, uploaded_at=at)
    path = row.path(home)
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
    session.add(row)
    session.flush()
    return row


def proofs_for(session: Session, *, holder_id: int, work_id: int | None = None) -> list[OwnershipProof]:
    """The holder's proofs for ``work_id`` and those for all its works (work_id None: all)."""
    query = select(OwnershipProof).where(OwnershipProof.holder_id == holder_id).order_by(OwnershipProof.id)
    if work_id is not None:
        query = query.where(or_(OwnershipProof.work_id == work_id, OwnershipProof.work_id.is_(None)))
    return list(session.scalars(query))


def seal_of(session: Session, *, holder_id: int) -> OwnershipProof | None:
    """The newest image uploaded as the holder's seal/signature."""
    return session.scalar(select(OwnershipProof).where(
        OwnershipProof.holder_id == holder_id, OwnershipProof.kind == ProofKind.SEAL.value,
        OwnershipProof.content_type != "application/pdf").order_by(OwnershipProof.id.desc()).limit(1))


def cited_proof_ids(session: Session, *, holder_id: int) -> set[int]:
    """Proofs attached to a notice that was sent (or is on its way: it may be out already)."""
    notices = session.scalars(select(Notice).join(Delivery).where(
        Notice.holder_id == holder_id, Delivery.status.in_(("sent", "sending"))))
    return {a["proof_id"] for n in notices for a in (n.attachments or []) if a.get("proof_id")}


def delete_proof(session: Session, proof: OwnershipProof, *, home: Path) -> None:
    if proof.id in cited_proof_ids(session, holder_id=proof.holder_id):
        raise ProofInUse(f"proof {proof.id} ({proof.filename}) is attached to a sent notice; it is kept")
    session.delete(proof)
    session.flush()
    still_used = session.scalar(select(OwnershipProof.id).where(
        OwnershipProof.holder_id == proof.holder_id, OwnershipProof.sha256 == proof.sha256).limit(1))
    if still_used is None:
        proof.path(home).unlink(missing_ok=True)


def profile_gaps(profile: ClaimantProfile | None) -> list[str]:
    """Element codes the profile lacks (every one when there is none)."""
    if profile is None:
        return ["claimant_profile"]
    party = Party(profile.legal_name, profile.address, profile.email, profile.phone or "")
    return claimant_gaps(party, signatory=profile.signatory, capacity=profile.signatory_capacity or "")


def readiness(session: Session, work: Work) -> list[str]:
    """Why a notice for ``work`` would be blocked today ([] when it would go out)."""
    profile = session.scalar(select(ClaimantProfile).where(ClaimantProfile.holder_id == work.holder_id))
    gaps = profile_gaps(profile)
    kinds = {p.kind for p in proofs_for(session, holder_id=work.holder_id, work_id=work.id)}
    if profile is not None and profile.agent_name and (
            not (profile.agent_authorization or "").strip() or ProofKind.AUTHORISATION_LETTER not in kinds):
        gaps.append("agent_authorisation")
    if not kinds & (OWNERSHIP_KINDS - {ProofKind.AUTHORISATION_LETTER}):
        gaps.append("ownership_proof")
    return gaps
