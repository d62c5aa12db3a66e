"""Is this file a plain video container — and nothing else?

Uploaded files are only ever decoded, never served back, but a file that is *also* something
else (a ZIP archive, an HTML page, an SVG, a PNG renamed ``.mp4``) is refused up front with a
clear reason: it is either a mistake or an attack on whoever handles the file next.
"""
from __future__ import annotations

import re
import zipfile
from pathlib import Path

from fingerprint.errors import DecodeError

#: Browsers sniff markup in roughly the first kilobyte; nothing like it may sit there.
MARKUP_WINDOW = 1024
_MARKUP = re.compile(
    rb"<\s*(?:script|html|body|svg|iframe|object|embed|!doctype|\?xml|head|img|a\s)", re.IGNORECASE
)
_ISO_BOXES = {b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip", b"pnot"}
_OTHER_KINDS = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"PK\x05\x06", "a ZIP archive"),
    (b"%PDF", "a PDF document"),
    (b"\x7fELF", "an executable"),
    (b"MZ", "an executable"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
)


class NotVideo(DecodeError):
    """The file is not (only) a video container: wrong type, or a polyglot."""


def _is_video_container(head: bytes) -> bool:
    return (
        head[4:8] in _ISO_BOXES  # MP4, MOV, 3GP
        or head.startswith(b"\x1a\x45\xdf\xa3")  # Matroska, WebM
        or (head.startswith(b"RIFF") and head[8:12] == b"AVI ")
        or head.startswith(b"FLV\x01")
        or head.startswith(b"\x00\x00\x01\xba")  # MPEG program stream
        or head.startswith(b"\x30\x26\xb2\x75\x8e\x66\xcf\x11")  # ASF / WMV
        or (len(head) > 188 and head[0] == 0x47 and head[188] == 0x47)  # MPEG transport stream
    )


def _looks_like(head: bytes) -> str:
    for magic, kind in _OTHER_KINDS:
        if head.startswith(magic):
            return kind
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<svg", b"<?xml")) and b"<svg" in head.lower():
        return "an SVG image"
    if text.startswith(b"<"):
        return "an HTML/XML document"
    return "an unknown format"


def vet_container(path: Path, name: str) -> None:
    """Raise :class:`NotVideo` (naming ``name``, never the server path) unless plain video."""
    with open(path, "rb") as handle:
        head = handle.read(MARKUP_WINDOW)
    if not _is_video_container(head):
        raise NotVideo(name, f"not a video file (it looks like {_looks_like(head)})")
    if _MARKUP.search(head):
        raise NotVideo(name, "HTML/script markup inside the video header (a polyglot file)")
    if zipfile.is_zipfile(path):
        raise NotVideo(name, "the file is also a ZIP archive (a polyglot); upload the plain video")
