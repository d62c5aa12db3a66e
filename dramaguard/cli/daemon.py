"""CLI: ``dramaguard daemon`` (the monitoring process), ``dramaguard status`` (its health) and
``dramaguard demo`` (the daemon against a simulated platform, end to end).

``status`` exits 0 when healthy, 1 when degraded (index not ready, a job failing, a deadline
close), so it can serve as a container health check.
"""
from __future__ import annotations

import asyncio
import json
import logging
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from dramaguard.settings import Settings


def register(app: typer.Typer) -> None:
    app.command("daemon")(daemon_command)
    app.command("status")(status_command)
    app.command("demo")(demo_command)


def daemon_command(
    ctx: typer.Context,
    health_port: Annotated[int | None, typer.Option("--health-port", help="/healthz port; 0: any free")] = None,
    log_json: Annotated[bool, typer.Option("--log-json", help="one JSON object per log line")] = False,
) -> None:
    """Watch the configured platforms until SIGTERM/SIGINT: discover, match, notify, re-check."""
    from monitor.casework_adapter import NoticesCasework
    from monitor.daemon import Daemon
    from dramaguard.logs import configure_logging

    settings: Settings = ctx.obj
    if health_port is not None:
        settings = settings.model_copy(
            update={"daemon": settings.daemon.model_copy(update={"health_port": health_port})}
        )
    root = logging.getLogger()
    configure_logging(min(root.level, logging.INFO), json_lines=log_json)
    logging.getLogger("apscheduler.executors").setLevel(max(root.level, logging.WARNING))
    asyncio.run(Daemon(settings, NoticesCasework).run())


def status_command(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="print the snapshot as JSON")] = False,
    technical: Annotated[bool, typer.Option("--technical", help="job ids, queue sizes and timings")] = False,
) -> None:
    """In plain words (Chinese or English by LANG): is monitoring running, what waits for a person
    (reviews, undeliverable notices, escalations, disputes, deadlines), what the service did."""
    from dramaguard.cli import status_words
    from indexing.catalogue import Services
    from monitor.health import snapshot
    from storage.db import transaction
    from workspace.workload import waiting_counts

    with Services.open(ctx.obj) as services:
        snap = snapshot(services)
        with transaction(services.sessions) as session:
            waiting = waiting_counts(session)
    if as_json:
        typer.echo(json.dumps({**snap, "waiting": waiting}, ensure_ascii=False))
    elif technical:
        _print(snap)
    else:
        status_words.render(snap, waiting, lang=status_words.language())
    if snap["status"] != "ok":
        raise typer.Exit(1)


def _print(snap: dict) -> None:
    out = Console()
    d, q, i = snap["daemon"], snap["queue"], snap["index"]
    state = f"[green]running[/green] (pid {d['pid']})" if d["running"] else "[yellow]not running[/yellow]"
    out.print(f"[bold]status:[/bold] {snap['status']}   daemon: {state}   last beat: {d['last_beat'] or '—'}")
    out.print(f"index: {'ready' if i['ready'] else 'NOT READY'}{' (stale)' if i['stale'] else ''}, "
              f"{i['episodes']} episodes")
    out.print("queue: " + ", ".join(f"{k} {v}" for k, v in q.items()))
    table = Table("job", "last finished", "ok", "s", "runs", "failures", "summary / error")
    for j in snap["jobs"]:
        detail = j["error"] or ", ".join(f"{k}={v}" for k, v in (j["summary"] or {}).items())
        table.add_row(j["job"], (j["last_finished"] or "—")[:19], "✓" if j["ok"] else "✗",
                      f"{j['duration_s'] or 0:.2f}", str(j["runs"]), str(j["failures"]), detail)
    out.print(table)
    for c in snap["cases_near_deadline"]:
        out.print(f"[red]case {c['case']}[/red] ({c['state']}) {c['url']}: {c['seconds_left']} s "
                  "to the notice deadline")
    for c in snap["unprocessed_near_deadline"]:
        out.print(f"[yellow]candidate {c['candidate']}[/yellow] {c['url']}: unprocessed, "
                  f"{c['seconds_left']} s to the deadline")
    for p in snap.get("notice_problems", []):
        out.print(f"[red]{p['kind']}[/red] case {p['case_id']}: {p['message']}", highlight=False)


def demo_command(
    ctx: typer.Context,
    episodes: Annotated[int, typer.Option(min=1, max=10)] = 3,
    time_scale: Annotated[float, typer.Option("--time-scale", min=0.1, help="stretch every interval")] = 1.0,
) -> None:
    """Run the daemon against a simulated platform with pirated uploads, end to end."""
    from monitor.demo import run_demo

    if not run_demo(ctx.obj, episodes=episodes, console=Console(soft_wrap=True), time_scale=time_scale):
        raise typer.Exit(1)
