"""Watermarking wired to the settings: the key, the params, and the scan pipeline's hook."""
from __future__ import annotations

import logging
from pathlib import Path

from indexing.config import CatalogueConfig
from indexing.reports import LeakReport, MatchReport
from fingerprint.watermark import Detection, WatermarkError, WatermarkParams, detect_video

log = logging.getLogger(__name__)


class MissingKeyError(RuntimeError):
    """No watermark key is configured; embedding and detection both need it."""


def watermark_key(settings: CatalogueConfig) -> bytes:
    """The configured key as bytes (never logged)."""
    secret = settings.watermark.key
    if secret is None or not secret.get_secret_value():
        raise MissingKeyError("no watermark key configured (set DRAMAGUARD_WATERMARK__KEY)")
    return secret.get_secret_value().encode("utf-8")


def watermark_params(settings: CatalogueConfig) -> WatermarkParams:
    return WatermarkParams(strength=settings.watermark.strength)


def find_watermark(
    settings: CatalogueConfig, path: Path, *, start_s: float | None = None, end_s: float | None = None
) -> Detection | None:
    """For the scan pipeline: the mark of ``path``, read within the matched query range.

    None when no key is configured, there is no mark, or the file cannot be decoded (a warning):
    a missing watermark must never fail a scan. Takes ~1 s for 30 s of 480p video.
    """
    try:
        key = watermark_key(settings)
    except MissingKeyError:
        return None
    try:
        return detect_video(path, key, start_s=start_s, end_s=end_s,
                            params=watermark_params(settings))
    except WatermarkError as exc:
        log.warning("watermark detection skipped: %s", exc)
        return None


def leak_report(settings: CatalogueConfig, path: Path, matches: list[MatchReport]) -> LeakReport | None:
    """Read the watermark over the best match's span (only for matches worth a notice)."""
    notable = [m for m in matches if m.score >= settings.matcher.notify_score]
    if not notable:
        return None
    top = notable[0]
    found = find_watermark(settings, path, start_s=top.query_start, end_s=top.query_end)
    if found is None:
        return None
    return LeakReport(found.payload.recipient, found.payload.episode, round(found.confidence, 3))
