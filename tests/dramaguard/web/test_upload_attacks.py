"""Hostile uploads over real HTTP (uvicorn on loopback): traversal names, polyglots, wrong types,
decoder bombs, lying Content-Length. Each is refused with a clear 4xx, or stored safely inside the
upload folder; nothing is written elsewhere, nothing half-written stays behind."""
from __future__ import annotations

import io
import socket
import zipfile
from pathlib import Path

import av
import cv2
import httpx
import numpy as np
import pytest
from hypothesis import given, settings as hsettings, strategies as st

from monitor import samples
from dramaguard.settings import Settings, WebSettings
from dramaguard.web import create_app
from dramaguard.web.deps import SESSION_COOKIE
from dramaguard.web.uploads import safe_filename
from storage.auth import Role

from .conftest import LiveServer, seed, wait_for_upload

LIMIT = 2 << 20


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> list[bytes]:
    """Distinct real, tiny H.264 MP4s (1 s each; the same bytes twice would be a duplicate)."""
    root = tmp_path_factory.mktemp("clips")
    return [samples.make_episode(root / f"{i}.mp4", seed=100 + i, seconds=1).read_bytes() for i in range(20)]


@pytest.fixture
def clip(clips) -> bytes:
    return clips[0]


@pytest.fixture
def live(tmp_path):
    settings = Settings(home=tmp_path / "home", web=WebSettings(max_upload_bytes=LIMIT))
    app = create_app(settings)
    with LiveServer(app) as server:
        actors, _, works = seed(app)
        with httpx.Client(base_url=server.url, timeout=60) as client:
            owner = actors[(Role.RIGHTS_HOLDER, "A")]
            yield app, client, owner, works["A"], server


def zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("payload.html", "<script>alert(document.cookie)</script>")
        archive.writestr("../../evil.sh", "rm -rf /")
    return buffer.getvalue()


def ftyp(mp4: bytes) -> bytes:
    return mp4[: int.from_bytes(mp4[:4], "big")]


def box(kind: bytes, payload: bytes) -> bytes:
    return (8 + len(payload)).to_bytes(4, "big") + kind + payload


def png_bytes() -> bytes:
    ok, encoded = cv2.imencode(".png", np.zeros((32, 32, 3), np.uint8))
    assert ok
    return encoded.tobytes()


def vp8_bomb() -> bytes:
    """A 1 KB WebM whose only stream declares 16000×16000 frames (256 Mpx; ~384 MB per frame)."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="webm") as container:
        stream = container.add_stream("libvpx", rate=25)
        stream.width = stream.height = 256
        stream.pix_fmt = "yuv420p"
        for i in range(2):
            frame = av.VideoFrame.from_ndarray(np.full((256, 256, 3), i * 60, np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    data = bytearray(buffer.getvalue())
    for element in (b"\xb0\x82\x01\x00", b"\xba\x82\x01\x00"):  # Matroska PixelWidth / PixelHeight
        at = data.index(element)
        data[at + 2 : at + 4] = (16000).to_bytes(2, "big")
    start = data.index(b"\x9d\x01\x2a")  # VP8 key frame start code, then 14-bit width and height
    data[start + 3 : start + 7] = (16000).to_bytes(2, "little") * 2
    return bytes(data)


HOSTILE = {
    "zip_with_mp4_header": (lambda mp4: ftyp(mp4) + zip_bytes(), 415, "ZIP"),
    "mp4_with_appended_zip": (lambda mp4: mp4 + zip_bytes(), 415, "ZIP"),
    "plain_zip_renamed_mp4": (lambda mp4: zip_bytes(), 415, "ZIP archive"),
    "html_js_polyglot": (
        lambda mp4: ftyp(mp4) + box(b"free", b"<html><script>alert(1)</script></html>") + mp4[len(ftyp(mp4)):],
        415, "markup",
    ),
    "html_page": (lambda mp4: b"<!DOCTYPE html><html><script>alert(1)</script></html>", 415, "HTML"),
    "svg_image": (
        lambda mp4: b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        415, "SVG",
    ),
    "png_renamed_mp4": (lambda mp4: png_bytes(), 415, "PNG"),
    "pdf_renamed_mp4": (lambda mp4: b"%PDF-1.7\n1 0 obj<<>>endobj\n%%EOF", 415, "PDF"),
    "text_file": (lambda mp4: b"just some text, not a video", 415, "not a video"),
    "mp4_header_then_junk": (lambda mp4: ftyp(mp4) + b"junk" * 100, 422, "not a readable media"),
    "truncated_mp4_header": (lambda mp4: mp4[:200], 422, ""),
    "decoder_bomb_16000x16000": (lambda mp4: vp8_bomb(), 422, "absurd resolution 16000x16000"),
}


def assert_nothing_left(app, client, owner, work_id) -> None:
    assert not any((app.state.settings.home / "uploads").iterdir()), "half-written upload left behind"
    assert client.get(f"/api/v1/works/{work_id}/uploads", headers=owner.bearer).json() == []
    assert client.get(f"/api/v1/works/{work_id}", headers=owner.bearer).json()["episodes"] == []


def test_hostile_files_are_refused_with_a_clear_4xx_and_leave_nothing(live, clip):
    app, client, owner, work_id, _ = live
    refused = 0
    for number, (name, (make, status, reason)) in enumerate(HOSTILE.items(), start=1):
        response = client.post(
            f"/api/v1/works/{work_id}/episodes", params={"number": number, "filename": f"{name}.mp4"},
            content=make(clip), headers={**owner.bearer, "Content-Type": "video/mp4"},
        )
        assert response.status_code == status, (name, response.status_code, response.text)
        detail = response.json()["detail"]
        assert detail.startswith(f"{name}.mp4: ") and reason in detail, (name, detail)
        assert str(app.state.settings.home) not in detail, "server path leaked"
        refused += 1
    assert refused == len(HOSTILE)
    assert_nothing_left(app, client, owner, work_id)


def test_the_plain_clip_is_still_accepted(live, clip):
    """Proves the refusals above are about the content: the same route takes a real video."""
    app, client, owner, work_id, _ = live
    response = client.post(f"/api/v1/works/{work_id}/episodes", params={"number": 1, "filename": "ok.mp4"},
                           content=clip, headers=owner.bearer)
    assert response.status_code == 202, response.text
    assert wait_for_upload(client, response.headers["location"], owner.bearer)["state"] == "registered"


TRAVERSAL_NAMES = [
    "../../../canary.mp4", "..\\..\\..\\canary.mp4", "....//....//....//canary.mp4",
    "%2e%2e%2f%2e%2e%2f%2e%2e%2fcanary.mp4", "ep1.mp4\x00../../../canary.mp4", "..", ".", "...",
    "\u202e4pm.exe", "第１集／..／..／..／canary.mp4", "~/.ssh/authorized_keys", "ep\r\n1.mp4",
    "<script>alert(1)</script>.mp4", "a" * 200,
]


def test_traversal_file_names_stay_inside_the_upload_folder(live, clips, tmp_path):
    app, client, owner, work_id, _ = live
    home = app.state.settings.home
    names = TRAVERSAL_NAMES + [str(tmp_path / "abs-canary.mp4"), str(home / "dramaguard.db")]
    before = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*") if p.is_file()}
    jobs = []
    for number, name in enumerate(names, start=1):
        response = client.post(f"/api/v1/works/{work_id}/episodes", params={"number": number, "filename": name},
                               content=clips[number], headers=owner.bearer)
        assert response.status_code == 202, (name, response.text)
        jobs.append((name, response.headers["location"]))
    for name, location in jobs:
        job = wait_for_upload(client, location, owner.bearer)
        assert job["state"] == "registered", (name, job["error"])
        stored = job["filename"]
        assert stored == safe_filename(name) and stored not in ("", ".", "..")
        assert not set(stored) & set("/\\\x00\r\n<>") and "\u202e" not in stored, stored
    assert not (tmp_path / "canary.mp4").exists() and not (tmp_path / "abs-canary.mp4").exists()
    assert not (home / ".ssh").exists()
    changed = [p for p in tmp_path.rglob("*") if p.is_file() and before.get(p) != p.stat().st_mtime_ns]
    outside = [p for p in changed if not p.is_relative_to(home)]
    assert outside == [], f"upload wrote outside the data home: {outside}"
    assert not any((home / "uploads").iterdir())
    client.cookies.set(SESSION_COOKIE, owner.cookie)
    page = client.get(f"/works/{work_id}")
    assert page.status_code == 200 and safe_filename("<script>alert(1)</script>.mp4") in page.text
    assert "<script>alert(1)" not in page.text


@hsettings(max_examples=300, deadline=None)
@given(st.text(min_size=0, max_size=300))
def test_safe_filename_never_leaves_its_folder(name: str) -> None:
    root = Path("/srv/uploads/job")
    stored = safe_filename(name)
    assert 0 < len(stored) <= 200 and stored not in (".", "..")
    assert not any(c in stored for c in "/\\\x00") and all(c.isprintable() for c in stored)
    assert (root / stored).resolve().parent == root


def raw_request(server, head: str, body: bytes = b"") -> str:
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head.encode() + b"\r\n" + body)
        return sock.recv(4096).decode("latin-1")


@pytest.mark.parametrize(
    "declared, status",
    # uvicorn's parser refuses absurd, negative and ambiguous lengths itself (400); an honest but
    # too large one reaches the route, which answers 413 without reading the body
    [("99999999999999999999999", "400"), (str(10**15), "413"), (str(LIMIT + 1), "413"), ("-1", "400"),
     ("12, 13", "400")],
)
def test_lying_content_length_is_refused_before_the_body(live, declared, status):
    app, _, owner, work_id, server = live
    head = (f"POST /api/v1/works/{work_id}/episodes?number=1 HTTP/1.1\r\nHost: x\r\n"
            f"Authorization: Bearer {owner.token}\r\nContent-Length: {declared}\r\n")
    answer = raw_request(server, head, b"\0" * 1024)  # far less than declared: no waiting for it
    assert answer.split(" ", 2)[1] == status, answer[:200]
    assert not any((app.state.settings.home / "uploads").iterdir())


# text/csv: the case export, always an attachment (Content-Disposition), never rendered
SAFE_TYPES = {"application/json", "text/html", "image/png", "application/pdf", "text/css", "text/javascript", "text/csv"}


def test_uploaded_bytes_are_never_served_back(live, clips):
    """Every GET route (API from the schema, UI from the route list) with the caller's own ids:
    none returns the uploaded file's bytes, and every answer is nosniff with a safe type."""
    from .test_csrf_bruteforce import routes

    app, client, owner, work_id, _ = live
    body = clips[7]
    response = client.post(f"/api/v1/works/{work_id}/episodes", params={"number": 1, "filename": "x.html"},
                           content=body, headers=owner.bearer)
    job = wait_for_upload(client, response.headers["location"], owner.bearer)
    assert job["state"] == "registered" and job["filename"] == "x.html"
    ids = {"work_id": work_id, "job_id": job["id"]}
    client.cookies.set(SESSION_COOKIE, owner.cookie)
    paths = {path for path, methods in routes(app) if "GET" in methods}
    served = 0
    for path in sorted(paths):
        try:
            url = path.format(**ids)
        except KeyError:  # a route about other objects (cases, notices): no uploaded bytes there
            continue
        for extra in ("", f"/{job['filename']}"):
            answer = client.get(url + extra, headers=owner.bearer if url.startswith("/api/") else {})
            assert body[-2048:] not in answer.content and body[:2048] not in answer.content, url + extra
            if answer.status_code == 200:
                served += 1
                assert answer.headers.get("x-content-type-options") == "nosniff", url
                assert answer.headers["content-type"].split(";")[0] in SAFE_TYPES, (url, answer.headers["content-type"])
    assert served >= 6
    assert client.get(f"/static/{job['filename']}").status_code == 404
