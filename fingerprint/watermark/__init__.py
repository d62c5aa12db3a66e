"""Forensic watermarking: an invisible per-recipient mark that names whose copy leaked.

Fingerprints say *what* was copied; this says *whose* copy it was. See :mod:`.pattern` for the
scheme, :func:`embed_video` to mark a copy and :func:`detect_video` to read one.
"""
from fingerprint.watermark.detect import (
    Detection,
    DetectOptions,
    Evidence,
    Placement,
    Reading,
    detect,
    detect_video,
    gather,
    gather_video,
    read,
)
from fingerprint.watermark.embed import EmbedReport, EncodeOptions, embed_video
from fingerprint.watermark.errors import WatermarkError
from fingerprint.watermark.pattern import ALGORITHM, VERSION, WatermarkParams
from fingerprint.watermark.payload import WatermarkPayload

__all__ = [
    "ALGORITHM",
    "VERSION",
    "Detection",
    "DetectOptions",
    "EmbedReport",
    "EncodeOptions",
    "Evidence",
    "Placement",
    "Reading",
    "WatermarkError",
    "WatermarkParams",
    "WatermarkPayload",
    "detect",
    "detect_video",
    "gather",
    "gather_video",
    "read",
    "embed_video",
]
