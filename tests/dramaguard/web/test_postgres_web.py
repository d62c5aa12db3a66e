"""The web app on PostgreSQL: accounts, tenant scoping, rate limiting and review on the real server."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from dramaguard.settings import Settings, WebSettings
from dramaguard.web import create_app
from storage.auth import Role

from .conftest import add_case, seed

pytestmark = pytest.mark.postgres


def test_tenants_review_and_login_limits_on_postgres(tmp_path, fresh_postgres_url):
    settings = Settings(home=tmp_path / "home", database_url=fresh_postgres_url,
                        web=WebSettings(login_max_failures=2))
    app = create_app(settings)
    with TestClient(app) as client:
        actors, holders, works = seed(app)
        owner, legal, foreign = (actors[(Role.RIGHTS_HOLDER, "A")], actors[(Role.LEGAL, "A")],
                                 actors[(Role.LEGAL, "B")])
        assert {w["holder_id"] for w in client.get("/api/v1/works", headers=owner.bearer).json()} == {holders["A"]}
        case_id = add_case(app, works["A"])
        assert client.get(f"/api/v1/cases/{case_id}", headers=foreign.bearer).status_code == 404
        assert [c["id"] for c in client.get("/api/v1/review/queue", headers=legal.bearer).json()] == [case_id]
        rejected = client.post(f"/api/v1/cases/{case_id}/reject", json={"note": "parody"}, headers=legal.bearer)
        assert rejected.status_code == 200 and rejected.json()["state"] == "rejected"
        for _ in range(2):
            assert client.post("/api/v1/auth/login", json={"email": owner.email, "password": "x"}).status_code == 401
        assert client.post("/api/v1/auth/login", json={"email": owner.email, "password": "x"}).status_code == 429
