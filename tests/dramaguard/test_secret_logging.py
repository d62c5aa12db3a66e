"""No secret in any log record or error message, with every logger at DEBUG.

Representative flows run against real servers on loopback: password login (UI form and API),
API tokens (issued, used, revoked, wrong), CSRF-protected forms, e-mail delivery with SMTP AUTH
(aiosmtpd), a complaint API call with a bearer token (aiohttp server), failures of each, and
settings holding ``SecretStr`` values logged whole. uvicorn's access log and SQLAlchemy's
statement log are on. Every record's message, arguments and traceback are searched for each
secret (and its base64 and URL-encoded forms).
"""
from __future__ import annotations

import asyncio
import base64
import logging
import re
import threading
import time
from urllib.parse import quote

import httpx
import pytest
import uvicorn
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from dramaguard.settings import Settings, WebSettings
from dramaguard.web import create_app
from dramaguard.web.deps import SESSION_COOKIE
from notices.channels import EmailChannel, HttpComplaintChannel
from notices.errors import DeliveryError
from tests.dramaguard.web.conftest import PASSWORD, seed
from tests.notices.servers import ComplaintServer, SmtpSink, free_port
from tests.notices.test_channels import with_recipient
from storage.auth import Role

SMTP_USER, SMTP_PASSWORD = "dg-mailer", "smtp-Pa55-wörd-7f3a9c"
COMPLAINT_TOKEN = "complaint-token-5b2e81d4c09a"
WATERMARK_KEY = "watermark-key-9d8c7b6a5f4e"
MILVUS_TOKEN = "milvus-token-1a2b3c4d5e6f"
DB_PASSWORD = "db-Pa55-3e7f1c"
#: Not our code: the receiving mail server (the provider's) and the test's own HTTP client, httpx,
#: which logs the headers it receives (no package of the app uses httpx).
FOREIGN_LOGGERS = ("mail.log", "httpx", "httpcore")


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def texts(self) -> list[tuple[str, str]]:
        formatter = logging.Formatter()
        out = []
        for record in self.records:
            if record.name.startswith(FOREIGN_LOGGERS):
                continue
            parts = [record.getMessage(), repr(record.args)]
            if record.exc_info:
                parts.append(formatter.formatException(record.exc_info))
            out.append((record.name, "\n".join(parts)))
        return out


@pytest.fixture
def debug_logs():
    """Every logger at DEBUG into one handler (uvicorn's and aiohttp's included)."""
    root = logging.getLogger()
    capture = Capture()
    old_level = root.level
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    noisy = {}
    for name in ("uvicorn", "uvicorn.access", "uvicorn.error", "aiohttp", "sqlalchemy.engine", "httpx",
                 "httpcore", "aiosmtplib", "asyncio", "multipart"):
        logger = logging.getLogger(name)
        noisy[name] = (logger.level, logger.propagate, logger.disabled)
        logger.setLevel(logging.DEBUG)
        logger.propagate = True
        logger.disabled = False
    yield capture
    root.removeHandler(capture)
    root.setLevel(old_level)
    for name, (level, propagate, disabled) in noisy.items():
        logger = logging.getLogger(name)
        logger.setLevel(level)
        logger.propagate = propagate
        logger.disabled = disabled


def variants(secret: str) -> set[str]:
    """The secret as it might appear: raw, URL-encoded, base64 alone and in SMTP AUTH PLAIN."""
    forms = {secret, quote(secret, safe=""), base64.b64encode(secret.encode()).decode()}
    forms.add(base64.b64encode(f"\0{SMTP_USER}\0{secret}".encode()).decode())
    return {f for f in forms if len(f) >= 8}


def assert_no_secret(capture: Capture, secrets: dict[str, str], at_least: int) -> None:
    texts = capture.texts()
    assert len(texts) >= at_least, f"only {len(texts)} records: is logging really captured?"
    leaks = [
        (label, name, text[:300])
        for label, secret in secrets.items()
        for form in variants(secret)
        for name, text in texts
        if form in text
    ]
    assert not leaks, f"secrets in logs: {leaks[:3]}"


class AccessLoggedServer:
    """uvicorn with its access log on and no logging config of its own (records reach root)."""

    def __init__(self, app) -> None:
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None,
                                                    log_level="debug", access_log=True))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert time.monotonic() < deadline and self.thread.is_alive(), "uvicorn did not start"
            time.sleep(0.05)
        return f"http://127.0.0.1:{self.server.servers[0].sockets[0].getsockname()[1]}"

    def __exit__(self, *exc_info) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_web_flows_log_no_password_token_cookie_or_csrf(tmp_path, debug_logs, monkeypatch):
    monkeypatch.setenv("DRAMAGUARD_WATERMARK__KEY", WATERMARK_KEY)
    monkeypatch.setenv("DRAMAGUARD_INDEX__MILVUS_TOKEN", MILVUS_TOKEN)
    monkeypatch.setenv("DRAMAGUARD_NOTICES__SMTP_PASSWORD", SMTP_PASSWORD)
    settings = Settings(home=tmp_path / "home", web=WebSettings(login_max_failures=3))
    assert settings.notices.smtp_password.get_secret_value() == SMTP_PASSWORD  # the env reached it
    postgres = Settings(home=tmp_path / "pg", database_url=f"postgresql+psycopg://dg:{DB_PASSWORD}@db.invalid/dg")
    assert DB_PASSWORD in postgres.resolved_database_url
    for shown in (settings, postgres):
        logging.getLogger("tests.settings").debug("settings: %s / %r / %s", shown, shown, shown.model_dump_json())
    app = create_app(settings)
    secrets = {"password": PASSWORD, "smtp": SMTP_PASSWORD, "watermark": WATERMARK_KEY, "milvus": MILVUS_TOKEN,
               "database": DB_PASSWORD}
    with AccessLoggedServer(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        actors, _, _ = seed(app, passwords=True)
        owner = actors[(Role.RIGHTS_HOLDER, "A")]
        secrets.update(seeded_token=owner.token, seeded_cookie=owner.cookie, seeded_csrf=owner.csrf)
        # UI login: wrong password, then right; the session cookie and CSRF token then used
        form = client.get("/login")
        csrf = csrf_of(form.text)
        bad = client.post("/login", data={"email": owner.email, "password": PASSWORD + "x",
                                          "csrf_token": csrf, "next": "/works"})
        assert bad.status_code == 401
        csrf_again = csrf_of(bad.text)  # each form carries a fresh token
        good = client.post("/login", data={"email": owner.email, "password": PASSWORD, "csrf_token": csrf_again,
                                           "next": "/works"}, follow_redirects=False)
        assert good.status_code == 303, good.text
        cookie = client.cookies[SESSION_COOKIE]
        works = client.get("/works")
        page_csrf = csrf_of(works.text)
        secrets.update(login_csrf=csrf, login_csrf_2=csrf_again, cookie=cookie, page_csrf=page_csrf)
        assert client.post("/works", data={"title": "新剧", "csrf_token": page_csrf},
                           follow_redirects=False).status_code == 303
        assert client.post("/works", data={"title": "伪造", "csrf_token": "forged"}).status_code == 403
        client.post("/logout", data={"csrf_token": page_csrf})
        client.cookies.clear()
        # API: password → token, token use, wrong token, a new token, revocation
        login = client.post("/api/v1/auth/login", json={"email": owner.email, "password": PASSWORD})
        assert login.status_code == 201, login.text
        token = login.json()["token"]
        assert client.post("/api/v1/auth/login", json={"email": owner.email, "password": "nope"}).status_code == 401
        bearer = {"Authorization": f"Bearer {token}"}
        assert client.get("/api/v1/me", headers=bearer).status_code == 200
        wrong = token[:-4] + "AAAA"
        assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {wrong}"}).status_code == 401
        made = client.post("/api/v1/auth/tokens", json={"name": "ci"}, headers=bearer).json()
        assert client.delete(f"/api/v1/auth/tokens/{made['id']}", headers=bearer).status_code == 204
        assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {made['token']}"}).status_code == 401
        # a token pasted into a query string and a cookie header by mistake
        client.get("/api/v1/me", params={"token": token}, headers={"Cookie": f"{SESSION_COOKIE}={cookie}"})
        secrets.update(api_token=token, wrong_token=wrong, second_token=made["token"])
        for _ in range(4):  # into the login throttle
            client.post("/api/v1/auth/login", json={"email": owner.email, "password": "wrong-" + PASSWORD})
    del secrets["wrong_token"]  # a guess is not a secret; kept above to exercise the 401 path
    # the query-string token is the client's own mistake; uvicorn's access log must not keep it either
    assert_no_secret(debug_logs, secrets, at_least=100)
    assert any(r.name == "uvicorn.access" for r in debug_logs.records), "access log not captured"
    assert any(r.name.startswith("sqlalchemy.engine") for r in debug_logs.records), "SQL log not captured"


def smtp_with_auth(sink: SmtpSink) -> Controller:
    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == SMTP_USER.encode() and auth_data.password == SMTP_PASSWORD.encode()
        return AuthResult(success=ok)

    controller = Controller(sink, hostname="127.0.0.1", port=free_port(), authenticator=authenticate,
                            auth_require_tls=False, auth_required=True)
    controller.start()
    return controller


def test_delivery_channels_log_no_smtp_password_or_complaint_token(debug_logs):
    sink = SmtpSink()
    controller = smtp_with_auth(sink)
    errors: list[str] = []
    try:
        good = EmailChannel(host="127.0.0.1", port=controller.port, sender="dg@x.example",
                            username=SMTP_USER, password=SMTP_PASSWORD, start_tls=False)
        asyncio.run(good.deliver(with_recipient("copyright@platform.example"), key="k1"))
        bad = EmailChannel(host="127.0.0.1", port=controller.port, sender="dg@x.example",
                           username=SMTP_USER, password=SMTP_PASSWORD + "-old", start_tls=False, attempts=1,
                           timeout_s=5)
        with pytest.raises(DeliveryError) as refused:
            asyncio.run(bad.deliver(with_recipient("copyright@platform.example"), key="k2"))
        errors.append(str(refused.value))
    finally:
        controller.stop()
    assert len(sink.messages) == 1

    async def complain() -> None:
        server = ComplaintServer(fail_next=[503])
        async with server.running():
            channel = HttpComplaintChannel(token=COMPLAINT_TOKEN, attempts=2, sleep=asyncio.sleep,
                                           base_delay_s=0.01)
            await channel.deliver(with_recipient(server.base_url), key="k3")
        unreachable = HttpComplaintChannel(token=COMPLAINT_TOKEN, attempts=1)
        with pytest.raises(DeliveryError) as failed:
            await unreachable.deliver(with_recipient(f"http://127.0.0.1:{free_port()}"), key="k4")
        errors.append(str(failed.value))

    asyncio.run(complain())
    logging.getLogger("tests.errors").warning("delivery errors: %s", errors)
    assert_no_secret(debug_logs, {"smtp": SMTP_PASSWORD, "old_smtp": SMTP_PASSWORD + "-old",
                                  "complaint": COMPLAINT_TOKEN}, at_least=5)
