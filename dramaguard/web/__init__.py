"""HTTP API and review UI (FastAPI + Jinja2)."""
from __future__ import annotations

from dramaguard.web.app import create_app

__all__ = ["create_app"]
