"""Video → timed frame descriptors. Pure: numpy, OpenCV, PyAV; no database."""
from fingerprint.errors import DecodeError, FingerprintError
from fingerprint.extract import FingerprintParams, VideoFingerprint, fingerprint_video

__all__ = [
    "DecodeError",
    "FingerprintError",
    "FingerprintParams",
    "VideoFingerprint",
    "fingerprint_video",
]
