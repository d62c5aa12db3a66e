"""The dispatch pass a review decision schedules right after the request answers (the decisions
themselves: ``workspace.review``)."""
from __future__ import annotations

import logging

from fastapi import FastAPI

from monitor import casework
from notices.clock import SystemClock

log = logging.getLogger(__name__)


async def send_due_notices(app: FastAPI) -> None:
    """One dispatch pass (claim due notices, deliver them); failures are recorded as alerts."""
    services = app.state.services
    try:
        results = await casework.dispatch_notices(
            services.sessions, channels=app.state.channels, clock=SystemClock(),
            settings=services.settings.notices, home=services.settings.home,
        )
    except Exception:
        log.exception("notice dispatch after a review failed; the daemon will retry")
        return
    for result in results:
        log.info("notice %s for cases %s: %s", result.notice_id, list(result.case_ids), result.status)
