"""Logging set-up, once per process; ``json_lines`` gives structured logs for the daemon.

:class:`RedactSecrets` sits on the loggers that repeat what clients send (uvicorn's access log
prints each request line, query string included): a token or password pasted into a URL is
masked before any handler sees it.
"""
from __future__ import annotations

import json
import logging
import re

from dramaguard.security import TOKEN_PREFIX

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


_SENSITIVE_QUERY = re.compile(
    r"(?i)([?&;][^=&#\s]*(?:token|password|passwd|secret|key|session|csrf|auth)[^=&#\s]*=)[^&#\s]*"
)
_API_TOKEN = re.compile(re.escape(TOKEN_PREFIX) + r"[A-Za-z0-9_-]{16,}")
REDACTED = "[REDACTED]"
#: Loggers whose records quote client input verbatim.
REDACTED_LOGGERS = ("uvicorn.access", "uvicorn.error")


def redact(text: str) -> str:
    """Mask secret-looking query values and anything shaped like one of our API tokens."""
    return _API_TOKEN.sub(REDACTED, _SENSITIVE_QUERY.sub(r"\1" + REDACTED, text))


class RedactSecrets(logging.Filter):
    """Rewrites a record's message and string arguments through :func:`redact`."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True


def install_redaction() -> None:
    """Idempotent; on the loggers themselves, so it holds whatever handlers a deployment adds."""
    for name in REDACTED_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(RedactSecrets())


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message (+ traceback)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}",
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            "process": record.process,
        }
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: int = logging.INFO, *, json_lines: bool = False) -> None:
    root = logging.getLogger()
    handler = next((h for h in root.handlers if getattr(h, "_dramaguard", False)), None)
    if handler is None:
        handler = logging.StreamHandler()
        handler._dramaguard = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    handler.setFormatter(JsonFormatter() if json_lines else logging.Formatter(FORMAT))
    root.setLevel(level)
    install_redaction()
