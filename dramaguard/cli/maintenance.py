"""CLI: ``dramaguard check [--repair]``, ``backup ARCHIVE``, ``restore ARCHIVE``: the data home's
integrity, and getting it back."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from dramaguard.cli.console import fail, out


def register(app: typer.Typer) -> None:
    app.command("check")(check_command)
    app.command("backup")(backup_command)
    app.command("restore")(restore_command)


def check_command(
    ctx: typer.Context,
    repair: Annotated[bool, typer.Option("--repair", help="fix index drift, remove orphans and leftovers")] = False,
    grace_s: Annotated[float, typer.Option("--grace-s", min=0, help="skip files younger than this (writes in progress)")] = 300.0,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Verify that the index, the database and the evidence store agree and nothing is corrupt."""
    from indexing.maintenance import check

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
            + (f"; episodes fingerprinted by an older version, not matched until registered again: "
               f"{report.stale_fingerprints}" if report.stale_fingerprints else "")
            + ("; repaired" if report.repaired else ""),
            highlight=False,
        )
    if not report.ok and not report.repaired or report.damaged:
        raise typer.Exit(1)


def backup_command(
    ctx: typer.Context,
    archive: Annotated[Path, typer.Argument(help="output .tar.gz")],
) -> None:
    """Back up the data home (database snapshot, index, evidence) into one verified archive."""
    from indexing.maintenance import MaintenanceError, backup

    try:
        manifest = backup(ctx.obj, archive)
    except MaintenanceError as exc:
        raise fail(str(exc)) from exc
    out.print(f"backed up {len(manifest['files'])} files to {archive}", highlight=False)


def restore_command(
    ctx: typer.Context,
    archive: Annotated[Path, typer.Argument(help="a backup made by 'dramaguard backup'")],
    force: Annotated[bool, typer.Option("--force", help="restore into a non-empty home")] = False,
) -> None:
    """Restore a backup into the data home after verifying every file's checksum."""
    from indexing.maintenance import MaintenanceError, restore
    from storage.db import make_engine
    from storage.lease import StoreBusy, live_holder

    settings = ctx.obj
    if settings.database_url is not None or (settings.home / "dramaguard.db").exists():
        engine = make_engine(settings.resolved_database_url)  # refuse beside a running daemon
        try:
            holder = live_holder(engine)
        finally:
            engine.dispose()
        if holder is not None:
            raise StoreBusy(holder, "restore")
    try:
        manifest = restore(archive, ctx.obj, force=force)
    except MaintenanceError as exc:
        raise fail(str(exc)) from exc
    out.print(f"restored {len(manifest['files'])} files into {ctx.obj.home}", highlight=False)
