"""Upload back-pressure over real HTTP: a bounded number of uploads wait on disk (503 beyond), and a
body the disk cannot hold is refused before it is read (507); neither leaves a file behind."""
from __future__ import annotations

import shutil
import socket
import time

import httpx
import pytest

from monitor import samples
from dramaguard.settings import Settings, WebSettings
from dramaguard.web import create_app
from storage.auth import Role

from .conftest import LiveServer, seed, wait_for_upload


@pytest.fixture
def live(tmp_path):
    settings = Settings(home=tmp_path / "home", web=WebSettings(max_upload_bytes=10**16, max_queued_uploads=1))
    app = create_app(settings)
    with LiveServer(app) as server:
        actors, _, works = seed(app)
        with httpx.Client(base_url=server.url, timeout=60) as client:
            yield app, client, actors[(Role.RIGHTS_HOLDER, "A")], works["A"], server


def _open_upload(server, owner, work_id: int, declared: int) -> socket.socket:
    """An upload whose body is still arriving: it holds its place in the queue until closed."""
    host, port = server.url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    sock.sendall((f"POST /api/v1/works/{work_id}/episodes?number=1 HTTP/1.1\r\nHost: x\r\n"
                  f"Authorization: Bearer {owner.token}\r\nContent-Length: {declared}\r\n\r\n").encode()
                 + b"\0" * 1024)
    return sock


def test_uploads_beyond_the_queue_get_503_until_a_place_frees(live, tmp_path):
    app, client, owner, work_id, server = live
    clip = samples.make_episode(tmp_path / "clip.mp4", seed=5, seconds=1).read_bytes()

    def upload() -> httpx.Response:
        return client.post(f"/api/v1/works/{work_id}/episodes", params={"number": 2}, content=clip,
                           headers=owner.bearer)

    slow = _open_upload(server, owner, work_id, declared=10**6)
    deadline = time.monotonic() + 10
    while app.state.uploads.queued < 1:  # the server has read its headers: it holds the place
        assert time.monotonic() < deadline, "the slow upload never reached the queue"
        time.sleep(0.05)
    refused = upload()
    assert refused.status_code == 503, refused.text
    assert refused.headers["retry-after"] == "60" and "waiting to be fingerprinted" in refused.json()["detail"]
    slow.close()  # the client gives up: its file and its place go
    deadline = time.monotonic() + 10
    while (accepted := upload()).status_code == 503:
        assert time.monotonic() < deadline, "the place was never freed"
        time.sleep(0.1)
    assert accepted.status_code == 202, accepted.text
    assert wait_for_upload(client, accepted.headers["location"], owner.bearer)["state"] == "registered"
    assert not any((app.state.settings.home / "uploads").iterdir())


def test_a_body_the_disk_cannot_hold_is_refused_before_it_is_read(live):
    app, client, owner, work_id, server = live
    uploads = app.state.settings.home / "uploads"
    declared = shutil.disk_usage(uploads).free + (1 << 30)
    sock = _open_upload(server, owner, work_id, declared=declared)
    answer = b""
    with sock:
        while b"nothing was stored" not in answer and (chunk := sock.recv(4096)):
            answer += chunk
    answer = answer.decode("latin-1")
    assert answer.split(" ", 2)[1] == "507", answer[:300]
    assert "disk cannot hold" in answer and not any(uploads.iterdir())
