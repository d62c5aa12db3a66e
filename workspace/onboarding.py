"""A new rights holder's records, as the API, the pages and the CLI share them: whose profile a
request may touch, a proof stored or read within the tenant, a work's readiness to notify, the
notice approval would send now (or what blocks it) and the problems a person must act on.

Rights-holder users act on their own tenant only; admins name the holder. Legal staff may read.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from monitor.notice_blocks import Problem, problems
from monitor.notice_claims import preview_notice
from monitor.notice_content import languages_for
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
from workspace.errors import Invalid, NotFound, Unnamed
from workspace.actors import Actor


def holder_for(actor: Actor, holder_id: int | None, session: Session) -> int:
    """The tenant a request acts on: the user's own; an admin must name an existing one."""
    if actor.role == Role.ADMIN:
        if holder_id is None or session.get(RightsHolder, holder_id) is None:
            raise Unnamed("admins must name an existing holder_id")
        return holder_id
    if holder_id not in (None, actor.holder_id) or actor.holder_id is None:
        raise NotFound("rights holder not found")
    return actor.holder_id


def element(code: str) -> dict:
    """A missing element of a notice, with the law that asks for it, in both languages."""
    e = ELEMENTS.get(code)
    if e is None:
        return {"code": code, "law": "", "zh": code, "en": code}
    return {"code": e.code, "law": e.law, "zh": e.zh, "en": e.en}


def work_readiness(session: Session, work: Work) -> list[dict]:
    return [element(code) for code in readiness(session, work)]


def save_proof(session: Session, actor: Actor, *, home: Path, holder_id: int, work_id: int | None,
               kind: ProofKind, filename: str, data: bytes, cap: int) -> OwnershipProof:
    if work_id is not None:
        work = scoped.get_work(work_id, holder_id=actor.scope, session=session)
        if work is None or work.holder_id != holder_id:
            raise NotFound("work not found")
    try:
        return store_proof(session, home=home, holder_id=holder_id, work_id=work_id, kind=kind, filename=filename,
                           data=data, uploaded_by=actor.email, at=datetime.now(UTC), max_bytes=cap)
    except ProofRefused as exc:
        raise Invalid(str(exc)) from exc


def get_proof(session: Session, actor: Actor, proof_id: int) -> OwnershipProof:
    proof = session.get(OwnershipProof, proof_id)
    if proof is None or (actor.scope is not None and proof.holder_id != actor.scope):
        raise NotFound("proof not found")
    return proof


def preview_or_gaps(session: Session, case: Case, settings, language: str | None
                    ) -> tuple[RenderedDocument | None, list[dict]]:
    """The exact notice approval would send now, or the elements that block it."""
    try:
        return preview_notice(session, case.id, settings=settings.notices, clock=SystemClock(),
                                       home=settings.home, languages=(language,) if language else None), []
    except IncompleteNotice as exc:
        return None, [element(code) for code in exc.missing] or [element(str(exc))]


def case_problems(session: Session, settings, *, holder_id: int | None = None,
                  case_id: int | None = None) -> list[Problem]:
    return problems(session, now=datetime.now(UTC), warn_before=timedelta(minutes=settings.notices.warn_before_minutes),
                    holder_id=holder_id, case_id=case_id)


def case_notice_context(session: Session, settings, case: Case) -> dict:
    """For the case page: its problems, and the preview of what approval would send, per
    language (or what blocks it)."""
    previews, gaps = {}, []
    for lang in languages_for(settings.notices, case.platform):
        rendered, missing = preview_or_gaps(session, case, settings, lang)
        if rendered is None:
            gaps = missing
            break
        previews[lang] = rendered.parts.get(lang, rendered.text)
    return {"problems": case_problems(session, settings, case_id=case.id), "previews": previews,
            "preview_gaps": gaps}
