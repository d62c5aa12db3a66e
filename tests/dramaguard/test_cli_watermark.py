"""`dramaguard watermark embed|detect` through Typer, on real video files, and the scan hook."""
from __future__ import annotations

import logging
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from dramaguard.cli.watermark import register
from dramaguard.settings import Settings, WatermarkSettings
from indexing.watermarking import find_watermark
from tests.fingerprint.synthetic import transcode, write_textured_video

SECRET = "cli-test-secret-key"


def make_app(settings: Settings) -> typer.Typer:
    """A stand-in for dramaguard.cli's app: its callback puts the settings in ctx.obj."""
    app = typer.Typer()

    @app.callback()
    def main(ctx: typer.Context) -> None:
        ctx.obj = settings

    register(app)
    return app


@pytest.fixture(scope="module")
def marked(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("cli-wm")
    original = write_textured_video(folder / "ep.mp4", width=480, height=272, frames=48, seed=3)
    settings = Settings(home=folder, watermark=WatermarkSettings(key=SECRET))
    out = folder / "for-partner-77.mp4"
    result = CliRunner().invoke(
        make_app(settings),
        ["watermark", "embed", "--recipient", "77", "--episode-id", "1234", str(original), str(out)],
    )
    assert result.exit_code == 0, result.output
    return {"original": original, "marked": out, "folder": folder, "output": result.output}


def test_embed_reports_transparency_and_never_prints_the_key(marked: dict, caplog) -> None:
    assert marked["marked"].stat().st_size > 0
    assert "PSNR" in marked["output"] and "SSIM" in marked["output"]
    assert SECRET not in marked["output"]
    assert all(SECRET not in record.getMessage() for record in caplog.records)


def test_detect_prints_recipient_and_episode(marked: dict) -> None:
    settings = Settings(home=marked["folder"], watermark=WatermarkSettings(key=SECRET))
    copy = transcode(marked["marked"], marked["folder"] / "copy.mp4", crf=23)
    result = CliRunner().invoke(make_app(settings), ["watermark", "detect", str(copy)])
    assert result.exit_code == 0, result.output
    assert "recipient 77 episode 1234" in result.output


def test_detect_unmarked_says_no_watermark(marked: dict) -> None:
    settings = Settings(home=marked["folder"], watermark=WatermarkSettings(key=SECRET))
    result = CliRunner().invoke(make_app(settings), ["watermark", "detect", str(marked["original"])])
    assert result.exit_code == 1
    assert "no watermark" in result.output


def test_missing_key_and_bad_file_are_clear_errors(marked: dict, tmp_path: Path) -> None:
    keyless = make_app(Settings(home=tmp_path))
    result = CliRunner().invoke(keyless, ["watermark", "detect", str(marked["marked"])])
    assert result.exit_code == 2 and "no watermark key configured" in result.output
    keyed = make_app(Settings(home=tmp_path, watermark=WatermarkSettings(key=SECRET)))
    result = CliRunner().invoke(keyed, ["watermark", "detect", str(tmp_path / "nope.mp4")])
    assert result.exit_code == 2 and "no such file" in result.output
    result = CliRunner().invoke(
        keyed, ["watermark", "embed", "--recipient", str(2**32), str(marked["original"]),
                str(tmp_path / "x.mp4")])
    assert result.exit_code != 0 and not (tmp_path / "x.mp4").exists()


def test_scan_hook_finds_mark_and_tolerates_bad_input(marked: dict, tmp_path: Path, caplog) -> None:
    settings = Settings(home=tmp_path, watermark=WatermarkSettings(key=SECRET))
    found = find_watermark(settings, marked["marked"], start_s=0.0, end_s=1.5)
    assert found is not None
    assert (found.payload.recipient, found.payload.episode) == (77, 1234)
    assert find_watermark(Settings(home=tmp_path), marked["marked"]) is None  # no key: skip
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00" * 1000)
    with caplog.at_level(logging.WARNING):
        assert find_watermark(settings, junk) is None
    assert any("junk.mp4" in r.getMessage() for r in caplog.records)


def test_key_comes_from_the_environment_as_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRAMAGUARD_WATERMARK__KEY", SECRET)
    settings = Settings()
    assert settings.watermark.key is not None
    assert settings.watermark.key.get_secret_value() == SECRET
    assert SECRET not in repr(settings)
