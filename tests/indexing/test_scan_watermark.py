"""A scan of a leaked, watermarked copy names the recipient."""
from __future__ import annotations

from pydantic import SecretStr

from monitor import samples
from indexing.catalogue import Services
from dramaguard.settings import Settings, WatermarkSettings
from indexing.watermarking import watermark_key, watermark_params
from fingerprint.watermark import WatermarkPayload, embed_video


def test_scan_of_a_leaked_copy_reports_its_recipient(tmp_path, sample_media):
    settings = Settings(home=tmp_path / "home", watermark=WatermarkSettings(key=SecretStr("k3y")))
    marked = tmp_path / "for_partner_42.mp4"
    embed_video(sample_media["ep1"], marked, WatermarkPayload(recipient=42, episode=1),
                watermark_key(settings), params=watermark_params(settings))
    leaked = samples.pirate_copy(marked, tmp_path / "leak.mp4", crf=23)
    with Services.open(settings) as services:
        services.register_files([sample_media["ep1"]], work="W")
        report = services.scan_file(leaked)
        clean = services.scan_file(sample_media["flip"])
    assert report.matches and report.watermark is not None
    assert (report.watermark.recipient, report.watermark.episode) == (42, 1)
    assert report.as_json()["watermark"]["recipient"] == 42
    assert clean.matches and clean.watermark is None  # an unmarked copy names nobody
