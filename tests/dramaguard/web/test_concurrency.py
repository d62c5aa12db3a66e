"""Many concurrent requests on a real server: no pool deadlock, argon2 bounded.

Before the admission slots (dramaguard.web.deps), 200 clients reading through request-scoped
sessions deadlocked the connection pool against the thread pool until its 30 s timeout (500s);
benchmarks/api_load.py measures the full mix. Here 240 simultaneous API reads must all succeed,
and a burst of form logins must never run more argon2 checks at once than configured.
"""
from __future__ import annotations

import asyncio
import threading
import time

import aiohttp
import pytest

from dramaguard import security
from dramaguard.settings import Settings, WebSettings
from dramaguard.web import create_app
from storage.auth import Role

from .conftest import PASSWORD, LiveServer, add_case, seed


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    settings = Settings(home=tmp_path_factory.mktemp("home"), web=WebSettings(password_checks=1))
    app = create_app(settings)
    with LiveServer(app) as server:
        actors, _, works = seed(app, passwords=True)
        cases = [add_case(app, works["A"]) for _ in range(4)]
        yield server, actors, cases


def test_240_simultaneous_reads_all_succeed(site):
    server, actors, cases = site
    headers = actors[(Role.LEGAL, "A")].bearer
    paths = ["/api/v1/review/queue", "/api/v1/cases", *(f"/api/v1/cases/{c}" for c in cases)]

    async def burst() -> list[int | str]:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=90)) as http:
            async def one(i: int) -> int | str:
                try:
                    async with http.get(server.url + paths[i % len(paths)], headers=headers) as response:
                        await response.read()
                        return response.status
                except (aiohttp.ClientError, TimeoutError) as exc:
                    return type(exc).__name__
            return await asyncio.gather(*(one(i) for i in range(240)))

    started = time.monotonic()
    statuses = asyncio.run(burst())
    assert statuses == [200] * 240, {s: statuses.count(s) for s in set(statuses)}
    assert time.monotonic() - started < 60


def test_a_login_burst_runs_one_argon2_check_at_a_time(site, monkeypatch):
    server, actors, _ = site
    emails = [a.email for a in actors.values()] * 2
    running, peak, lock = [0], [0], threading.Lock()
    real_verify = security.verify_password

    def counting_verify(password_hash, password):  # the real argon2 check, counted
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        try:
            return real_verify(password_hash, password)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr("dramaguard.web.login.verify_password", counting_verify)

    async def burst() -> list[int]:
        async def one(email: str) -> int:
            async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
                async with http.get(server.url + "/login") as page:
                    await page.read()
                token = next(c.value for c in http.cookie_jar if c.key == "dg_login_csrf")
                form = {"email": email, "password": PASSWORD, "csrf_token": token, "next": "/"}
                async with http.post(server.url + "/login", data=form, allow_redirects=False) as response:
                    return response.status
        return await asyncio.gather(*(one(e) for e in emails))

    assert asyncio.run(burst()) == [303] * len(emails)
    assert peak[0] == 1, f"{peak[0]} argon2 checks ran at once (web.password_checks = 1)"
