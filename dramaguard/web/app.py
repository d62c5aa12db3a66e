"""The FastAPI application: JSON API under /api/v1, review UI at /, static files at /static.

``create_app(settings)`` builds nothing at import time; the lifespan opens :class:`Services`
(database, migrations, index) and the upload worker, and closes them on shutdown.
"""
from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from monitor.notice_claims import build_channels
from dramaguard.logs import install_redaction
from indexing.catalogue import RegistrationError, Services
from dramaguard.settings import Settings
from dramaguard.web import docs, errors, pages_cases, pages_disputes, pages_rules, pages_users, ui, ui_onboarding
from dramaguard.web.api import router as api_router
from dramaguard.web.schemas import ERRORS
from dramaguard.web.deps import LoginRequired, db_slots
from dramaguard.web.login import password_limiter
from dramaguard.web.uploads import UploadWorker

log = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent / "static"
# Pages use only their own scripts and styles (inline style attributes draw the timelines).
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


def create_app(settings: Settings) -> FastAPI:
    install_redaction()  # uvicorn's access log repeats query strings
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = await run_in_threadpool(Services.open, settings)
        try:
            app.state.services = services
            app.state.password_checks = password_limiter(settings.web)
            app.state.db_slots = db_slots()
            app.state.uploads = UploadWorker(services, settings.web.max_upload_bytes,
                                              settings.web.max_queued_uploads)
            app.state.channels = build_channels(settings.notices)
            try:
                yield
            finally:
                await run_in_threadpool(app.state.uploads.close)
        finally:
            services.close()

    app = FastAPI(
        title="DramaGuard",
        version="1",
        summary="Register short dramas, follow piracy cases, review matches and send notices.",
        lifespan=lifespan,
        openapi_url="/api/openapi.json",
        docs_url=None,  # served by web.docs without a CDN
        redoc_url=None,
    )
    app.state.settings = settings
    app.include_router(api_router)
    app.include_router(pages_disputes.api, responses=ERRORS)
    app.include_router(pages_cases.router)  # before ui: /cases/bulk-review is not a case id
    app.include_router(ui.router)
    app.include_router(pages_rules.router)
    app.include_router(pages_users.router)
    app.include_router(pages_disputes.router)
    errors.install(app)
    app.include_router(ui_onboarding.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    docs.install(app, "/api/openapi.json")

    @app.middleware("http")
    async def _security_headers(request: Request, call_next):
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        path = request.url.path
        docs_page = path.startswith(docs.DOC_PATHS) or path.startswith(docs.PREFIX)
        response.headers.setdefault("Content-Security-Policy", docs.DOCS_CSP if docs_page else CSP)
        return response

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> RedirectResponse:
        return RedirectResponse(request.url_for("login_page").include_query_params(next=exc.next_path), 303)

    @app.exception_handler(RegistrationError)
    async def _conflict(request: Request, exc: RegistrationError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=409)

    return app
