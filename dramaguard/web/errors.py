"""Errors on pages answer as translated HTML pages; the API keeps its JSON bodies.

A person who follows a link they may not use (a rights holder opening /queue) sees what
happened and where to go, in their language, with the same status code the API would give.
"""
from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from dramaguard.web.deps import _from_cookie
from dramaguard.web.ui import render
from workspace.errors import Conflict, Invalid, NotFound, Unnamed, WorkspaceError

STATUS_OF = {Unnamed: 400, NotFound: 404, Conflict: 409, Invalid: 422}


def status_of(exc: WorkspaceError) -> int:
    """The one place a workspace refusal becomes an HTTP status."""
    return next((code for kind, code in STATUS_OF.items() if isinstance(exc, kind)), 400)


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def install(app: FastAPI) -> None:
    """Register the handlers on ``app`` (API paths keep FastAPI's JSON answers)."""

    def page(request: Request, status_code: int, detail: str) -> Response:
        try:
            principal = _from_cookie(request)
        except Exception:  # the error page must render even when the database is the problem
            principal = None
        known = status_code if status_code in (400, 403, 404, 409, 422) else "other"
        return render(request, "error.html", principal, status_code, code=status_code,
                      title_key=f"ws.error.{known}", detail="" if status_code == 403 else detail)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if _is_api(request):
            return await http_exception_handler(request, exc)
        response = await run_in_threadpool(page, request, exc.status_code, str(exc.detail))
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response

    @app.exception_handler(WorkspaceError)
    async def _refused(request: Request, exc: WorkspaceError) -> Response:
        return await _http(request, StarletteHTTPException(status_of(exc), str(exc)))

    @app.exception_handler(OverflowError)
    async def _no_such_row(request: Request, exc: OverflowError) -> Response:
        """An id past the database's 64-bit integers (SQLite refuses to bind it) names no row:
        answer as for any missing record, not 500 (found by schemathesis)."""
        return await _http(request, StarletteHTTPException(404, "not found"))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        if _is_api(request):
            return await request_validation_exception_handler(request, exc)
        fields = ", ".join(".".join(str(p) for p in e.get("loc", ())[1:]) for e in exc.errors())
        return await run_in_threadpool(page, request, 422, fields)
