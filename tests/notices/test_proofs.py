"""Ownership proofs are judged by their bytes: PDFs and images that parse, within the size cap."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from notices.pdf import Block, render_pdf
from notices.proofs import ProofRefused, sniff


def png(size=(40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(buffer, format="JPEG")
    return buffer.getvalue()


def pdf() -> bytes:
    return render_pdf([Block("title", "作品登记证书")], title="certificate")


def test_pdf_png_and_jpeg_are_accepted() -> None:
    assert sniff(pdf()).content_type == "application/pdf" and sniff(pdf()).pages_or_pixels == "PDF, 1 p."
    assert sniff(png()).content_type == "image/png" and sniff(png()).pages_or_pixels == "40x30"
    assert sniff(jpeg()).content_type == "image/jpeg"


@pytest.mark.parametrize(("data", "reason"), [
    (b"", "empty"),
    (b"MZ\x90\x00 this is a windows executable named certificate.pdf", "not a PDF, PNG or JPEG"),
    (b"<html>certificate</html>", "not a PDF, PNG or JPEG"),
    (pdf()[: len(pdf()) // 2], "truncated"),
    (b"%PDF-1.4\n garbage garbage\n%%EOF", "cannot be read"),
    (png()[:60], "cannot be read"),
    (b"\x89PNG\r\n\x1a\n" + b"\0" * 50, "cannot be read"),
])
def test_bad_uploads_are_refused_with_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(ProofRefused, match=reason):
        sniff(data)


def test_size_cap() -> None:
    with pytest.raises(ProofRefused, match="at most 100 are accepted"):
        sniff(pdf(), max_bytes=100)
