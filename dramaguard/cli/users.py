"""``dramaguard users list`` and ``users disable`` / ``users enable``: account hygiene from the
server's shell (a leaver's access ends at once: UI sessions are dropped, tokens stop working)."""
from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table


def register(users_app: typer.Typer) -> None:
    users_app.command("list")(users_list)
    users_app.command("disable")(users_disable)
    users_app.command("enable")(users_enable)


def users_list(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Every user: e-mail, role, tenant, whether active, when created."""
    from sqlalchemy import select

    from indexing.catalogue import Services
    from storage.auth import User
    from storage.db import transaction

    with Services.open(ctx.obj) as services, transaction(services.sessions) as session:
        rows = [{"email": u.email, "name": u.display_name, "role": u.role,
                 "holder": u.holder.name if u.holder else None, "active": u.is_active,
                 "created_at": u.created_at.isoformat()}
                for u in session.scalars(select(User).order_by(User.email))]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    table = Table("e-mail", "name", "role", "rights holder", "active", "created")
    for r in rows:
        table.add_row(r["email"], r["name"], r["role"], r["holder"] or "—", "yes" if r["active"] else "no",
                      r["created_at"][:16])
    Console(width=max(Console().width, 100)).print(table)  # wide tables wrap instead of being cut


def _set_active(ctx: typer.Context, email: str, active: bool) -> None:
    from sqlalchemy import delete

    from indexing.catalogue import Services
    from storage.auth import WebSession, find_user_by_email
    from storage.db import transaction

    with Services.open(ctx.obj) as services, transaction(services.sessions) as session:
        user = find_user_by_email(email, session=session)
        if user is None:
            typer.echo(f"error: no user {email}", err=True)
            raise typer.Exit(1)
        user.is_active = active
        if not active:
            session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    typer.echo(f"{'enabled' if active else 'disabled'} {email}")


def users_disable(ctx: typer.Context, email: Annotated[str, typer.Argument()]) -> None:
    """Disable a user: their UI sessions end and their API tokens stop working (rows are kept)."""
    _set_active(ctx, email, False)


def users_enable(ctx: typer.Context, email: Annotated[str, typer.Argument()]) -> None:
    """Enable a disabled user again (they log in anew)."""
    _set_active(ctx, email, True)
