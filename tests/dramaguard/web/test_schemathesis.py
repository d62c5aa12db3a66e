"""schemathesis against the served OpenAPI schema: no 5xx, and every response matches the schema.

The app runs under uvicorn on loopback; calls are made as an admin (who can reach every endpoint)
and as a rights holder (whose answers are mostly tenant-filtered 404s and 403s, also documented).
"""
from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from dramaguard.settings import Settings, WebSettings
from dramaguard.web import create_app
from storage.auth import Role

from .conftest import LiveServer, seed

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    home = tmp_path_factory.mktemp("schemathesis-home")
    app = create_app(Settings(home=home, web=WebSettings(max_upload_bytes=64 << 10)))
    with LiveServer(app) as server:
        actors, _, _ = seed(app)
        yield server, actors


# The schema is the app's own (create_app builds nothing until its lifespan runs); a test below
# checks that the server serves this very schema.
schema = schemathesis.openapi.from_dict(create_app(Settings(home=Path("unused"))).openapi())
HYPOTHESIS = settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


def _check(case, served, role: Role) -> None:
    server, actors = served
    actor = actors[(role, None if role == Role.ADMIN else "A")]
    case.call_and_validate(base_url=server.url, headers=actor.bearer, checks=CHECKS, timeout=30)


@schema.parametrize()
@HYPOTHESIS
def test_api_conforms_as_admin(case, served):
    _check(case, served, Role.ADMIN)


@schema.parametrize()
@HYPOTHESIS
def test_api_conforms_as_rights_holder(case, served):
    _check(case, served, Role.RIGHTS_HOLDER)


def test_the_served_schema_is_the_one_tested(served):
    server, _ = served
    assert httpx.get(f"{server.url}/api/openapi.json").json() == schema.raw_schema
