"""The fast decode (issue 24: skip frames nothing references, one thread, nearest decoded frame
per grid point, luma plane scaled by OpenCV) against the full decode it replaced, on a real
bench clip whose P-frames do reference B-frames (so skipping every B-frame would be wrong)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import fingerprint.media as media
from fingerprint import FingerprintParams, descriptor, fingerprint_video
from fingerprint.decoding import Grid
from fingerprint.grid import GridPicker
from fingerprint.media import DecodeLimits, frames_at, sample_frames
from indexing.fingerprinting import _fingerprint_job
from storage import references

CLIP = "refs/bikes.mp4"  # 10 s, 25 frames/s, x264 with B-pyramid and several references
STEP = 250


@pytest.fixture(scope="module")
def clip(bench_dir: Path) -> Path:
    return bench_dir / CLIP


@pytest.fixture(scope="module")
def both(clip: Path):
    full = sample_frames(clip, interval_ms=STEP, max_side=256, decode="full")
    fast = sample_frames(clip, interval_ms=STEP, max_side=256, decode="fast")
    return full, fast


def test_fast_decode_samples_the_same_grid_points(both):
    full, fast = both
    assert [round(f.time_ms / STEP) for f in fast] == [round(f.time_ms / STEP) for f in full]
    assert all(0 <= f.time_ms - round(f.time_ms / STEP) * STEP < 40 for f in full)  # first at/after
    assert all(abs(f.time_ms - round(f.time_ms / STEP) * STEP) <= STEP / 2 for f in fast)  # nearest


def test_fast_decode_pictures_are_the_full_decodes_pictures(both):
    """Where both kept the same frame its picture is the same (bar the scaler), so no skipped
    frame was needed by a kept one; elsewhere the frame is a neighbour of the full decode's."""
    full, fast = both
    same = [(a, b) for a, b in zip(full, fast) if a.time_ms == b.time_ms]
    assert len(same) >= len(full) // 3
    for a, b in same:
        assert a.grey.shape == b.grey.shape
        assert np.abs(a.grey.astype(int) - b.grey).mean() < 2.0  # swscale vs OpenCV area filter
        assert float(descriptor.describe(a.grey) @ descriptor.describe(b.grey)) > 0.999
    similarity = [float(descriptor.describe(a.grey) @ descriptor.describe(b.grey)) for a, b in zip(full, fast)]
    assert np.median(similarity) > 0.95


def test_fast_decode_decodes_fewer_frames(clip, monkeypatch):
    decoded: dict[str, int] = {}
    reader = media._Reader

    class Counting(reader):
        def __iter__(self):
            for frame in super().__iter__():
                decoded[mode] = decoded.get(mode, 0) + (frame is not None)
                yield frame

    monkeypatch.setattr(media, "_Reader", Counting)
    for mode in ("full", "fast"):
        sample_frames(clip, interval_ms=STEP, max_side=256, decode=mode)
    assert decoded["fast"] < 0.8 * decoded["full"], decoded


def test_fingerprints_of_both_modes_agree(clip):
    full = fingerprint_video(clip, FingerprintParams(decode="full"))
    fast = fingerprint_video(clip, FingerprintParams(decode="fast"))
    assert fast.content == full.content and fast.window == full.window
    assert fast.duration_ms == full.duration_ms and fast.params == full.params
    assert abs(len(fast) - len(full)) <= 2
    nearest = [float(np.max(full.vectors[np.abs(full.times_ms - t) <= STEP / 2] @ v)) for t, v in
               zip(fast.times_ms, fast.vectors)]
    assert np.median(nearest) > 0.95


def test_registration_takes_the_evidence_keyframes_from_the_same_decode(clip, monkeypatch):
    opened = []
    real_open = media.open_video
    monkeypatch.setattr(media, "open_video", lambda *a, **k: opened.append(a[0]) or real_open(*a, **k))
    prints = _fingerprint_job(str(clip), FingerprintParams(), DecodeLimits(), keyframes=True)
    assert len(opened) == 1  # the picture's fingerprint and the keyframes: one decode
    alone = sample_frames(clip, interval_ms=references.INTERVAL_MS, max_side=references.MAX_SIDE, colour=True,
                          decode=FingerprintParams().decode)
    # one a second, and the stream's last frame (the end of a copy of the episode's end)
    *seconds, last = [t for t, _ in prints.keyframes]
    assert seconds == [f.time_ms for f in alone]
    assert last > seconds[-1] + references.INTERVAL_MS / 4 and last >= prints.video.times_ms[-1]
    for (_, image), frame in zip(prints.keyframes, alone):
        assert image.ndim == 3 and np.array_equal(image, frame.rgb)
    reference = fingerprint_video(clip, reference=True)
    assert np.array_equal(prints.video.times_ms, reference.times_ms)
    assert np.array_equal(prints.video.vectors, reference.vectors)


def test_either_decode_is_selectable(monkeypatch, tmp_path):
    from dramaguard.settings import Settings

    monkeypatch.setenv("DRAMAGUARD_FINGERPRINT__DECODE", "full")
    assert Settings(home=tmp_path).fingerprint.decode == "full"  # the old path, for comparisons
    monkeypatch.delenv("DRAMAGUARD_FINGERPRINT__DECODE")
    assert Settings(home=tmp_path).fingerprint.decode == "fast"  # claims absorb a frame's jitter
    with pytest.raises(ValueError):
        media.PyAVSource().sample_grids(tmp_path, [Grid(STEP, 64)], limits=DecodeLimits(), decode="quick")


def test_keyframes_by_seeking_are_the_frames_a_whole_decode_finds(clip):
    targets = [1000, 5130, 9000]
    found = frames_at(clip, targets, max_side=480)
    every = sample_frames(clip, interval_ms=1, max_side=480, colour=True, decode="full")  # every frame
    by_time = {f.time_ms: f for f in every}
    for target in targets:
        frame = found[target]
        assert abs(frame.time_ms - target) <= 40  # one frame at 25 frames/s
        assert frame.rgb is not None and frame.rgb.shape == by_time[frame.time_ms].rgb.shape
        assert np.abs(frame.rgb.astype(int) - by_time[frame.time_ms].rgb).mean() < 1.0


def test_grid_picker_keeps_the_nearest_frame_once_per_grid_point():
    def kept(times, end_ms):
        picker = GridPicker(Grid(250, 64), nearest=True)
        out = [k for t in times for k, _ in picker.offer(t, t)]
        return out + [k for k, _ in picker.finish(end_ms)]

    # 180 is nearer 250 than 330 is; a gap from 667 to 1400 ms skips grid points 1250 and 1000's
    # nearest is the first after it, as the full decode would keep
    times = (0, 180, 330, 500, 667, 1400, 1500, 1700)
    assert kept(times, end_ms=1760) == [0, 180, 500, 667, 1400, 1500, 1700]  # a skipped frame at 1760
    assert kept(times, end_ms=1720) == [0, 180, 500, 667, 1400, 1500]  # the stream ends before 1750
    first = GridPicker(Grid(250, 64), nearest=False)
    assert [k for t in (0, 167, 333, 500, 667) for k, _ in first.offer(t, t)] == [0, 333, 500]


def test_grid_picker_keeps_the_last_frame_when_asked():
    def kept(times, last):
        picker = GridPicker(Grid(1000, 64, last=last), nearest=True)
        out = [k for t in times for k, _ in picker.offer(t, t)]
        return out + [k for k, _ in picker.finish(times[-1])]

    assert kept((0, 500, 1000, 1500, 1960), last=True) == [0, 1000, 1960]
    assert kept((0, 500, 1000, 1500, 1960), last=False) == [0, 1000]
    assert kept((0, 500, 1000, 1200), last=True) == [0, 1000]  # a fifth of a step on: nothing new


def test_truncated_file_fails_or_decodes_alike_in_both_modes(clip, tmp_path):
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(clip.read_bytes()[: clip.stat().st_size * 6 // 10])
    outcome = {}
    for mode in ("full", "fast"):
        try:
            frames = sample_frames(cut, interval_ms=STEP, max_side=128, decode=mode)
            outcome[mode] = len(frames)
        except media.DecodeError as exc:
            outcome[mode] = exc.reason
    assert type(outcome["full"]) is type(outcome["fast"])
    if isinstance(outcome["full"], int):
        assert abs(outcome["full"] - outcome["fast"]) <= 1
