"""Logging set-up, once per process; ``json_lines`` gives structured logs for the daemon."""
from __future__ import annotations

import json
import logging

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


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
