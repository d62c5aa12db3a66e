"""Forensic watermark: payload coding, embedding transparency, detection through pirate edits."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from fingerprint.watermark import (
    WatermarkError,
    WatermarkPayload,
    detect_video,
    embed_video,
)
from fingerprint.watermark.pattern import Pattern, WatermarkParams, key_tag
from fingerprint.watermark.payload import CODE_BITS, decode_bits, encode_bits
from fingerprint.watermark.quality import mse, psnr_db
from fingerprint.watermark.video import iter_luma
from tests.fingerprint.synthetic import hflip, transcode, write_textured_video

KEY = b"test-watermark-key"
PAYLOAD = WatermarkPayload(recipient=3_000_000_017, episode=4242)
FRAMES = 120


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("wm")
    # 5 s (an episode is 60-180 s): at 3 s a mirrored crf-23 copy read 4 raw bit errors, the edge of what
    # Reed-Solomon repairs, and CI's machine (other SIMD, other rounding) read one more; at 5 s it reads 2
    original = write_textured_video(folder / "original.mp4", width=480, height=272, frames=FRAMES)
    marked = folder / "marked.mp4"
    report = embed_video(original, marked, PAYLOAD, KEY)
    return {"original": original, "marked": marked, "folder": folder, "report": report}


def test_payload_survives_bit_errors_and_rejects_noise() -> None:
    tag = key_tag(KEY)
    bits = encode_bits(PAYLOAD, tag)
    assert bits.size == CODE_BITS
    soft = bits * 2.0 - 1.0
    soft[[3, 40, 41, 90, 150]] *= -1  # five raw bit errors in four bytes
    decoded = decode_bits(soft, tag)
    assert decoded is not None and decoded.payload == PAYLOAD
    assert decoded.corrected_bits == 5
    assert decode_bits(bits * 2.0 - 1.0, key_tag(b"another key")) is None
    rng = np.random.default_rng(1)
    assert all(decode_bits(rng.normal(size=CODE_BITS), tag) is None for _ in range(200))


def test_payload_ids_must_fit_32_bits() -> None:
    with pytest.raises(ValueError, match="recipient"):
        WatermarkPayload(2**32, 1)


def test_pattern_reads_back_its_own_bits() -> None:
    pattern = Pattern(KEY, WatermarkParams())
    bits = encode_bits(PAYLOAD, key_tag(KEY))
    soft = pattern.soft_bits(pattern.mark(bits))
    assert np.array_equal(soft > 0, bits.astype(bool))


def test_embedding_is_transparent(clips: dict) -> None:
    report = clips["report"]
    assert report.frames == FRAMES
    assert report.psnr_db >= 40.0, report
    assert report.ssim >= 0.95, report
    # the figure is measured, not assumed: recompute it from the two files
    errors = [mse(a, b) for a, b in zip(iter_luma(clips["original"]), iter_luma(clips["marked"]))]
    assert psnr_db(float(np.mean(errors))) == pytest.approx(report.psnr_db, abs=1e-6)
    assert report.embed_psnr_db > report.psnr_db  # the re-encode adds its own loss


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param({"crf": 23}, id="reencode-crf23"),
        pytest.param({"scale": 0.5, "crf": 18}, id="scale-0.5"),
        pytest.param({"op": hflip}, id="hflip"),
    ],
)
def test_detects_recipient_after_pirate_edit(clips: dict, edit: dict) -> None:
    copy = transcode(clips["marked"], clips["folder"] / "copy.mp4", **edit)
    found = detect_video(copy, KEY)
    assert found is not None
    assert found.payload == PAYLOAD
    assert found.placement.flipped == ("op" in edit)
    assert 0.5 < found.confidence <= 1.0


def test_unmarked_video_and_wrong_key_detect_nothing(clips: dict) -> None:
    assert detect_video(clips["original"], KEY) is None
    assert detect_video(clips["marked"], b"not the key") is None


def test_real_clip_from_bench(bench_dir: Path, tmp_path: Path) -> None:
    reference = bench_dir / "refs" / "bikes.mp4"
    marked = tmp_path / "bikes-marked.mp4"
    report = embed_video(reference, marked, PAYLOAD, KEY)
    assert report.psnr_db >= 40.0, report
    copy = transcode(marked, tmp_path / "bikes-copy.mp4", crf=23, scale=0.5)
    found = detect_video(copy, KEY)
    assert found is not None and found.payload == PAYLOAD
    assert detect_video(reference, KEY) is None


def test_bad_input_is_a_clear_error_and_writes_nothing(tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video at all" * 100)
    out = tmp_path / "out.mp4"
    with pytest.raises(WatermarkError, match="junk.mp4"):
        embed_video(junk, out, PAYLOAD, KEY)
    assert not out.exists() and list(tmp_path.iterdir()) == [junk]
    with pytest.raises(WatermarkError, match="no such file"):
        detect_video(tmp_path / "missing.mp4", KEY)


def test_time_range_limits_the_frames_read(clips: dict, tmp_path: Path) -> None:
    marked = shutil.copy(clips["marked"], tmp_path / "m.mp4")
    found = detect_video(Path(marked), KEY, start_s=0.5, end_s=2.5)
    assert found is not None and found.payload == PAYLOAD
    assert 40 <= found.frames <= 50  # 2 s at 24 fps
