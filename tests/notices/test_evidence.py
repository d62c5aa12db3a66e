"""Evidence packages: side-by-side keyframes and a manifest whose hash covers every file."""
from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import numpy as np
import pytest
from PIL import Image

from notices.evidence import (
    PANEL_HEIGHT,
    KeyframePair,
    build_evidence_package,
    side_by_side,
    timecode,
)
from notices.model import CandidateInfo, EpisodeMatch, Segment

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def frame(color: tuple[int, int, int], size=(180, 320)) -> np.ndarray:
    image = np.zeros((*size, 3), dtype=np.uint8)
    image[:] = color
    return image


def test_side_by_side_puts_query_left_and_reference_right() -> None:
    pair = KeyframePair(61_500, 59_000, frame((255, 0, 0), (320, 180)),
                        Image.fromarray(frame((0, 0, 255), (640, 360))))
    out = np.asarray(side_by_side(pair))
    assert out.shape[0] > PANEL_HEIGHT
    width = out.shape[1]
    left, right = out[PANEL_HEIGHT // 2, width // 8], out[PANEL_HEIGHT // 2, width * 7 // 8]
    assert tuple(left) == (255, 0, 0) and tuple(right) == (0, 0, 255)
    label_band = out[PANEL_HEIGHT:, :]
    assert (label_band < 100).any(), "timecode labels not drawn"
    assert timecode(61_500) == "01:01.5"


def test_package_manifest_hashes_every_file(tmp_path) -> None:
    cand = CandidateInfo(platform="douyin", video_id="v9", url="https://v.example.com/9",
                         title="盗版", uploader_id="u1", uploader_name="搬运工", view_count=12_000,
                         captured_at=NOW, media_sha256="f" * 64)
    match = EpisodeMatch(1, 7, 3, 0.91, 0.95, 0.8, (Segment(0, 60_000, 5_000, 65_000, 0.91),))
    pairs = [KeyframePair(1_000, 6_000, frame((10, 200, 10)), frame((10, 190, 10)))]
    package = build_evidence_package(
        evidence_id="DG-E-000001", directory=tmp_path / "ev", candidate=cand, matches=[match],
        keyframes=pairs, receipts=[{"receipt_id": "DG-R-000007", "sha256": "c" * 64}],
        created_at=NOW)
    body = (tmp_path / "ev" / "evidence.json").read_bytes()
    assert hashlib.sha256(body).hexdigest() == package.sha256
    manifest = json.loads(body)
    assert manifest["candidate"]["url"] == cand.url
    assert manifest["candidate"]["view_count"] == 12_000
    assert manifest["candidate"]["media_sha256"] == "f" * 64
    assert manifest["candidate"]["captured_at"] == NOW.isoformat()
    seg = manifest["matches"][0]["segments"][0]
    assert (seg["query_start_ms"], seg["ref_start_ms"], seg["score"]) == (0, 5_000, 0.91)
    frame_entry = manifest["keyframes"][0]
    png = (tmp_path / "ev" / frame_entry["file"]).read_bytes()
    assert hashlib.sha256(png).hexdigest() == frame_entry["sha256"]
    assert manifest["registration_receipts"][0]["receipt_id"] == "DG-R-000007"
    assert not list((tmp_path / "ev").rglob("*.tmp"))
    with pytest.raises(FileExistsError):
        build_evidence_package(evidence_id="x", directory=tmp_path / "ev", candidate=cand,
                               matches=[match], keyframes=[], receipts=[], created_at=NOW)


def test_bad_keyframe_dtype_is_a_clear_error() -> None:
    pair = KeyframePair(0, 0, np.zeros((10, 10, 3), dtype=np.float32), frame((0, 0, 0)))
    with pytest.raises(ValueError, match="uint8"):
        side_by_side(pair)
