"""Operational errors are one line with the fix (and a traceback only with ``--debug``).

Each case is the real condition, met by a real ``python -m dramaguard`` subprocess: a bound
socket on the health port, a closed PostgreSQL port, a database stamped by a newer version, an
exclusive SQLite lock held by another process, a read-only and a full file system (tmpfs mounts;
skipped where this user cannot mount), and a setting out of range.
"""
from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

TIMEOUT = 120


def _run(home: Path, *args: str, env: dict | None = None, debug: bool = False):
    argv = [sys.executable, "-m", "dramaguard", *(["--debug"] if debug else []),
            "--home", str(home), *args]
    base = {k: v for k, v in os.environ.items() if not k.startswith("DRAMAGUARD_")}
    proc = subprocess.run(argv, env={**base, **(env or {})}, capture_output=True, text=True,
                          timeout=TIMEOUT)
    return proc.returncode, proc.stderr


def _one_line(err: str, *expected: str) -> str:
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, err
    for text in expected:
        assert text in errors[0], err
    assert "Traceback" not in err and "Unclosed" not in err, err
    return errors[0]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_bad_setting_value_and_debug_traceback(tmp_path) -> None:
    env = {"DRAMAGUARD_DAEMON__HEALTH_PORT": "99999"}
    code, err = _run(tmp_path / "h", "works", "list", env=env)
    assert code == 2
    _one_line(err, "bad setting DRAMAGUARD_DAEMON__HEALTH_PORT", "65535", "99999")
    code, err = _run(tmp_path / "h", "works", "list", env=env, debug=True)
    assert code != 0 and "Traceback" in err and "ValidationError" in err


def test_unreachable_postgres(tmp_path) -> None:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{_free_port()}/test"
    code, err = _run(tmp_path / "h", "works", "list", env={"DRAMAGUARD_DATABASE_URL": url})
    assert code == 1
    _one_line(err, "cannot reach the database", "Connection refused", "DRAMAGUARD_DATABASE_URL")


def test_database_from_a_newer_version(tmp_path) -> None:
    home = tmp_path / "h"
    assert _run(home, "works", "list")[0] == 0
    with sqlite3.connect(home / "dramaguard.db") as db:
        db.execute("UPDATE alembic_version SET version_num = '20991231_99_future'")
    code, err = _run(home, "works", "list")
    assert code == 2
    _one_line(err, "migration this version does not know", "20991231_99_future", "upgrade")


def test_health_port_in_use(tmp_path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {"DRAMAGUARD_DAEMON": json.dumps({"platforms": [], "search_works": False})}
        code, err = _run(tmp_path / "h", "daemon", "--health-port", str(port), env=env)
    assert code == 2
    _one_line(err, f"health port 127.0.0.1:{port} is in use", "--health-port")


def test_serve_port_in_use(tmp_path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, err = _run(tmp_path / "h", "serve", "--host", "127.0.0.1", "--port", str(port))
        assert code == 2
        _one_line(err, f"port {port} on 127.0.0.1 is in use", "--port")
        assert len(err.strip().splitlines()) == 1, err  # the app never started: no uvicorn lines
        code, err = _run(tmp_path / "h", "serve", "--host", "127.0.0.1", "--port", str(port), debug=True)
    assert code != 0 and "Traceback" in err and "ServePortInUse" in err
    code, err = _run(tmp_path / "h", "serve", "--host", "192.0.2.7", "--port", str(port))  # TEST-NET-1
    assert code == 2
    _one_line(err, "192.0.2.7 is not an address of this machine", "--host")


def test_database_locked_by_another_process(tmp_path) -> None:
    home = tmp_path / "h"
    assert _run(home, "works", "list")[0] == 0
    holder = sqlite3.connect(home / "dramaguard.db", isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")  # a tool stuck inside a write transaction
        code, err = _run(home, "index", "retrain")  # its first act is a write: the lease
    finally:
        holder.close()
    assert code == 1
    _one_line(err, "database is locked", "retry")


@pytest.fixture
def tmpfs(tmp_path):
    mounted: list[Path] = []

    def mount(name: str, options: str) -> Path:
        path = tmp_path / name
        path.mkdir()
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)],
                              capture_output=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
        mounted.append(path)
        return path

    yield mount
    for path in mounted:
        subprocess.run(["umount", str(path)], check=True)


def test_read_only_home(tmpfs) -> None:
    code, err = _run(tmpfs("ro", "ro,size=64k") / "home", "works", "list")
    assert code == 1
    _one_line(err, "Read-only file system", "--home")


def test_disk_full(tmpfs) -> None:
    code, err = _run(tmpfs("full", "size=256k") / "home", "works", "list")
    assert code == 1
    _one_line(err, "disk full", "df -h")
