"""The FAISS wrapper: id mapping, removal, atomic persistence."""
from __future__ import annotations

import numpy as np
import pytest

from matcher.index import FaissFrameIndex, IndexError_


def _unit(n: int, dim: int, seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_search_maps_back_to_episode_and_time(tmp_path):
    index = FaissFrameIndex(tmp_path, 16)
    a, b = _unit(10, 16, 1), _unit(10, 16, 2)
    index.add(7, np.arange(10) * 250, a)
    index.add(9, np.arange(10) * 500, b)
    found = index.search(b[3:4], 1)
    assert found.episode_ids[0, 0] == 9 and found.times_ms[0, 0] == 1500
    assert found.similarities[0, 0] == pytest.approx(1.0, abs=1e-5)
    assert index.episode_ids() == {7, 9}


def test_remove_and_reload(tmp_path):
    index = FaissFrameIndex(tmp_path, 16)
    index.add(1, np.arange(5) * 250, _unit(5, 16, 1))
    index.add(2, np.arange(5) * 250, _unit(5, 16, 2))
    assert index.remove(1) == 5
    index.save()
    again = FaissFrameIndex(tmp_path, 16)
    assert again.episode_ids() == {2} and again.size == 5
    assert not (tmp_path / "frames.tmp").exists()
    assert again.is_stale({1, 2}) and not again.is_stale({2})


def test_adding_an_episode_again_replaces_it(tmp_path):
    index = FaissFrameIndex(tmp_path, 16)
    index.add(3, np.arange(5) * 250, _unit(5, 16, 1))
    index.add(3, np.arange(4) * 250, _unit(4, 16, 2))
    assert index.size == 4


def test_unreadable_or_mismatched_index_is_reported(tmp_path):
    index = FaissFrameIndex(tmp_path, 16)
    index.add(1, np.arange(2) * 250, _unit(2, 16, 1))
    index.save()
    with pytest.raises(IndexError_, match="dimension 16"):
        FaissFrameIndex(tmp_path, 32)
    (tmp_path / "frames.faiss").write_bytes(b"garbage")
    with pytest.raises(IndexError_, match="cannot read index"):
        FaissFrameIndex(tmp_path, 16)


def test_wrong_shapes_are_refused(tmp_path):
    index = FaissFrameIndex(None, 16)
    with pytest.raises(ValueError):
        index.add(1, np.arange(3), _unit(3, 8, 1))
    with pytest.raises(ValueError):
        index.add(1, np.arange(2), _unit(3, 16, 1))
