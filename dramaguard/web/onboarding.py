"""What the API and the pages share for a new rights holder: whose profile a request may touch,
reading a proof upload within its cap, the readiness of a work, and the notice preview.

Rights-holder users act on their own tenant only; admins name the holder. Legal staff may read.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi import HTTPException, Request, status
from sqlalchemy.orm import Session

from monitor.notice_claims import preview_notice
from monitor.notice_content import languages_for
from monitor.notice_blocks import Problem, problems
from dramaguard.web.deps import Principal, not_found
from notices.clock import SystemClock
from notices.completeness import ELEMENTS
from notices.errors import IncompleteNotice
from notices.proofs import ProofKind, ProofRefused
from notices.render import RenderedDocument
from storage import scoped
from storage.auth import Role
from storage.cases import Case
from storage.claimants import OwnershipProof, readiness, store_proof
from storage.models import RightsHolder, Work


def holder_for(principal: Principal, holder_id: int | None, session: Session) -> int:
    """The tenant a request acts on: the user's own; an admin must name an existing one."""
    if principal.role == Role.ADMIN:
        if holder_id is None or session.get(RightsHolder, holder_id) is None:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, "admins must name an existing holder_id")
        return holder_id
    if holder_id not in (None, principal.holder_id) or principal.holder_id is None:
        raise not_found("rights holder")
    return principal.holder_id


def element(code: str) -> dict:
    e = ELEMENTS.get(code)
    if e is None:
        return {"code": code, "law": "", "zh": code, "en": code}
    return {"code": e.code, "law": e.law, "zh": e.zh, "en": e.en}


def work_readiness(session: Session, work: Work) -> list[dict]:
    return [element(code) for code in readiness(session, work)]


async def read_capped(request: Request, cap: int) -> bytes:
    """The raw body, refused (413) as soon as it passes ``cap``: nothing larger is ever held."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > cap:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, f"the file is larger than {cap} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, f"the file is larger than {cap} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def save_proof(session: Session, principal: Principal, *, home: Path, holder_id: int, work_id: int | None,
               kind: ProofKind, filename: str, data: bytes, cap: int) -> OwnershipProof:
    if work_id is not None:
        work = scoped.get_work(work_id, holder_id=principal.scope, session=session)
        if work is None or work.holder_id != holder_id:
            raise not_found("work")
    try:
        return store_proof(session, home=home, holder_id=holder_id, work_id=work_id, kind=kind, filename=filename,
                           data=data, uploaded_by=principal.email, at=datetime.now(UTC), max_bytes=cap)
    except ProofRefused as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc


def get_proof(session: Session, principal: Principal, proof_id: int) -> OwnershipProof:
    proof = session.get(OwnershipProof, proof_id)
    if proof is None or (principal.scope is not None and proof.holder_id != principal.scope):
        raise not_found("proof")
    return proof


def preview(session: Session, case: Case, request: Request, language: str | None) -> RenderedDocument:
    """The exact notice approval would send now (IncompleteNotice: what blocks it)."""
    settings = request.app.state.settings
    languages = (language,) if language else None
    return preview_notice(session, case.id, settings=settings.notices, clock=SystemClock(),
                                   home=settings.home, languages=languages)


def preview_or_gaps(session: Session, case: Case, request: Request, language: str | None
                    ) -> tuple[RenderedDocument | None, list[dict]]:
    try:
        return preview(session, case, request, language), []
    except IncompleteNotice as exc:
        return None, [element(code) for code in exc.missing] or [element(str(exc))]


def case_problems(session: Session, request: Request, *, holder_id: int | None = None,
                  case_id: int | None = None) -> list[Problem]:
    notices = request.app.state.settings.notices
    return problems(session, now=datetime.now(UTC), warn_before=timedelta(minutes=notices.warn_before_minutes),
                    holder_id=holder_id, case_id=case_id)


def case_notice_context(request: Request, principal: Principal, case: Case, session) -> dict:
    """For the case page: its problems, and the preview of what approval would send, per
    language (or what blocks it)."""
    langs = languages_for(request.app.state.settings.notices, case.platform)
    previews, gaps = {}, []
    for lang in langs:
        rendered, missing = preview_or_gaps(session, case, request, lang)
        if rendered is None:
            gaps = missing
            break
        previews[lang] = rendered.parts.get(lang, rendered.text)
    return {"problems": case_problems(session, request, case_id=case.id), "previews": previews,
            "preview_gaps": gaps}
