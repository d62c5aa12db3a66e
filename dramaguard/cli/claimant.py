"""CLI: ``dramaguard claimant show|set HOLDER``, ``dramaguard proofs add|list|remove``, and
``dramaguard works readiness`` — the same records the UI's profile and proof pages manage."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session

from dramaguard.settings import Settings
from notices.proofs import ProofKind
from storage import cases as repo
from storage.claimants import (
    PROFILE_FIELDS,
    ProofInUse,
    OwnershipProof,
    cited_proof_ids,
    delete_proof,
    profile_gaps,
    proofs_for,
    readiness,
    save_profile,
)
from storage.db import transaction
from dramaguard.cli.console import fail, open_store, out
from storage.models import RightsHolder, Work
from workspace.errors import WorkspaceError
from workspace.onboarding import element, save_proof
from workspace.actors import OPERATOR

claimant_app = typer.Typer(help="Who signs a rights holder's notices (claimant profile).", no_args_is_help=True)
proofs_app = typer.Typer(help="Ownership proofs (registration certificates, licences, seal).", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(claimant_app, name="claimant")
    app.add_typer(proofs_app, name="proofs")


def _session(settings: Settings):
    return transaction(open_store(settings))


def _holder(session: Session, name: str) -> RightsHolder:
    holder = session.scalar(select(RightsHolder).where(RightsHolder.name == name))
    if holder is None:
        raise fail(f"no rights holder named {name!r} (register a work for it first)")
    return holder


def _describe(codes: list[str]) -> list[str]:
    return [f"{e['en']} ({e['law']})" if e["law"] else e["en"] for e in map(element, codes)]


@claimant_app.command("show")
def show_command(ctx: typer.Context, holder: Annotated[str, typer.Argument(help="rights holder name")],
                 as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Print the profile and what a notice would still miss (exit 1 when incomplete)."""
    with _session(ctx.obj) as session:
        row = _holder(session, holder)
        profile = repo.claimant(session, holder_id=row.id)
        values = {k: (getattr(profile, k) or "") for k in PROFILE_FIELDS} if profile else {}
        gaps = profile_gaps(profile)
    if as_json:
        typer.echo(json.dumps({"holder": holder, "profile": values, "missing": gaps}, ensure_ascii=False))
    else:
        for key, value in values.items():
            out.print(f"{key}: {value}", highlight=False)
        for line in _describe(gaps):
            out.print(f"[red]missing:[/red] {line}", highlight=False)
    if gaps:
        raise typer.Exit(1)


@claimant_app.command("set")
def set_command(
    ctx: typer.Context,
    holder: Annotated[str, typer.Argument(help="rights holder name")],
    field: Annotated[list[str], typer.Option("--field", "-f", help="NAME=VALUE, e.g. -f signatory=李明")],
) -> None:
    """Create or update the profile: legal_name, english_name, address, email, phone, registration_id,
    signatory, signatory_capacity, time_zone, agent_name, agent_address, agent_email, agent_phone,
    agent_authorization."""
    values = {}
    for item in field:
        name, sep, value = item.partition("=")
        if not sep or name not in PROFILE_FIELDS:
            raise fail(f"{item!r}: expected NAME=VALUE with NAME one of {', '.join(PROFILE_FIELDS)}")
        values[name] = value
    with _session(ctx.obj) as session:
        profile = save_profile(session, holder_id=_holder(session, holder).id, values=values)
        gaps = profile_gaps(profile)
    out.print("saved" + ("" if not gaps else "; still missing: " + "; ".join(_describe(gaps))), highlight=False)


@proofs_app.command("add")
def add_command(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    holder: Annotated[str, typer.Option("--holder", help="rights holder name")],
    kind: Annotated[ProofKind, typer.Option("--kind")],
    work: Annotated[str | None, typer.Option("--work", help="work title; none: every work of the holder")] = None,
) -> None:
    """Store a proof (PDF/PNG/JPEG, checked by content) in the data home and record it."""
    settings: Settings = ctx.obj
    with _session(settings) as session:
        row = _holder(session, holder)
        work_id = None
        if work is not None:
            found = session.scalar(select(Work).where(Work.holder_id == row.id, Work.title == work))
            if found is None:
                raise fail(f"{holder} has no work titled {work!r}")
            work_id = found.id
        cap = settings.notices.max_proof_bytes
        if file.stat().st_size > cap:
            raise fail(f"{file} is larger than {cap} bytes")
        try:
            proof = save_proof(session, OPERATOR, home=settings.home, holder_id=row.id, work_id=work_id, kind=kind,
                               filename=file.name, data=file.read_bytes(), cap=cap)
        except WorkspaceError as exc:
            raise fail(f"{file}: {exc}") from exc
        out.print(f"proof {proof.id}: {proof.kind} {proof.filename} sha256 {proof.sha256}", highlight=False)


@proofs_app.command("list")
def list_command(ctx: typer.Context, holder: Annotated[str, typer.Option("--holder")]) -> None:
    with _session(ctx.obj) as session:
        row = _holder(session, holder)
        cited = cited_proof_ids(session, holder_id=row.id)
        for p in proofs_for(session, holder_id=row.id):
            note = "\tcited by a sent notice" if p.id in cited else ""
            out.print(f"{p.id}\t{p.kind}\twork {p.work_id or '*'}\t{p.filename}\t{p.sha256}{note}", highlight=False)
        for work in session.scalars(select(Work).where(Work.holder_id == row.id)):
            gaps = readiness(session, work)
            out.print(f"work {work.title!r}: " + ("ready to notify" if not gaps else
                                                  "NOT ready: " + "; ".join(_describe(gaps))), highlight=False)


@proofs_app.command("remove")
def remove_command(ctx: typer.Context, proof_id: Annotated[int, typer.Argument()]) -> None:
    """Delete a proof; refused (exit 1) when a sent notice cites it."""
    settings: Settings = ctx.obj
    with _session(settings) as session:
        proof = session.get(OwnershipProof, proof_id)
        if proof is None:
            raise fail(f"proof {proof_id} does not exist")
        try:
            delete_proof(session, proof, home=settings.home)
        except ProofInUse as exc:
            raise fail(str(exc)) from exc
    out.print(f"proof {proof_id} removed", highlight=False)
