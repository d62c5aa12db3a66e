"""Episode uploads over real HTTP: streamed, capped, fingerprinted in the background, then matchable."""
from __future__ import annotations

import httpx
import pytest

from indexing.catalogue import Services
from dramaguard.settings import Settings, WebSettings
from dramaguard.web import create_app
from storage.auth import Role
from storage.db import transaction
from storage.uploads import UploadJob

from .conftest import LiveServer, seed, wait_for_upload


@pytest.fixture
def live(tmp_path):
    settings = Settings(home=tmp_path / "home", web=WebSettings(max_upload_bytes=2 << 20))
    app = create_app(settings)
    with LiveServer(app) as server:
        actors, holders, works = seed(app)
        with httpx.Client(base_url=server.url, timeout=60) as client:
            yield app, client, actors, works


def chunks(path, size=64 << 10):
    with open(path, "rb") as handle:
        while block := handle.read(size):
            yield block


def test_uploaded_episode_is_registered_with_a_receipt_and_then_found_by_scans(live, sample_media):
    app, client, actors, works = live
    owner = actors[(Role.RIGHTS_HOLDER, "A")]
    response = client.post(
        f"/api/v1/works/{works['A']}/episodes",
        params={"number": 1, "filename": "../../第1集.mp4"},
        content=chunks(sample_media["ep1"]),  # chunked transfer: no Content-Length to trust
        headers={**owner.bearer, "Content-Type": "video/mp4"},
    )
    assert response.status_code == 202, response.text
    assert response.json()["state"] in ("queued", "fingerprinting")
    job = wait_for_upload(client, response.headers["location"], owner.bearer)
    assert job["state"] == "registered", job
    assert job["filename"] == "第1集.mp4" and job["size_bytes"] == sample_media["ep1"].stat().st_size
    work = client.get(f"/api/v1/works/{works['A']}", headers=owner.bearer).json()
    [episode] = work["episodes"]
    assert episode["id"] == job["episode_id"] and episode["number"] == 1
    receipt = episode["receipt"]
    assert len(receipt["sha256"]) == 64 and len(receipt["fingerprint_digest"]) == 64 and receipt["frame_count"] > 0
    assert receipt["receipt_id"] == f"DG-R-{episode['id']:06d}" and len(receipt["receipt_sha256"]) == 64
    report = app.state.services.scan_file(sample_media["flip"])
    assert report.matches and report.matches[0].episode_id == job["episode_id"]
    assert not any((app.state.settings.home / "uploads").iterdir()), "temporary upload left behind"
    # the same number again is refused before the body is read
    again = client.post(
        f"/api/v1/works/{works['A']}/episodes", params={"number": 1}, content=b"x", headers=owner.bearer
    )
    assert again.status_code == 409


def test_oversized_uploads_are_refused_and_leave_nothing(live):
    app, client, actors, works = live
    owner = actors[(Role.RIGHTS_HOLDER, "A")]
    url = f"/api/v1/works/{works['A']}/episodes"
    big = b"\0" * ((2 << 20) + 1)
    declared = client.post(url, params={"number": 2}, content=big, headers=owner.bearer)
    assert declared.status_code == 413
    streamed = client.post(url, params={"number": 2}, content=iter([big[:1 << 20], big[1 << 20:]]), headers=owner.bearer)
    assert streamed.status_code == 413
    assert client.get(f"{url.rsplit('/', 1)[0]}/uploads", headers=owner.bearer).json() == []
    assert not any((app.state.settings.home / "uploads").iterdir())
    empty = client.post(url, params={"number": 2}, content=b"", headers=owner.bearer)
    assert empty.status_code == 400


def test_a_broken_file_is_refused_with_a_clear_message(live, tmp_path):
    _, client, actors, works = live
    owner = actors[(Role.RIGHTS_HOLDER, "B")]
    response = client.post(
        f"/api/v1/works/{works['B']}/episodes",
        params={"number": 3, "filename": "broken.mp4"},
        content=b"\x00\x00\x00\x18ftypmp42" + b"junk" * 100,
        headers=owner.bearer,
    )
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert detail.startswith("broken.mp4: ") and "/" not in detail.split(":")[0]
    assert client.get(f"/api/v1/works/{works['B']}/uploads", headers=owner.bearer).json() == []
    assert client.get(f"/api/v1/works/{works['B']}", headers=owner.bearer).json()["episodes"] == []


def test_unfinished_uploads_are_marked_failed_on_the_next_start(tmp_path):
    """A crash leaves a job queued (its temporary file gone); the next start says so."""
    settings = Settings(home=tmp_path / "home")
    app = create_app(settings)
    with LiveServer(app):
        _, holders, works = seed(app)
    with Services.open(settings) as services, transaction(services.sessions) as session:
        session.add(UploadJob(id="f" * 32, holder_id=holders["A"], work_id=works["A"], episode_number=9,
                              filename="lost.mp4", size_bytes=1))
    app = create_app(settings)
    with LiveServer(app):
        with transaction(app.state.services.sessions) as session:
            job = session.get_one(UploadJob, "f" * 32)
            assert job.state == "failed" and "stopped" in job.error
