"""What every command group shares: the two consoles, the one-line error, and a store opened at
its current schema (migrations applied), so no group wires these differently."""
from __future__ import annotations

import typer
from rich.console import Console
from sqlalchemy.orm import Session, sessionmaker

from dramaguard.settings import Settings
from storage.db import make_engine, session_factory, upgrade

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def fail(message: str) -> typer.Exit:
    """Print ``error: message`` on stderr; the caller raises the returned exit (status 1)."""
    err.print(f"[red]error:[/red] {message}", highlight=False)
    return typer.Exit(1)


def open_store(settings: Settings) -> sessionmaker[Session]:
    """Sessions on the configured database, upgraded to the newest migration first."""
    engine = make_engine(settings.resolved_database_url)
    upgrade(engine)
    return session_factory(engine)
