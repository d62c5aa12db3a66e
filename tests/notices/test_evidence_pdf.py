"""The evidence PDF shows what a notice cites: hashes, times in the holder's zone, the segment
table, and the keyframes in their own colours (rasterized with pdfium to check)."""
from __future__ import annotations

import io
from datetime import UTC, datetime

import numpy as np
import pypdf
import pypdfium2 as pdfium

from notices.evidence import KeyframePair, build_evidence_package
from notices.evidence_pdf import evidence_pdf
from notices.model import CandidateInfo, EpisodeMatch, Segment

AT = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)


def package(tmp_path):
    red = np.zeros((90, 160, 3), dtype=np.uint8)
    red[..., 0] = 220
    blue = np.zeros((90, 160, 3), dtype=np.uint8)
    blue[..., 2] = 220
    candidate = CandidateInfo("douyin", "v1", "https://v.douyin.example/v1", "盗版", uploader_id="pirate-1",
                              uploader_name="搬运工", uploaded_at=AT, captured_at=AT, media_sha256="f" * 64)
    match = EpisodeMatch(1, 7, 3, 0.91, 0.9, 0.8, (Segment(1000, 9000, 11000, 19000, 0.93),))
    return build_evidence_package(evidence_id="DG-E-000001", directory=tmp_path / "pkg", candidate=candidate,
                                  matches=[match], keyframes=[KeyframePair(2000, 12000, red, blue)],
                                  receipts=[], created_at=AT)


def test_evidence_pdf_carries_the_facts_and_colour_keyframes(tmp_path):
    pkg = package(tmp_path)
    body = evidence_pdf(pkg.directory, sha256=pkg.sha256, time_zone="Asia/Shanghai", episode_lengths_ms={7: 95_000})
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(body)).pages).replace("\n", " ")
    for fact in (pkg.sha256[:40], "DG-E-000001", "pirate-1", "2026-12-06 18:00 北京时间", "00:01.0–00:09.0",
                 "00:11.0–00:19.0", pkg.manifest["keyframes"][0]["sha256"][:32]):
        assert fact in text, fact
    image = np.asarray(pdfium.PdfDocument(body)[0].render(scale=1).to_pil().convert("RGB")).astype(int)
    r, g, b = image[..., 0], image[..., 1], image[..., 2]
    assert ((r > 180) & (g < 60) & (b < 60)).sum() > 500  # the copy's red frame (and the timeline)
    assert ((b > 180) & (r < 60) & (g < 60)).sum() > 500  # the original's blue frame: colour, not grey
