"""One daemon per store, with real ``dramaguard`` subprocesses on SQLite and PostgreSQL.

A second daemon on the same store, ``index retrain`` and ``restore --force`` are refused with
one line naming the holder (exit 2, no traceback, no unclosed session); a SIGKILLed holder is
taken over — after its lease expires on SQLite, at once on PostgreSQL (its advisory lock dies
with its connection, although its row would not expire for 10 minutes).
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from storage.db import make_engine
from storage.lease import StoreLease

TIMEOUT = 120


def _env(home: Path, ttl_s: float, database_url: str | None) -> dict[str, str]:
    env = {**os.environ, "DRAMAGUARD_HOME": str(home),
           "DRAMAGUARD_DAEMON": json.dumps({"platforms": [], "search_works": False,
                                            "health_port": 0, "lease_ttl_s": ttl_s,
                                            "shutdown_grace_s": 1})}
    if database_url:
        env["DRAMAGUARD_DATABASE_URL"] = database_url
    return env


def _cli(env: dict, *args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "dramaguard", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, **kwargs)


def _holder_pid(url: str) -> int | None:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            row = connection.execute(select(StoreLease.pid)).first()
    except Exception:  # table not migrated yet: the daemon is still starting
        return None
    finally:
        engine.dispose()
    return row[0] if row else None


def _wait_holder(url: str, pid: int, proc: subprocess.Popen) -> None:
    end = time.monotonic() + TIMEOUT
    while time.monotonic() < end:
        if _holder_pid(url) == pid:
            return
        if proc.poll() is not None:
            pytest.fail(f"daemon exited {proc.returncode}: {proc.stderr.read()}")
        time.sleep(0.2)
    pytest.fail("the daemon never took the store lease")


def _refused(env: dict, holder_pid: int, *args: str) -> str:
    proc = _cli(env, *args)
    _, err = proc.communicate(timeout=TIMEOUT)
    assert proc.returncode == 2, err
    assert f"pid {holder_pid}" in err and "since" in err and "stop it first" in err, err
    assert "Traceback" not in err and "Unclosed" not in err, err
    errors = [line for line in err.splitlines() if "error" in line.lower()]
    assert errors == [err.strip().splitlines()[-1]] and errors[0].startswith("error: "), err
    return errors[0]


def _scenario(tmp_path: Path, url: str, database_url: str | None, ttl_s: float) -> None:
    env = _env(tmp_path / "home", ttl_s, database_url)
    first = _cli(env, "daemon")
    try:
        _wait_holder(url, first.pid, first)
        err = _refused(env, first.pid, "daemon")
        assert "cannot start daemon: daemon" in err
        _refused(env, first.pid, "index", "retrain")
        _refused(env, first.pid, "restore", "--force", str(tmp_path / "none.tar.gz"))
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(TIMEOUT)
        killed_at = time.monotonic()
        second = _cli(env, "daemon")
        try:
            _wait_holder(url, second.pid, second)
            if database_url is None:  # SQLite: only the expiry frees a crashed holder's lease
                assert time.monotonic() - killed_at >= ttl_s - 1
            second.send_signal(signal.SIGTERM)
            _, err = second.communicate(timeout=TIMEOUT)
            assert second.returncode == 0, err
            assert "Traceback" not in err, err
        finally:
            if second.poll() is None:
                os.killpg(second.pid, signal.SIGKILL)
        assert _holder_pid(url) is None, "a clean stop releases the lease"
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)


def test_one_daemon_per_store_on_sqlite(tmp_path) -> None:
    _scenario(tmp_path, f"sqlite:///{tmp_path / 'home' / 'dramaguard.db'}", None, ttl_s=4)


@pytest.mark.postgres
def test_one_daemon_per_store_on_postgres(tmp_path, fresh_postgres_url) -> None:
    _scenario(tmp_path, fresh_postgres_url, fresh_postgres_url, ttl_s=600)
