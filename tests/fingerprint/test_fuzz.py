"""Hostile media: mutated real clips never crash the decode path with anything but DecodeError.

Mutations of a real benchmark clip (or a generated one where the benchmark is absent) are made
by hypothesis: flipped bytes, zeroed runs, truncation, duplicated chunks. benchmarks/fuzz_decode.py
runs the same mutations by the thousand in isolated processes and reports the counts.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from fingerprint import DecodeError, VideoFingerprint, fingerprint_video
from fingerprint.media import DecodeLimits
from fingerprint.mutate import Mutation, apply_mutations

LIMITS = DecodeLimits(max_decode_s=20)

mutations = st.lists(
    st.builds(
        Mutation,
        kind=st.sampled_from(["flip", "zero", "truncate", "duplicate"]),
        position=st.floats(0, 1),
        length=st.integers(1, 4096),
        value=st.integers(1, 255),
    ),
    min_size=1,
    max_size=4,
)


@pytest.fixture(scope="module")
def seed_clip(sample_media) -> Path:
    return Path(sample_media["innocent"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(chain=mutations)
def test_mutated_clip_gives_a_fingerprint_or_a_decode_error(seed_clip, tmp_path_factory, chain):
    path = tmp_path_factory.mktemp("fuzz") / "mutant.mp4"
    path.write_bytes(apply_mutations(seed_clip.read_bytes(), chain))
    try:
        result = fingerprint_video(path, limits=LIMITS)
    except DecodeError as exc:
        assert str(path) in str(exc)
    else:
        assert isinstance(result, VideoFingerprint)
        assert result.vectors.shape[0] == result.times_ms.shape[0]


def test_mutations_are_deterministic_and_change_the_bytes():
    data = bytes(range(256)) * 8
    chain = [Mutation("flip", 0.5, 10, 7), Mutation("truncate", 0.9, 1, 1)]
    once, twice = apply_mutations(data, chain), apply_mutations(data, chain)
    assert once == twice and once != data and len(once) < len(data)
