"""API documentation pages (Swagger UI at /api/docs, ReDoc at /api/redoc) with their scripts and
styles served by the app itself, from the ``fastapi-offline`` package's copies: the docs work on a
server without internet access and load nothing from a CDN."""
from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = Path(fastapi_offline.__file__).resolve().parent / "static"
PREFIX = "/api/docs-static"
DOC_PATHS = ("/api/docs", "/api/redoc")
# the pages' own bootstrap is an inline script; everything else comes from this origin
DOCS_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; worker-src 'self' blob:; frame-ancestors 'none'; base-uri 'self'")


def install(app: FastAPI, openapi_url: str) -> None:
    """Call with ``docs_url=None, redoc_url=None`` on the app (FastAPI's own pages use a CDN)."""
    app.mount(PREFIX, StaticFiles(directory=ASSETS), name="docs_static")

    @app.get("/api/docs", include_in_schema=False)
    def swagger() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url, title=f"{app.title} API", oauth2_redirect_url="/api/docs/oauth2-redirect",
            swagger_js_url=f"{PREFIX}/swagger-ui-bundle.js", swagger_css_url=f"{PREFIX}/swagger-ui.css",
            swagger_favicon_url=f"{PREFIX}/favicon.png",
        )

    @app.get("/api/docs/oauth2-redirect", include_in_schema=False)
    def oauth2_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/api/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(openapi_url=openapi_url, title=f"{app.title} API", with_google_fonts=False,
                              redoc_js_url=f"{PREFIX}/redoc.standalone.js", redoc_favicon_url=f"{PREFIX}/favicon.png")
