"""CLI: ``dramaguard cases list|show|metrics``, ``notices preview CASE``,
``notices receipt EPISODE``."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from monitor.followup import casework_metrics
from monitor.notice_claims import preview_notice
from dramaguard.settings import Settings
from notices.clock import SystemClock
from notices.errors import IncompleteNotice
from notices.receipts import render_receipt
from storage import cases as repo
from storage import receipts
from storage.cases import Case
from dramaguard.cli.console import fail, open_store, out
from storage.db import transaction
from storage.models import Episode

cases_app = typer.Typer(help="Infringement cases and their audit log.", no_args_is_help=True)
notices_app = typer.Typer(help="Takedown notices.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(cases_app, name="cases")
    app.add_typer(notices_app, name="notices")


def _get_case(session: Session, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise fail(f"case {case_id} does not exist")
    return case


def _iso(value) -> str | None:
    return value.isoformat() if value else None


@cases_app.command("list")
def list_command(
    ctx: typer.Context,
    state: Annotated[str | None, typer.Option("--state", help="only cases in this state")] = None,
    platform: Annotated[str | None, typer.Option("--platform")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1)] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per line")] = False,
) -> None:
    """Newest cases first."""
    with transaction(open_store(ctx.obj)) as session:
        rows = repo.list_cases(session, state=state, platform=platform, limit=limit)
        if as_json:
            for c in rows:
                typer.echo(json.dumps({
                    "id": c.id, "state": c.state, "platform": c.platform, "url": c.url,
                    "work": c.work.title, "score": c.score, "detected_at": _iso(c.detected_at),
                    "notice_deadline": _iso(c.notice_deadline)}, ensure_ascii=False))
            return
        table = Table("id", "state", "platform", "work", "score", "detected", "notice due", "url")
        for c in rows:
            table.add_row(str(c.id), c.state, c.platform, c.work.title, f"{c.score:.2f}",
                          f"{c.detected_at:%Y-%m-%d %H:%M}", f"{c.notice_deadline:%H:%M}", c.url)
        out.print(table)


@cases_app.command("show")
def show_command(
    ctx: typer.Context,
    case_id: Annotated[int, typer.Argument(help="case id")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """One case: the candidate, the evidence, the deadlines and the audit log."""
    with transaction(open_store(ctx.obj)) as session:
        c = _get_case(session, case_id)
        data = {
            "id": c.id, "state": c.state, "action": c.action, "policy": c.policy_reason,
            "work": c.work.title, "episode": c.episode.number if c.episode else None,
            "platform": c.platform, "video_id": c.video_id, "url": c.url, "title": c.title,
            "uploader": c.uploader_name or c.uploader_id, "view_count": c.view_count,
            "captured_at": _iso(c.captured_at), "media_sha256": c.media_sha256,
            "score": c.score, "matched_s": c.matched_ms / 1000, "query_share": c.query_share,
            "ref_share": c.ref_share, "detected_at": _iso(c.detected_at),
            "notice_deadline": _iso(c.notice_deadline), "notified_at": _iso(c.notified_at),
            "removed_at": _iso(c.removed_at), "escalated_at": _iso(c.escalated_at),
            "legal_action": c.legal_action, "evidence_id": c.evidence_id,
            "evidence_sha256": c.evidence_sha256, "evidence_dir": c.evidence_dir,
            "events": [{"at": _iso(e.at), "actor": e.actor, "event": e.event,
                        "from": e.from_state, "to": e.to_state} for e in c.events],
        }
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False))
        return
    for key, value in data.items():
        if key != "events":
            out.print(f"{key:>16}: {value}", highlight=False)
    out.print("audit log:")
    for e in data["events"]:
        out.print(f"  {e['at']}  {e['actor']:<16} {e['event']:<16} {e['from']} → {e['to']}",
                  highlight=False)


@cases_app.command("metrics")
def metrics_command(ctx: typer.Context) -> None:
    """Time to notice, time to removal, 24 h takedown rate per platform, false-positive rate."""
    settings: Settings = ctx.obj
    with transaction(open_store(settings)) as session:
        typer.echo(json.dumps(casework_metrics(session, settings=settings.notices), indent=2))


@notices_app.command("preview")
def preview_command(
    ctx: typer.Context,
    case_id: Annotated[int, typer.Argument(help="case id")],
    out_dir: Annotated[Path | None, typer.Option("--out", help="default: HOME/previews")] = None,
) -> None:
    """Render the notice CASE would get now (HTML and PDF); nothing is sent or recorded."""
    settings: Settings = ctx.obj
    with transaction(open_store(settings)) as session:
        _get_case(session, case_id)
        try:
            rendered = preview_notice(session, case_id, settings=settings.notices,
                                      clock=SystemClock(), home=settings.home)
        except IncompleteNotice as exc:
            raise fail(str(exc)) from exc
    directory = out_dir or settings.home / "previews"
    directory.mkdir(parents=True, exist_ok=True)
    html_path = directory / f"case-{case_id}.html"
    pdf_path = directory / f"case-{case_id}.pdf"
    html_path.write_text(rendered.html, encoding="utf-8")
    pdf_path.write_bytes(rendered.pdf)
    out.print(f"html: {html_path}\npdf: {pdf_path}", highlight=False)


@notices_app.command("receipt")
def receipt_command(
    ctx: typer.Context,
    episode_id: Annotated[int, typer.Argument(help="registered episode id")],
    out_dir: Annotated[Path | None, typer.Option("--out", help="default: HOME/receipts")] = None,
) -> None:
    """Write the episode's registration receipt as JSON and PDF (issued on first use)."""
    settings: Settings = ctx.obj
    with transaction(open_store(settings)) as session:
        episode = session.get(Episode, episode_id)
        if episode is None:
            raise fail(f"episode {episode_id} does not exist")
        try:
            receipt = receipts.issue_receipt(session, episode=episode, issued_at=SystemClock().now())
        except ValueError as exc:
            raise fail(str(exc)) from exc
    directory = out_dir or settings.home / "receipts"
    directory.mkdir(parents=True, exist_ok=True)
    json_path = directory / f"{receipt.receipt_id}.json"
    pdf_path = directory / f"{receipt.receipt_id}.pdf"
    json_path.write_text(receipt.to_json(), encoding="utf-8")
    pdf_path.write_bytes(render_receipt(receipt).pdf)
    out.print(f"sha256: {receipt.sha256}\njson: {json_path}\npdf: {pdf_path}", highlight=False)
