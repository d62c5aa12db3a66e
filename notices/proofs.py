"""Ownership proofs (权属证明): what a document is, judged by its bytes, never by its name.

A platform checks a notice's preliminary proof (Art. 14 (三) 《信息网络传播权保护条例》): the copyright
registration certificate, the licence chain, an agent's authorisation letter, the business
licence. Uploads are sniffed by content (a renamed executable is not a PDF), parsed once (a
truncated PDF or a broken image is refused), and size-capped before anything is stored.
"""
from __future__ import annotations

import enum
import io
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from notices.errors import NoticeError

MAX_PROOF_BYTES = 20 * 1024 * 1024
MAX_PROOF_PIXELS = 80_000_000


class ProofKind(enum.StrEnum):
    REGISTRATION_CERTIFICATE = "registration_certificate"  # 作品登记证书
    LICENCE_CHAIN = "licence_chain"  # 授权链 / 许可合同
    AUTHORISATION_LETTER = "authorisation_letter"  # 授权委托书 (an agent acts)
    BUSINESS_LICENCE = "business_licence"  # 营业执照
    SEAL = "seal"  # 印章 / 签名 image, drawn on the notice


#: kinds that prove ownership of a work (a seal proves nothing about the work)
OWNERSHIP_KINDS = frozenset(ProofKind) - {ProofKind.SEAL}


class ProofRefused(NoticeError):
    """An upload that is not a PDF/PNG/JPEG, is malformed or is too large; nothing was kept."""

    def __init__(self, message: str) -> None:
        super().__init__(message, expected=True)


@dataclass(frozen=True)
class SniffedDocument:
    content_type: str
    extension: str
    pages_or_pixels: str  # "3 pages", "1200x800": shown to the person who uploaded it


def sniff(data: bytes, *, max_bytes: int = MAX_PROOF_BYTES) -> SniffedDocument:
    """Identify ``data`` as a PDF, PNG or JPEG and check it parses; ProofRefused otherwise."""
    if not data:
        raise ProofRefused("the file is empty")
    if len(data) > max_bytes:
        raise ProofRefused(f"the file is {len(data)} bytes; at most {max_bytes} are accepted")
    if data.startswith(b"%PDF-"):
        return _pdf(data)
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return _image(data, "PNG", "image/png", "png")
    if data.startswith(b"\xff\xd8\xff"):
        return _image(data, "JPEG", "image/jpeg", "jpg")
    raise ProofRefused("not a PDF, PNG or JPEG file (judged by its content, not its name)")


def _pdf(data: bytes) -> SniffedDocument:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    if b"%%EOF" not in data[-2048:]:
        raise ProofRefused("the PDF is truncated (no end-of-file marker)")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        pages = len(reader.pages)
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        raise ProofRefused(f"the PDF cannot be read: {exc}") from exc
    if reader.is_encrypted:
        raise ProofRefused("the PDF is encrypted; a platform could not open it")
    if pages < 1:
        raise ProofRefused("the PDF has no pages")
    return SniffedDocument("application/pdf", "pdf", f"PDF, {pages} p.")


def _image(data: bytes, fmt: str, content_type: str, extension: str) -> SniffedDocument:
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != fmt:
                raise ProofRefused(f"the file starts like {fmt} but is {image.format}")
            width, height = image.size
            if width * height > MAX_PROOF_PIXELS:
                raise ProofRefused(f"the image is {width}x{height}; too large to be a document scan")
            image.load()  # decodes every pixel: a truncated file fails here
    except ProofRefused:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ProofRefused(f"the image cannot be read: {exc}") from exc
    return SniffedDocument(content_type, extension, f"{width}x{height}")
