"""Decoding on a millisecond grid with the real decoder, and clear errors for bad files."""
from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from fingerprint import DecodeError, fingerprint_video
from fingerprint.media import DecodeLimits, OpenCVSource, PyAVSource, sample_frames


@pytest.mark.parametrize("decode", ["full", "fast"])
def test_frames_follow_the_millisecond_grid(sample_media, decode):
    frames = sample_frames(sample_media["ep1"], interval_ms=250, max_side=128, decode=decode)
    times = [f.time_ms for f in frames]
    assert times[0] == 0
    assert 22 <= len(times) <= 25  # 6 s at 4 samples per second
    steps = np.diff(times)
    if decode == "full":  # the first frame at or after each grid point: one 24 fps frame of slack
        assert steps.min() >= 250 and steps.max() <= 250 + 42
    else:  # the nearest decoded frame (B-frames nothing references are not decoded)
        assert np.abs(np.array(times) - np.round(np.array(times) / 250) * 250).max() <= 125
        assert len(set(np.round(np.array(times) / 250))) == len(times)
    assert max(frames[0].grey.shape) == 128


@pytest.mark.parametrize("source", [PyAVSource(), OpenCVSource()], ids=lambda s: s.name)
def test_colour_sampling_keeps_the_picture_in_colour_beside_the_grey(sample_media, source):
    """Evidence keyframes are shown in colour; the fingerprint still reads the grey frame."""
    kwargs = dict(interval_ms=1000, max_side=96, limits=DecodeLimits())
    grey_only = list(source.sample(sample_media["ep1"], **kwargs))
    frames = list(source.sample(sample_media["ep1"], colour=True, **kwargs))
    assert all(f.rgb is None for f in grey_only)
    frame = frames[1]
    assert frame.rgb.shape == (*frame.grey.shape, 3) and frame.rgb.dtype == np.uint8
    spread = frame.rgb.astype(int).max(axis=2) - frame.rgb.astype(int).min(axis=2)
    assert spread.mean() > 10  # really colour, not three equal channels
    luma = frame.rgb.astype(float) @ np.array([0.299, 0.587, 0.114])
    assert np.abs(luma - frame.grey).mean() < 12
    assert np.array_equal(frame.grey, grey_only[1].grey)


def test_opencv_backend_samples_the_same_grid(sample_media):
    kwargs = dict(interval_ms=500, max_side=64, limits=DecodeLimits())
    pyav = [f.time_ms for f in PyAVSource().sample(sample_media["ep1"], **kwargs)]
    cv = [f.time_ms for f in OpenCVSource().sample(sample_media["ep1"], **kwargs)]
    assert len(pyav) == len(cv) and np.abs(np.array(pyav) - np.array(cv)).max() <= 42


def _audio_only(path: Path) -> Path:
    with av.open(str(path), "w") as container:
        stream = container.add_stream("aac", rate=44100)
        samples = (np.sin(np.arange(44100) / 10) * 0.3).astype(np.float32).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
        frame.sample_rate = 44100
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def bad_files(tmp: Path, sample: Path) -> dict[str, tuple[Path, str]]:
    (tmp / "empty.mp4").write_bytes(b"")
    (tmp / "notes.mp4").write_text("this is not a video\n" * 50)
    (tmp / "truncated.mp4").write_bytes(sample.read_bytes()[:1500])
    corrupt = bytearray(sample.read_bytes())
    corrupt[: len(corrupt) // 2] = bytes(len(corrupt) // 2)
    (tmp / "corrupt.mp4").write_bytes(bytes(corrupt))
    return {
        "missing": (tmp / "missing.mp4", "no such file"),
        "empty": (tmp / "empty.mp4", "empty file"),
        "text": (tmp / "notes.mp4", "not a readable media file"),
        "truncated": (tmp / "truncated.mp4", "truncated"),
        "corrupt": (tmp / "corrupt.mp4", "not a readable media file"),
        "audio": (_audio_only(tmp / "sound.m4a"), "audio-only"),
        "directory": (tmp, "not a regular file"),
    }


@pytest.mark.parametrize("kind", ["missing", "empty", "text", "truncated", "corrupt", "audio", "directory"])
def test_bad_input_raises_a_clear_error_naming_the_file(tmp_path, sample_media, kind):
    path, reason = bad_files(tmp_path, sample_media["ep1"])[kind]
    with pytest.raises(DecodeError) as info:
        fingerprint_video(path)
    assert str(path) in str(info.value)
    assert reason in str(info.value)


def test_resolution_and_size_limits_refuse_before_decoding(sample_media):
    with pytest.raises(DecodeError, match="absurd resolution 360x640"):
        fingerprint_video(sample_media["ep1"], limits=DecodeLimits(max_pixels=1000))
    with pytest.raises(DecodeError, match="file too large"):
        fingerprint_video(sample_media["ep1"], limits=DecodeLimits(max_file_bytes=100))


def test_black_frames_are_skipped(tmp_path):
    from monitor import samples

    def frames():
        yield from (np.zeros((320, 180, 3), np.uint8) for _ in range(48))
        yield from samples.episode_frames(5, 2, size=(180, 320))

    path = samples.write_video(tmp_path / "fade.mp4", frames())
    fp = fingerprint_video(path)
    assert len(fp) > 0
    assert fp.times_ms.min() >= 2000  # the two black seconds give no descriptors
