"""The command line (Typer). Contract kept stable for other tooling:

``dramaguard [--home DIR] register --work TITLE [--holder NAME] [--episode-start N] [--json] FILE...``
``dramaguard [--home DIR] scan FILE... [--json] [--min-score X]``
``dramaguard works list`` / ``dramaguard works remove TITLE``
``dramaguard index retrain``

Exit status: 0 when every file went through, 1 when some file failed (the rest still ran),
2 for usage errors.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from dramaguard.logs import configure_logging
from dramaguard.services import RegisterResult, Services
from dramaguard.settings import Settings

app = typer.Typer(help="DramaGuard: find pirated copies of registered short dramas.", no_args_is_help=True)
works_app = typer.Typer(help="Registered works.", no_args_is_help=True)
app.add_typer(works_app, name="works")
index_app = typer.Typer(help="The frame index.", no_args_is_help=True)
app.add_typer(index_app, name="index")

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


@app.callback()
def main(
    ctx: typer.Context,
    home: Annotated[
        Path | None,
        typer.Option("--home", envvar="DRAMAGUARD_HOME", help="data home (default ~/.dramaguard)"),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="debug logging")] = False,
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
    holder: Annotated[str, typer.Option("--holder", help="rights holder name")] = "default",
    episode_start: Annotated[int, typer.Option("--episode-start", min=1, help="number of the first file")] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="print a JSON summary object")] = False,
) -> None:
    """Register FILES as episodes of a work: fingerprint them and add them to the index."""
    settings: Settings = ctx.obj
    with Services.open(settings) as services, _progress() as progress:
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
                    _print_report(report, settings.matcher.notify_score)
                progress.update(task, advance=1)
    if failed:
        raise typer.Exit(1)


def _print_report(report, notify_score: float) -> None:
    if report.error:
        err.print(f"[red]error:[/red] {report.error}", highlight=False)
        return
    if not report.matches:
        out.print(f"{report.query}: no match", highlight=False)
        return
    for m in report.matches:
        verdict = "[bold red]COPY[/bold red]" if m.score >= notify_score else "[yellow]possible[/yellow]"
        out.print(
            f"{report.query}: {verdict} of '{m.work}' episode {m.episode} ({m.reference}) "
            f"score {m.score:.2f}: query {m.query_start:.1f}–{m.query_end:.1f} s ↔ "
            f"reference {m.ref_start:.1f}–{m.ref_end:.1f} s" + (" [mirrored]" if m.flipped else ""),
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
            }
            for w in works
        ]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    table = Table("work", "holder", "episodes", "duration (s)")
    for row in rows:
        table.add_row(row["work"], row["holder"], str(row["episodes"]), f"{row['duration_s']:.1f}")
    out.print(table)


@works_app.command("remove")
def works_remove(
    ctx: typer.Context,
    title: Annotated[str, typer.Argument(help="title of the work to remove")],
    holder: Annotated[str | None, typer.Option("--holder")] = None,
) -> None:
    """Remove a work, its episodes and their index entries."""
    with Services.open(ctx.obj) as services:
        removed = services.remove_works(title, holder=holder)
    if not removed:
        err.print(f"[red]error:[/red] no work titled '{title}'", highlight=False)
        raise typer.Exit(1)
    out.print(f"removed {removed} work(s) titled '{title}'", highlight=False)


@index_app.command("retrain")
def index_retrain(ctx: typer.Context) -> None:
    """Rebuild the IVF index from the stored descriptors with all its configured cells.

    The daemon does this by itself once the library can fill every cell; a running daemon or API
    notices the rebuilt file and reloads it.
    """
    from dramaguard.retrain import NothingToRetrain

    with Services.open(ctx.obj) as services, _progress() as progress:
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


@app.command()
def demo(
    ctx: typer.Context,
    episodes: Annotated[int, typer.Option(min=1, max=10)] = 3,
    time_scale: Annotated[float, typer.Option("--time-scale", min=0.1, help="stretch every interval")] = 1.0,
) -> None:
    """Run the daemon against a simulated platform with pirated uploads, end to end."""
    from dramaguard.demo import run_demo

    if not run_demo(ctx.obj, episodes=episodes, console=out, time_scale=time_scale):
        raise typer.Exit(1)


@app.command("check")
def check_command(
    ctx: typer.Context,
    repair: Annotated[bool, typer.Option("--repair", help="fix index drift, remove orphans and leftovers")] = False,
    grace_s: Annotated[float, typer.Option("--grace-s", min=0, help="skip files younger than this (writes in progress)")] = 300.0,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Verify that the index, the database and the evidence store agree and nothing is corrupt."""
    from dramaguard.maintenance import check

    report = check(ctx.obj, repair=repair, grace_s=grace_s)
    store = report.store
    if as_json:
        typer.echo(json.dumps(report.as_json()))
    else:
        out.print(
            f"{report.episodes} episodes registered, {report.indexed} in the index; "
            f"missing from index: {report.missing_from_index or 'none'}; "
            f"orphans in index: {report.orphans_in_index or 'none'}; "
            f"corrupt fingerprints: {report.bad_digests or 'none'}\n"
            f"{store.evidence} evidence packages, {store.receipts} receipts, {store.samples} samples; "
            f"damaged: {store.bad_evidence + store.bad_receipts + store.bad_samples + store.bad_proofs or 'none'}; "
            f"orphans: {store.orphans or 'none'}; half-written leftovers: {store.leftovers or 'none'}"
            + (f"; episodes without reference keyframes: {store.without_keyframes}"
               if store.without_keyframes else "")
            + ("; repaired" if report.repaired else ""),
            highlight=False,
        )
    if not report.ok and not report.repaired or report.damaged:
        raise typer.Exit(1)


@app.command("backup")
def backup_command(
    ctx: typer.Context,
    archive: Annotated[Path, typer.Argument(help="output .tar.gz")],
) -> None:
    """Back up the data home (database snapshot, index, evidence) into one verified archive."""
    from dramaguard.maintenance import MaintenanceError, backup

    try:
        manifest = backup(ctx.obj, archive)
    except MaintenanceError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(1) from exc
    out.print(f"backed up {len(manifest['files'])} files to {archive}", highlight=False)


@app.command("restore")
def restore_command(
    ctx: typer.Context,
    archive: Annotated[Path, typer.Argument(help="a backup made by 'dramaguard backup'")],
    force: Annotated[bool, typer.Option("--force", help="restore into a non-empty home")] = False,
) -> None:
    """Restore a backup into the data home after verifying every file's checksum."""
    from dramaguard.maintenance import MaintenanceError, restore

    try:
        manifest = restore(archive, ctx.obj, force=force)
    except MaintenanceError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(1) from exc
    out.print(f"restored {len(manifest['files'])} files into {ctx.obj.home}", highlight=False)


def _register_plugins() -> None:
    """Command groups that live in their own modules."""
    from dramaguard import cli_cases, cli_claimant, cli_crawl, cli_daemon, cli_serve, cli_watermark

    for module in (cli_cases, cli_claimant, cli_crawl, cli_daemon, cli_serve, cli_watermark):
        module.register(app)


_register_plugins()
