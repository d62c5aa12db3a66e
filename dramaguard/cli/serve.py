"""``dramaguard serve`` (the API and review UI under uvicorn) and ``dramaguard users`` (accounts).

``dramaguard users add EMAIL --role admin`` bootstraps the first admin; the password is read from
a prompt or from stdin with ``--password-stdin``, never from the command line (shell history).
"""
from __future__ import annotations

import errno
import socket
import sys
from typing import Annotated

import typer

from dramaguard.cli import users as cli_users
from dramaguard.operror import ServePortInUse
from dramaguard.settings import Settings
from storage.auth import Role


def register(app: typer.Typer) -> None:
    users_app = typer.Typer(help="Users of the web interface and API.", no_args_is_help=True)
    app.add_typer(users_app, name="users")
    app.command()(serve)
    users_app.command("add")(users_add)
    users_app.command("token")(users_token)
    cli_users.register(users_app)


def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="interface (default: settings web.host)")] = None,
    port: Annotated[int | None, typer.Option(help="port (default: settings web.port)")] = None,
) -> None:
    """Run the HTTP API (OpenAPI at /api/docs) and the review UI."""
    import uvicorn

    from dramaguard.web import create_app

    settings: Settings = ctx.obj
    host, port = host or settings.web.host, settings.web.port if port is None else port
    sock = listen_socket(host, port)  # before the app starts: a taken port is one line, not a traceback
    config = uvicorn.Config(
        create_app(settings), host=host, port=sock.getsockname()[1], log_level="info",
        # The size cap is enforced while streaming; this bounds how long a client may dawdle.
        timeout_keep_alive=10,
    )
    server = uvicorn.Server(config)
    server.run(sockets=[sock])
    if not server.started:  # the app's start-up failed (uvicorn has logged why), as uvicorn.run exits
        raise typer.Exit(3)


def listen_socket(host: str, port: int) -> socket.socket:
    """The bound server socket (as uvicorn would bind it); a taken address raises
    :class:`ServePortInUse`, which the CLI prints as one line with the fix."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno in (errno.EADDRINUSE, errno.EACCES, errno.EADDRNOTAVAIL):
            raise ServePortInUse(host, port, exc.errno) from exc
        raise
    sock.set_inheritable(True)
    return sock


def users_add(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument()],
    role: Annotated[Role, typer.Option(help="rights_holder, legal or admin")],
    holder: Annotated[str | None, typer.Option(help="tenant: the rights holder's name (created if new)")] = None,
    name: Annotated[str | None, typer.Option(help="display name")] = None,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="read the password from stdin")] = False,
    no_password: Annotated[bool, typer.Option("--no-password", help="API tokens only, no UI login")] = False,
) -> None:
    """Add a user (the first admin, or anyone, from the server's shell)."""
    from dramaguard.accounts import AccountError, create_user
    from indexing.catalogue import Services
    from storage import registry
    from storage.db import transaction

    password = None
    if not no_password:
        password = sys.stdin.readline().rstrip("\n") if password_stdin else typer.prompt(
            "password", hide_input=True, confirmation_prompt=True
        )
        if len(password) < 10:
            typer.echo("error: the password needs at least 10 characters", err=True)
            raise typer.Exit(2)
    with Services.open(ctx.obj) as services, transaction(services.sessions) as session:
        tenant = registry.get_or_create_holder(holder, session=session) if holder else None
        try:
            user = create_user(email, role=role, holder=tenant, password=password, display_name=name, session=session)
        except AccountError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from exc
        typer.echo(f"added {user.role} {user.email}" + (f" for {holder}" if holder else ""))


def users_token(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument()],
    name: Annotated[str, typer.Option(help="what the token is for")] = "cli",
) -> None:
    """Issue an API token for a user; it is printed once and only its hash is kept."""
    from dramaguard.accounts import issue_token
    from indexing.catalogue import Services
    from storage.auth import find_user_by_email
    from storage.db import transaction

    with Services.open(ctx.obj) as services, transaction(services.sessions) as session:
        user = find_user_by_email(email, session=session)
        if user is None:
            typer.echo(f"error: no user {email}", err=True)
            raise typer.Exit(1)
        _, token = issue_token(user, name, session=session)
    typer.echo(token)
