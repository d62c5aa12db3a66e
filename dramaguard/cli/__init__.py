"""The command line (Typer). Contract kept stable for other tooling:

``dramaguard [--home DIR] register --work TITLE [--holder NAME] [--episode-start N] [--json] FILE...``
``dramaguard [--home DIR] scan FILE... [--json] [--min-score X]``
``dramaguard works list`` / ``dramaguard works remove TITLE``
``dramaguard index retrain``
``dramaguard music add FILE... (--holder NAME | --all)`` / ``music list|remove|shared``

Exit status: 0 when every file went through, 1 when some file failed (the rest still ran),
2 for usage errors.

This package owns the command line: the root app, its callback and the catalogue's commands
(register, scan, works, index) here; one module per further command group (``cases``,
``crawl``, ``daemon``, ``maintenance``, ``serve``, ``watermark``), each adding itself through
``register(app)``.
"""
from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from dramaguard.cli.console import err, out
from dramaguard.logs import configure_logging
from indexing.catalogue import Services
from indexing.reports import RegisterResult
from dramaguard.settings import Settings
from notices.policy import Action, score_band
from storage import scoped
from storage.db import transaction

app = typer.Typer(help="DramaGuard: find pirated copies of registered short dramas.", no_args_is_help=True)
works_app = typer.Typer(help="Registered works.", no_args_is_help=True)
app.add_typer(works_app, name="works")
index_app = typer.Typer(help="The frame index.", no_args_is_help=True)
app.add_typer(index_app, name="index")



@app.callback()
def main(
    ctx: typer.Context,
    home: Annotated[
        Path | None,
        typer.Option("--home", envvar="DRAMAGUARD_HOME", help="data home (default ~/.dramaguard)"),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="debug logging")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="tracebacks for operational errors")] = False,
) -> None:
    configure_logging(logging.DEBUG if verbose else logging.WARNING)
    ctx.obj = Settings(home=home) if home else Settings()


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[current]}"),
        console=err,
        transient=True,
    )


@app.command()
def register(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="episode files, in episode order")],
    work: Annotated[str, typer.Option("--work", help="title of the series (created if missing)")],
    holder: Annotated[str | None, typer.Option(
        "--holder", help="rights holder (tenant) name; may be left out only when exactly one exists")] = None,
    episode_start: Annotated[int, typer.Option("--episode-start", min=1, help="number of the first file")] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="print a JSON summary object")] = False,
) -> None:
    """Register FILES as episodes of a work: fingerprint them and add them to the index."""
    settings: Settings = ctx.obj
    with Services.open(settings) as services, _progress() as progress:
        holder = _pick_holder(services, holder)
        task = progress.add_task("registering", total=len(files), current="")

        def advance(result: RegisterResult) -> None:
            progress.update(task, advance=1, current=Path(result.path).name)
            if result.error:
                err.print(f"[red]error:[/red] {result.error}", highlight=False)

        results = services.register_files(
            files, work=work, holder=holder, episode_start=episode_start, progress=advance
        )
    failed = [r for r in results if r.error]
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "work": work,
                    "holder": holder,
                    "registered": sum(r.created for r in results),
                    "already_registered": sum(not r.created and not r.error for r in results),
                    "failed": len(failed),
                    "episodes": [r.__dict__ for r in results],
                },
                ensure_ascii=False,
            )
        )
    else:
        for r in results:
            if not r.error:
                state = "registered" if r.created else "already registered"
                out.print(f"{state}: episode {r.episode} of '{work}' ← {r.path}", highlight=False)
    if failed:
        raise typer.Exit(1)


@app.command()
def scan(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="video files to check")],
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per line per file")] = False,
    min_score: Annotated[
        float | None, typer.Option("--min-score", min=0.0, max=1.0, help="0 lists every candidate")
    ] = None,
) -> None:
    """Check whether FILES copy registered episodes, and which seconds of them."""
    settings: Settings = ctx.obj
    failed = 0
    with Services.open(settings) as services:
        if not services.index.is_ready():
            err.print("[yellow]warning:[/yellow] nothing is registered yet; every scan comes back empty")
        with _progress() as progress:
            task = progress.add_task("scanning", total=len(files), current="")
            for path in files:
                progress.update(task, current=path.name)
                report = services.scan_file(path, min_score=min_score)
                failed += report.error is not None
                if as_json:
                    typer.echo(json.dumps(report.as_json(), ensure_ascii=False))
                else:
                    _print_report(report, settings.matcher.notify_score, settings.matcher.review_score)
                progress.update(task, advance=1)
    if failed:
        raise typer.Exit(1)


VERDICTS = {Action.NOTIFY: "[bold red]COPY[/bold red]", Action.REVIEW: "[yellow]review[/yellow]",
            Action.TRACK: "possible"}


def _print_report(report, notify_score: float, review_score: float) -> None:
    if report.error:
        err.print(f"[red]error:[/red] {report.error}", highlight=False)
        return
    if not report.matches:
        out.print(f"{report.query}: no match", highlight=False)
        return
    for m in report.matches:
        verdict = VERDICTS[score_band(m.score, notify_score=notify_score, review_score=review_score)]
        out.print(
            f"{report.query}: {verdict} of '{m.work}' episode {m.episode} ({m.reference}) "
            f"score {m.score:.2f}: query {m.query_start:.1f}–{m.query_end:.1f} s ↔ "
            f"reference {m.ref_start:.1f}–{m.ref_end:.1f} s" + (" [mirrored]" if m.flipped else "")
            + (f" [by {' + '.join(m.carried_by)}]" if m.carried_by else "")
            + (f" [{m.review}: review only]" if m.review else ""),
            highlight=False,
        )


@works_app.command("list")
def works_list(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List registered works and their episodes."""
    from storage import registry
    from storage.db import transaction

    with Services.open(ctx.obj) as services, transaction(services.sessions) as session:
        works = registry.list_works(session=session)
        rows = [
            {
                "work": w.title,
                "holder": w.holder.name,
                "episodes": len(w.episodes),
                "duration_s": round(sum(e.duration_s for e in w.episodes), 1),
                "archived": w.archived_at is not None,
            }
            for w in works
        ]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    table = Table("work", "holder", "episodes", "duration (s)", "archived")
    for row in rows:
        table.add_row(row["work"], row["holder"], str(row["episodes"]), f"{row['duration_s']:.1f}", "yes" if row["archived"] else "")
    out.print(table)


def _pick_holder(services: Services, holder: str | None) -> str:
    """The named tenant, or the only one there is; never a silently created "default"."""
    if holder is not None:
        return holder
    with transaction(services.sessions) as session:
        names = [h.name for h in scoped.list_holders(session=session)]
    if len(names) == 1:
        err.print(f"rights holder: {names[0]}", highlight=False)
        return names[0]
    known = f" (existing: {', '.join(names)})" if names else " (none exists yet; this creates it)"
    err.print(f"[red]error:[/red] name the rights holder the work belongs to with --holder NAME{known}",
              highlight=False)
    raise typer.Exit(2)


@works_app.command("remove")
def works_remove(
    ctx: typer.Context,
    title: Annotated[str, typer.Argument(help="title of the work to remove")],
    holder: Annotated[str | None, typer.Option("--holder", help="the tenant whose work it is")] = None,
    yes: Annotated[bool, typer.Option("--yes", help="do not ask for confirmation (scripts)")] = False,
) -> None:
    """Remove one tenant's work from matching. A work that cases or notices cite is archived (its
    records, evidence and receipts stay); only a work nothing cites is deleted."""
    with Services.open(ctx.obj) as services:
        plan = services.removal_plan(title, holder=holder)
        if not plan:
            err.print(f"[red]error:[/red] no work titled '{title}'" + (f" of '{holder}'" if holder else ""),
                      highlight=False)
            raise typer.Exit(1)
        if len(plan) > 1:
            tenants = ", ".join(sorted(p.holder for p in plan))
            err.print(f"[red]error:[/red] '{title}' is a work of several rights holders ({tenants}); "
                      "name one with --holder", highlight=False)
            raise typer.Exit(2)
        [item] = plan
        what = (f"archive (kept for {item.cases} case(s) and {item.notices} notice(s); no longer matched)"
                if item.archive else "delete")
        out.print(f"work '{item.title}' of '{item.holder}', {item.episodes} episode(s): {what}", highlight=False)
        if not yes and not typer.confirm("go ahead?", default=False):
            err.print("nothing changed", highlight=False)
            raise typer.Exit(1)
        services.remove_works(plan)
    out.print(f"{'archived' if item.archive else 'removed'} '{item.title}' of '{item.holder}'", highlight=False)


@index_app.command("retrain")
def index_retrain(ctx: typer.Context) -> None:
    """Rebuild the IVF index from the stored descriptors with all its configured cells.

    The daemon does this by itself once the library can fill every cell; a running daemon or API
    notices the rebuilt file and reloads it.
    """
    from indexing.retrain import NothingToRetrain
    from storage.lease import Lease

    with (
        Services.open(ctx.obj) as services,
        Lease(services.engine, services.sessions, purpose="index retrain"),  # not beside a daemon
        _progress() as progress,
    ):
        task = progress.add_task("sampling", total=None, current="episodes")

        def advance(phase: str, done: int, total: int) -> None:
            progress.update(task, description=phase, completed=done, total=total)

        try:
            report = services.retrain_index(advance)
        except NothingToRetrain as exc:
            progress.stop()
            out.print(str(exc), highlight=False)
            return
    out.print(report.summary(), highlight=False)


def _register_plugins() -> None:
    """Command groups that live in their own modules (one per group; each has ``register(app)``)."""
    from dramaguard.cli import cases, claimant, crawl, daemon, maintenance, music, serve, watermark

    for module in (cases, claimant, crawl, daemon, maintenance, music, serve, watermark):
        module.register(app)


_register_plugins()


def run() -> None:
    """The console entry point: an operational error is one line and an exit code, not a
    traceback (see :mod:`dramaguard.operror`); ``--debug`` keeps the traceback."""
    from dramaguard.operror import explain

    try:
        app()
    except Exception as exc:
        explained = explain(exc)
        if explained is None or "--debug" in sys.argv[1:]:
            raise
        line, code = explained
        typer.echo(f"error: {line}", err=True)
        raise SystemExit(code) from None
