"""``dramaguard users add/token`` and ``dramaguard serve`` as a real process on a loopback port."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx
import typer
from typer.testing import CliRunner

from dramaguard import cli

from dramaguard.cli import serve as cli_serve

runner = CliRunner()


def make_app() -> typer.Typer:
    """The real CLI callback (--home) with this module's commands, as cli.py will register them."""
    app = typer.Typer()
    app.callback()(cli.main)
    cli_serve.register(app)
    return app


def test_users_add_then_token_then_the_token_works(tmp_path):
    app, home = make_app(), str(tmp_path / "home")
    added = runner.invoke(app, ["--home", home, "users", "add", "boss@example.test", "--role", "admin", "--password-stdin"],
                          input="a long enough secret\n")
    assert added.exit_code == 0, added.output
    again = runner.invoke(app, ["--home", home, "users", "add", "boss@example.test", "--role", "admin", "--no-password"])
    assert again.exit_code == 1 and "already exists" in again.output
    orphan = runner.invoke(app, ["--home", home, "users", "add", "l@example.test", "--role", "legal", "--no-password"])
    assert orphan.exit_code == 1 and "tenant" in orphan.output
    short = runner.invoke(app, ["--home", home, "users", "add", "s@example.test", "--role", "admin", "--password-stdin"],
                          input="short\n")
    assert short.exit_code == 2
    token = runner.invoke(app, ["--home", home, "users", "token", "boss@example.test"])
    assert token.exit_code == 0 and token.output.startswith("dg_")
    secret = token.output.strip()

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    script = (
        "import typer, sys; from dramaguard import cli; from dramaguard.cli import serve as cli_serve; app = typer.Typer(); "
        "app.callback()(cli.main); cli_serve.register(app); app()"
    )
    server = subprocess.Popen(
        [sys.executable, "-c", script, "--home", home, "serve", "--port", str(port)],
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                me = httpx.get(f"http://127.0.0.1:{port}/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
                break
            except httpx.TransportError:
                assert server.poll() is None and time.monotonic() < deadline, "serve did not come up"
                time.sleep(0.2)
        assert me.status_code == 200 and me.json()["role"] == "admin"
        assert httpx.get(f"http://127.0.0.1:{port}/api/openapi.json").json()["info"]["title"] == "DramaGuard"
    finally:
        server.terminate()
        server.wait(timeout=30)
