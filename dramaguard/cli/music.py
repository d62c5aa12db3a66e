"""`dramaguard music add|list|remove|shared`: the music exclusion bank (tracks that are "not ours").

Exit status: 0 on success, 1 when a track could not be added or found, 2 for usage errors.
"""
from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from indexing import music_bank
from indexing.catalogue import Services
from dramaguard.settings import Settings

music_app = typer.Typer(help='Music exclusion bank: tracks that are "not ours" never count as evidence.',
                        no_args_is_help=True)
HolderOption = Annotated[str | None, typer.Option("--holder", help="the rights holder's name")]


def register(app: typer.Typer) -> None:
    app.add_typer(music_app, name="music")


def _settings(ctx: typer.Context) -> Settings:
    return ctx.obj if isinstance(ctx.obj, Settings) else Settings()


@music_app.command("add")
def add(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="music files (any format with sound)")],
    holder: HolderOption = None,
    everyone: Annotated[bool, typer.Option("--all", help="exclude for every holder (admin)")] = False,
    title: Annotated[str | None, typer.Option(help="name shown in the bank (one file only)")] = None,
) -> None:
    """Exclude FILES' music from the evidence of HOLDER's works (or, with --all, of every work)."""
    if (holder is None) == (not everyone):
        raise typer.BadParameter("name exactly one of --holder NAME or --all")
    if title and len(files) > 1:
        raise typer.BadParameter("--title names one file")
    failed = 0
    with Services.open(_settings(ctx)) as services:
        for path in files:
            try:
                entry = music_bank.add_track(services, path, holder_id=music_bank.holder_id(services, holder),
                                             title=title)
            except music_bank.MusicBankError as exc:
                typer.echo(f"error: {exc}", err=True)
                failed += 1
                continue
            typer.echo(f"excluded: #{entry.id} '{entry.title}' ({entry.duration_s:.1f} s, "
                       f"{entry.landmarks} landmarks) for {entry.holder or 'every holder'}")
    if failed:
        raise typer.Exit(1)


@music_app.command("list")
def list_(ctx: typer.Context, holder: HolderOption = None,
          as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """The bank: a holder's own entries and those for every holder (all entries without --holder)."""
    with Services.open(_settings(ctx)) as services:
        entries = _or_exit(lambda: music_bank.list_tracks(services, holder_id=music_bank.holder_id(services, holder)))
    if as_json:
        typer.echo(json.dumps([asdict(e) for e in entries], ensure_ascii=False))
        return
    for e in entries:
        typer.echo(f"#{e.id}\t{e.title}\t{e.holder or '(every holder)'}\t{e.duration_s:.1f} s")
    if not entries:
        typer.echo("the music bank is empty")


@music_app.command("remove")
def remove(ctx: typer.Context, track_id: Annotated[int, typer.Argument()], holder: HolderOption = None) -> None:
    """Take an entry out of the bank (with --holder: only one of that holder's own)."""
    with Services.open(_settings(ctx)) as services:
        _or_exit(lambda: music_bank.remove_track(services, track_id, holder_id=music_bank.holder_id(services, holder)))
    typer.echo(f"removed #{track_id}")


@music_app.command("shared")
def shared(ctx: typer.Context, holder: HolderOption = None,
           as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Flagged sound: stretches of episodes heard in a bank track or in another work's episode,
    never counted as evidence."""
    with Services.open(_settings(ctx)) as services:
        flags = _or_exit(lambda: music_bank.shared_sound(services, holder_id=music_bank.holder_id(services, holder)))
    if as_json:
        typer.echo(json.dumps([asdict(f) for f in flags]))
        return
    for f in flags:
        typer.echo(f"episode {f.episode_id}: {f.start_ms / 1000:.1f}-{f.end_ms / 1000:.1f} s shared with "
                   f"{f.source} {f.source_id or ''} ({f.landmarks} landmarks left out)")
    if not flags:
        typer.echo("no shared sound flagged")


def _or_exit(call):
    try:
        return call()
    except music_bank.MusicBankError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
