"""Landmark pairing (array code) against its definition written as the plain loop it replaced."""
from __future__ import annotations

import numpy as np
import pytest

from fingerprint.audio import AudioParams, landmarks, peaks, spectrogram


def paired_by_loop(t, f, params: AudioParams):
    """Each peak with the next ``fan_out`` peaks 1..max_dt frames later within max_df bins."""
    out = []
    for i in range(len(t)):
        paired = 0
        for j in range(i + 1, len(t)):
            dt, df = int(t[j] - t[i]), int(f[j] - f[i])
            if dt > params.max_dt or paired >= params.fan_out:
                break
            if dt < 1 or abs(df) > params.max_df:
                continue
            out.append((((int(f[i]) >> 2) << 16) | (((df + 128) >> 2) << 8) | dt, int(t[i]), int(t[j])))
            paired += 1
    return out


@pytest.mark.parametrize("params", [AudioParams(), AudioParams(fan_out=2, max_dt=10, max_df=20),
                                    AudioParams(fan_out=40, max_dt=200)])
@pytest.mark.parametrize("seed", range(4))
def test_landmarks_are_the_pairs_the_definition_gives(params, seed):
    rng = np.random.default_rng(seed)
    x = np.arange(int(rng.integers(2, 20)) * 8000) / 8000
    tone = np.sin(2 * np.pi * (300 + 200 * np.sin(x * rng.random())) * x) * (rng.random(len(x)) > 0.3)
    t, f = peaks(spectrogram((tone + rng.random() * rng.standard_normal(len(x))).astype(np.float32)), params)
    hashes, anchors, targets = landmarks(t, f, params)
    assert len(hashes) > 10
    assert list(zip(hashes.tolist(), anchors.tolist(), targets.tolist())) == paired_by_loop(t, f, params)


def test_too_few_peaks_pair_nothing():
    for n in range(3):
        t = np.arange(n, dtype=np.int64) * 100  # 100 frames apart: out of reach
        assert all(len(a) == 0 for a in landmarks(t, t, AudioParams()))
