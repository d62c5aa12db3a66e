"""What a notice says and carries, read from the database: the claimant profile, the platform
registry's addressee, each case's uploader and times, the ownership proofs, the first notice an
escalation cites, and the attachments (notice PDF, evidence PDF, proofs).

Wiring only: whether a notice is complete is decided by notices.completeness over the plain
document built here.
"""
from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

from pypdf import PdfWriter
from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.config import NoticeSettings
from notices.clock import Clock
from notices.document import (
    Addressee,
    Agent,
    FirstNotice,
    NoticeDocument,
    NoticeItem,
    Party,
    ProofCitation,
    local_time,
    zone_of,
)
from notices.errors import IncompleteNotice
from notices.evidence import segment_summary
from notices.evidence_pdf import evidence_pdf
from notices.casework import best_match
from notices.platforms import PlatformDesk, build_registry
from notices.proofs import OWNERSHIP_KINDS
from storage import cases as repo
from storage import receipts
from storage.claimants import OwnershipProof, profile_gaps, proofs_for, seal_of
from storage.cases import Case, Delivery, Notice, NoticeItemRow
from storage.evidence_store import case_package_dir

STAGE_ESCALATION = "escalation"


@dataclass(frozen=True)
class FileAttachment:
    filename: str
    content_type: str
    data: bytes


def desk_for(settings: NoticeSettings, platform: str) -> PlatformDesk | None:
    return build_registry(settings.platform_registry).get(platform)


def languages_for(settings: NoticeSettings, platform: str) -> tuple[str, ...]:
    """An explicit ``platform_languages`` setting wins; else what the platform's desk asks for."""
    if platform in settings.platform_languages:
        return (settings.platform_languages[platform],)
    desk = desk_for(settings, platform)
    return desk.languages if desk else ("zh",)


def _first_notice(session: Session, case: Case, zone: str) -> FirstNotice | None:
    row = session.execute(
        select(Notice.public_id, Delivery.sent_at).join(NoticeItemRow, NoticeItemRow.notice_id == Notice.id)
        .join(Delivery, Delivery.notice_id == Notice.id)
        .where(NoticeItemRow.case_id == case.id, NoticeItemRow.stage == "notice", Delivery.status == "sent")
    ).first()
    if row is None:
        return None
    return FirstNotice(row.public_id, local_time(row.sent_at, zone))


def _earlier_notices(session: Session, case: Case, limit: int = 10) -> tuple[str, ...]:
    """Notices delivered to the case's platform for the same holder about other copies by the same
    uploader (by account id, else display name), oldest first."""
    if case.uploader_id:
        same = Case.uploader_id == case.uploader_id
    elif case.uploader_name:
        same = Case.uploader_name == case.uploader_name
    else:
        return ()
    rows = session.scalars(
        select(Notice.public_id).join(NoticeItemRow, NoticeItemRow.notice_id == Notice.id)
        .join(Case, Case.id == NoticeItemRow.case_id).join(Delivery, Delivery.notice_id == Notice.id)
        .where(same, Case.id != case.id, Case.platform == case.platform, Case.holder_id == case.holder_id,
               Delivery.status == "sent")
        .order_by(Delivery.sent_at, Notice.id).limit(limit))
    return tuple(dict.fromkeys(rows))


def notice_document(session: Session, cases: list[Case], *, notice_id: str, stage: str,
                    settings: NoticeSettings, clock: Clock, languages: tuple[str, ...] | None = None,
                    home: Path | None = None) -> NoticeDocument:
    """The notice for cases of one work on one platform; IncompleteNotice (with the missing
    element codes) when the profile or the proofs cannot make it legally sufficient."""
    work = cases[0].work
    profile = repo.claimant(session, holder_id=work.holder_id)
    if profile is None:
        raise IncompleteNotice(f"rights holder {work.holder.name!r} has no claimant profile",
                               missing=tuple(profile_gaps(None)))
    zone = profile.time_zone or "Asia/Shanghai"
    agent = None
    if profile.agent_name:
        agent = Agent(Party(profile.agent_name, profile.agent_address or "", profile.agent_email or "",
                            profile.agent_phone or ""), profile.agent_authorization or "")
    items, documents = [], []
    for case in cases:
        best = best_match(case)
        receipt = receipts.receipt_for(session, episode_id=best.episode_id)
        if receipt:
            documents += [f"{d.kind} {d.reference}" for d in receipt.documents]
        items.append(NoticeItem(
            url=case.url, title=case.title, uploader=case.uploader_name or "", uploader_id=case.uploader_id or "",
            uploaded_at=local_time(case.uploaded_at, zone), episode_number=best.episode_number,
            matched=segment_summary(best), score=case.score, carried_by=best.carried_by or (),
            evidence_id=case.evidence_id or "", evidence_sha256=case.evidence_sha256 or "",
            receipt_id=receipt.receipt_id if receipt else "", receipt_sha256=receipt.sha256 if receipt else "",
            captured_at=local_time(case.captured_at or case.detected_at, zone),
            earlier_notices=_earlier_notices(session, case),
        ))
    platform = cases[0].platform
    desk = desk_for(settings, platform)
    langs = languages or languages_for(settings, platform)
    proofs = [p for p in proofs_for(session, holder_id=work.holder_id, work_id=work.id) if p.kind in OWNERSHIP_KINDS]
    seal = seal_of(session, holder_id=work.holder_id)
    seal_png = seal.path(home).read_bytes() if seal is not None and home is not None and seal.path(home).is_file() \
        else None
    return NoticeDocument(
        notice_id=notice_id, language=langs[0], languages=langs, platform=platform,
        addressee=Addressee(desk.legal_entity, desk.desk, desk.address) if desk else Addressee("", ""),
        holder=Party(profile.legal_name, profile.address, profile.email, profile.phone, profile.registration_id),
        holder_english_name=profile.english_name or "",
        work_title=work.title, work_english_title=work.english_title or "",
        registration_number=work.registration_number or "", items=tuple(items), signatory=profile.signatory,
        signatory_capacity=profile.signatory_capacity or "", signed_on=clock.now().astimezone(zone_of(zone)).date(),
        agent=agent, stage=stage, rights_documents=tuple(dict.fromkeys(documents)),
        ownership_proofs=tuple(ProofCitation(p.kind, p.filename, p.sha256) for p in proofs),
        first_notice=_first_notice(session, cases[0], zone) if stage == STAGE_ESCALATION else None,
        time_zone=zone, seal_png=seal_png,
    )


def evidence_document(session: Session, cases: list[Case], *, home: Path, zone: str) -> bytes:
    """One PDF with every case's evidence package, in the order the notice lists them."""
    writer = PdfWriter()
    for case in cases:
        lengths = {case.episode_id: round(case.episode.duration_s * 1000)} if case.episode else {}
        body = evidence_pdf(case_package_dir(home, case), sha256=case.evidence_sha256 or "", time_zone=zone,
                            episode_lengths_ms=lengths, title=f"证据材料 / Evidence {case.evidence_id}")
        writer.append(io.BytesIO(body))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def attachment_list(notice_pdf: bytes, evidence: bytes, notice_id: str,
                    proofs: list[OwnershipProof]) -> list[dict]:
    """What the notice row records it carried (and a proof's deletion is checked against)."""
    def entry(name: str, kind: str, content_type: str, data: bytes | None = None, proof: OwnershipProof | None = None):
        return {"name": name, "kind": kind, "content_type": content_type,
                "sha256": proof.sha256 if proof else hashlib.sha256(data or b"").hexdigest(),
                "size": proof.size_bytes if proof else len(data or b""), "proof_id": proof.id if proof else None}

    return ([entry(f"{notice_id}.pdf", "notice", "application/pdf", notice_pdf),
             entry(f"{notice_id}-evidence.pdf", "evidence", "application/pdf", evidence)]
            + [entry(f"{p.id:04d}-{p.filename}", p.kind, p.content_type, proof=p) for p in proofs])


def proofs_cited(session: Session, cases: list[Case]) -> list[OwnershipProof]:
    work = cases[0].work
    return [p for p in proofs_for(session, holder_id=work.holder_id, work_id=work.id) if p.kind in OWNERSHIP_KINDS]


def files_of(session: Session, notice: Notice, *, home: Path) -> list[FileAttachment]:
    """The notice's attachments as bytes to send; a proof whose file changed is a bug to report,
    never sent as evidence."""
    files = []
    for item in notice.attachments or []:
        if item["kind"] == "notice":
            data = notice.pdf
        elif item["kind"] == "evidence":
            data = notice.evidence_pdf or b""
        else:
            proof = session.get(OwnershipProof, item["proof_id"])
            data = proof.path(home).read_bytes() if proof is not None else b""
        if hashlib.sha256(data).hexdigest() != item["sha256"]:
            raise IncompleteNotice(f"attachment {item['name']} of notice {notice.public_id} is missing or changed",
                                   expected=False, missing=("ownership_proof",))
        files.append(FileAttachment(item["name"], item["content_type"], data))
    return files
