"""Claimant profiles, ownership proofs, work registration, the platform registry, notice previews,
sent notices' files and the problems a person must act on."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, HTTPException, Path, Query, Request, status
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator
from starlette.concurrency import run_in_threadpool

from monitor.notice_content import desk_for
from dramaguard.web.onboarding import read_capped
from dramaguard.web.deps import DB, Anyone, Owners, get_services, not_found
from dramaguard.web.schemas import UNPROCESSABLE, Error
from notices.platforms import build_registry
from dramaguard.web.forms import Line
from notices.render import CONTROL_CHARS
from notices.proofs import ProofKind
from storage import cases as repo
from storage import scoped
from storage.claimants import ProofInUse, cited_proof_ids, delete_proof, profile_gaps, proofs_for, save_profile
from storage.db import transaction
from workspace import onboarding

router = APIRouter(tags=["claimants"])
Text = Annotated[str, Field(max_length=500)]


class ClaimantIn(BaseModel):
    legal_name: Annotated[str, Field(min_length=1, max_length=300)]
    english_name: Annotated[str, Field(max_length=300)] = ""
    address: Annotated[str, Field(min_length=1, max_length=500)]
    email: Annotated[str, Field(pattern=r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$", max_length=320)]
    phone: Annotated[str, Field(min_length=3, max_length=50)]
    registration_id: Annotated[str, Field(max_length=100)] = ""
    signatory: Annotated[str, Field(min_length=1, max_length=200)]
    signatory_capacity: Annotated[str, Field(min_length=1, max_length=200)]
    time_zone: Annotated[str, Field(max_length=64)] = "Asia/Shanghai"
    agent_name: Annotated[str, Field(max_length=300)] = ""
    agent_address: Text = ""
    agent_email: Annotated[str, Field(max_length=320)] = ""
    agent_phone: Annotated[str, Field(max_length=50)] = ""
    agent_authorization: Text = ""

    @field_validator("*")
    @classmethod
    def _one_line(cls, value: str) -> str:
        """A notice is a legal document: no control characters (NUL, line breaks) in its facts."""
        if CONTROL_CHARS.search(value):
            raise ValueError("control characters (line breaks, NUL) are not allowed")
        return value.strip()

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (e.g. Asia/Shanghai)") from exc
        return value


#: as stored: possibly incomplete, with what is missing
ClaimantOut = create_model("ClaimantOut", holder_id=(int, ...), missing=(list[dict], []),
                           **{name: (str, "") for name in ClaimantIn.model_fields})


class ProofOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    holder_id: int
    work_id: int | None
    kind: str
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    description: str
    uploaded_by: str
    uploaded_at: datetime
    cited_by_sent_notice: bool = False


class RegistrationIn(BaseModel):
    registration_number: Annotated[Line, Field(max_length=100)] = ""
    english_title: Annotated[Line, Field(max_length=300)] = ""


def _claimant_out(profile, holder_id: int) -> dict:
    gaps = [onboarding.element(c) for c in profile_gaps(profile)]
    if profile is None:
        return {"holder_id": holder_id, "legal_name": "", "address": "", "email": "", "phone": "", "signatory": "",
                "signatory_capacity": "", "missing": gaps}
    values = {k: getattr(profile, k) or "" for k in ClaimantIn.model_fields}
    return {**values, "holder_id": holder_id, "missing": gaps}


@router.get("/claimant", response_model=ClaimantOut)
def get_claimant(principal: Anyone, session: DB, holder_id: Annotated[int | None, Query()] = None) -> dict:
    """Who signs the tenant's notices, and what is still missing for a notice to go out."""
    holder = onboarding.holder_for(principal, holder_id, session)
    return _claimant_out(repo.claimant(session, holder_id=holder), holder)


@router.put("/claimant", response_model=ClaimantOut)
def put_claimant(body: ClaimantIn, principal: Owners, session: DB,
                 holder_id: Annotated[int | None, Query()] = None) -> dict:
    holder = onboarding.holder_for(principal, holder_id, session)
    values = body.model_dump()
    return _claimant_out(save_profile(session, holder_id=holder, values=values), holder)


def _proof_out(proof, cited: set[int]) -> ProofOut:
    return ProofOut.model_validate(proof).model_copy(update={"cited_by_sent_notice": proof.id in cited})


@router.get("/proofs", response_model=list[ProofOut])
def list_proofs(principal: Anyone, session: DB, holder_id: Annotated[int | None, Query()] = None,
                work_id: Annotated[int | None, Query()] = None) -> list[ProofOut]:
    holder = onboarding.holder_for(principal, holder_id, session)
    cited = cited_proof_ids(session, holder_id=holder)
    return [_proof_out(p, cited) for p in proofs_for(session, holder_id=holder, work_id=work_id)]


@router.post(
    "/proofs", response_model=ProofOut, status_code=status.HTTP_201_CREATED,
    openapi_extra={"requestBody": {"required": True, "description": "the PDF, PNG or JPEG file as the raw body",
                                   "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}},
                                               "image/png": {"schema": {"type": "string", "format": "binary"}},
                                               "image/jpeg": {"schema": {"type": "string", "format": "binary"}}}}},
    responses={413: {"model": Error, "description": "larger than notices.max_proof_bytes"},
               422: {"model": UNPROCESSABLE, "description": "invalid parameters, or not a PDF/PNG/JPEG by content, or malformed; nothing kept"}},
)
async def upload_proof(
    request: Request, principal: Owners,
    kind: Annotated[ProofKind, Query()],
    filename: Annotated[str, Query(min_length=1, max_length=200)],
    work_id: Annotated[int | None, Query(description="none: for every work of the holder")] = None,
    holder_id: Annotated[int | None, Query()] = None,
) -> ProofOut:
    """Upload a registration certificate, licence chain, authorisation letter, business licence
    or the seal image; judged by content, hashed, kept in the data home."""
    services = get_services(request)
    data = await read_capped(request, services.settings.notices.max_proof_bytes)

    def save() -> ProofOut:
        with transaction(services.sessions) as session:
            holder = onboarding.holder_for(principal, holder_id, session)
            proof = onboarding.save_proof(session, principal, home=services.settings.home, holder_id=holder,
                                          work_id=work_id, kind=kind, filename=filename, data=data,
                                          cap=services.settings.notices.max_proof_bytes)
            return _proof_out(proof, set())

    return await run_in_threadpool(save)


@router.get("/proofs/{proof_id}/file", response_class=Response, name="proof_file")
def proof_file(proof_id: int, request: Request, principal: Anyone, session: DB) -> Response:
    proof = onboarding.get_proof(session, principal, proof_id)
    path = proof.path(request.app.state.settings.home)
    if not path.is_file():
        raise HTTPException(status.HTTP_410_GONE, "the proof's file is missing from the data home")
    return Response(path.read_bytes(), media_type=proof.content_type,
                    headers={"Content-Disposition": f'inline; filename="proof-{proof.id}.{proof.extension}"'})


@router.delete("/proofs/{proof_id}", status_code=status.HTTP_204_NO_CONTENT,
               responses={409: {"model": Error, "description": "a sent notice cites this proof"}})
def remove_proof(proof_id: int, request: Request, principal: Owners, session: DB) -> None:
    proof = onboarding.get_proof(session, principal, proof_id)
    try:
        delete_proof(session, proof, home=request.app.state.settings.home)
    except ProofInUse as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc


@router.put("/works/{work_id}/registration")
def put_registration(work_id: int, body: RegistrationIn, principal: Owners, session: DB) -> dict:
    """The work's registration number (登记号) and English title (used in English notices)."""
    work = scoped.get_work(work_id, holder_id=principal.scope, session=session)
    if work is None:
        raise not_found("work")
    work.registration_number = body.registration_number.strip() or None
    work.english_title = body.english_title.strip() or None
    return {"work_id": work.id, "registration_number": work.registration_number, "english_title": work.english_title,
            "missing": onboarding.work_readiness(session, work)}


@router.get("/works/{work_id}/readiness")
def get_readiness(work_id: int, principal: Anyone, session: DB) -> dict:
    """Whether a notice for this work would go out today; if not, each missing element."""
    work = scoped.get_work(work_id, holder_id=principal.scope, session=session)
    if work is None:
        raise not_found("work")
    missing = onboarding.work_readiness(session, work)
    return {"work_id": work.id, "ready": not missing, "missing": missing}


@router.get("/platforms")
def list_platforms(request: Request, principal: Anyone) -> list[dict]:
    """The platform registry: addressee (legal entity, copyright desk) and languages per platform."""
    notices = request.app.state.settings.notices
    registry = build_registry(notices.platform_registry)
    return [{"key": d.key, "legal_entity": d.legal_entity, "desk": d.desk, "address": d.address, "email": d.email,
             "web_form": d.web_form, "languages": list(d.languages), "source": d.source, "example": d.example}
            for d in (desk_for(notices, k) for k in registry.desks) if d]


def _preview(case_id: int, request: Request, principal, session, lang: str | None):
    """The notice approval would send now; 404 for a case out of scope, 409 with the gaps if blocked."""
    case = scoped.get_case(case_id, holder_id=principal.scope, session=session)
    if case is None:
        raise not_found("case")
    rendered, gaps = onboarding.preview_or_gaps(session, case, request.app.state.settings, lang)
    if rendered is None:
        raise HTTPException(status.HTTP_409_CONFLICT, {"blocked": True, "missing": gaps})
    return rendered


@router.get("/cases/{case_id}/preview", responses={409: {"model": Error, "description": "the notice is blocked"}})
def preview_notice(case_id: int, request: Request, principal: Anyone, session: DB,
                   lang: Annotated[str | None, Query(pattern="^(zh|en)$")] = None) -> dict:
    """The exact notice that approval would send now (nothing is recorded)."""
    rendered = _preview(case_id, request, principal, session, lang)
    return {"title": rendered.title, "text": rendered.text, "languages": list(rendered.parts)}


@router.get("/cases/{case_id}/preview.pdf", response_class=Response, name="preview_pdf",
            responses={409: {"model": Error, "description": "the notice is blocked"}})
def preview_pdf(case_id: int, request: Request, principal: Anyone, session: DB,
                lang: Annotated[str | None, Query(pattern="^(zh|en)$")] = None) -> Response:
    rendered = _preview(case_id, request, principal, session, lang)
    return Response(rendered.pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="preview-{case_id}-{lang or "all"}.pdf"'})


@router.get("/notices/{notice_id}/files/{kind}", response_class=Response, name="notice_file")
def notice_file(notice_id: int, kind: Annotated[str, Path(pattern="^(notice|evidence)$")], principal: Anyone,
                session: DB) -> Response:
    """The sent notice's PDF, or the evidence PDF that went with it."""
    notice = scoped.get_notice(notice_id, holder_id=principal.scope, session=session)
    if notice is None or (kind == "evidence" and not notice.evidence_pdf):
        raise not_found("notice file")
    body = notice.pdf if kind == "notice" else notice.evidence_pdf
    name = f"{notice.public_id}{'' if kind == 'notice' else '-evidence'}.pdf"
    return Response(body, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{name}"'})


@router.get("/problems")
def list_problems(request: Request, principal: Anyone, session: DB) -> list[dict]:
    """Blocked notices, deliveries given up or retrying, deadlines at risk — each with what to do."""
    return [p.as_dict() for p in onboarding.case_problems(session, request.app.state.settings, holder_id=principal.scope)]
