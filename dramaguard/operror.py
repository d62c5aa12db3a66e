"""Operational errors as one line with the fix: the one place exceptions become CLI exit codes.

An operator's mistake or the machine's state (port taken, database locked or unreachable, disk
full, read-only home, a database newer than this code, a bad setting) is not our bug, so it gets
one clear line on stderr saying what to do, not a traceback; ``--debug`` shows the traceback.
Exit codes: 2 for "refused as configured/used" (store busy, port taken, bad setting, schema
mismatch), 1 for the machine's state (disk, permissions, database down).
"""
from __future__ import annotations

import errno
import os
import re

from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError, OperationalError

from monitor.health import HealthPortInUse
from storage.lease import StoreBusy


class ServePortInUse(Exception):
    """``dramaguard serve``'s address is taken (another server, or an old one still running), not
    allowed (a port below 1024 without the privilege) or not on this machine."""

    def __init__(self, host: str, port: int, code: int = errno.EADDRINUSE):
        what = {errno.EACCES: f"port {port} on {host} needs privileges this user lacks — pass "
                              "--port N (1024 or above)",
                errno.EADDRNOTAVAIL: f"{host} is not an address of this machine — pass --host "
                                     "127.0.0.1 (or the interface's address)"}
        super().__init__(what.get(code) or (
            f"port {port} on {host} is in use — stop the other server there, or pass --port N / "
            "set DRAMAGUARD_WEB__PORT (and --host for another interface)"))


def _walk(exc: BaseException):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _setting_name(loc: tuple) -> str:
    return "DRAMAGUARD_" + "__".join(str(part).upper() for part in loc)


def explain(exc: BaseException) -> tuple[str, int] | None:
    """(one line, exit code) for a known operational cause; None for a bug (keep the traceback)."""
    for cause in _walk(exc):
        if isinstance(cause, (StoreBusy, HealthPortInUse, ServePortInUse)):
            return str(cause), 2
        if isinstance(cause, ValidationError) and cause.title == "Settings":
            first = cause.errors()[0]
            value = first.get("input")
            shown = "" if isinstance(value, dict) else f" (got {str(value)[:60]!r})"
            return (f"bad setting {_setting_name(first['loc'])}: {first['msg']}{shown} — fix the "
                    "environment variable or .env entry", 2)
        if isinstance(cause, DBAPIError):
            text = str(cause.orig)
            if "database or disk is full" in text:
                return ("disk full under the database — free space on its disk (`df -h`); the "
                        "transaction was rolled back, nothing half-written", 1)
            if "database is locked" in text:
                return ("the database is locked by another process (a long write, or a crashed "
                        "tool holding it) — retry in a moment; if it stays locked, find the "
                        "process with `fuser` on the database file and stop it", 1)
            if isinstance(cause, OperationalError) and re.search(
                r"connection (refused|failed|timed out)|could not connect|Name or service", text):
                return (f"cannot reach the database ({text.splitlines()[0].strip()[:160]}) — start "
                        "PostgreSQL or fix DRAMAGUARD_DATABASE_URL", 1)
            if "unable to open database file" in text or "readonly database" in text:
                return ("cannot write the database file (read-only or missing folder) — make the "
                        "data home writable (`chmod u+w`) or point --home elsewhere", 1)
        if type(cause).__name__ in ("CommandError", "ResolutionError") and "revision" in str(cause):
            return (f"the database schema is at a migration this version does not know ({cause}) "
                    "— it was written by a newer DramaGuard: upgrade, or restore a backup made "
                    "by this version", 2)
        if isinstance(cause, OSError) and cause.errno is not None:
            where = f" ({cause.filename})" if cause.filename else ""
            if cause.errno == errno.ENOSPC:
                return (f"disk full{where} — free space on the data home's disk (`df -h`); "
                        "nothing was committed half-way", 1)
            if cause.errno == errno.EROFS or (
                cause.errno in (errno.EACCES, errno.EPERM) and cause.filename
            ):
                return (f"cannot write{where}: {os.strerror(cause.errno)} — make the data home "
                        "writable or choose another with --home / DRAMAGUARD_HOME", 1)
            if cause.errno == errno.EADDRINUSE:
                return (f"address already in use{where}: another process listens there — stop "
                        "it or choose another port", 2)
    return None
