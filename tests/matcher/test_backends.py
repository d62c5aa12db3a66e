"""Every FrameIndex backend honours the same contract; settings pick the backend."""
from __future__ import annotations

import importlib.util
import logging
import os

import numpy as np
import pytest

from matcher.backends import BY_NAME, make_index
from matcher.index import FaissFrameIndex, IndexError_
from matcher.ivf_index import FaissIvfFrameIndex

DIM = 24


def _milvus_lite_available() -> str | None:
    """None when milvus-lite can run here, else the reason it cannot."""
    if importlib.util.find_spec("pymilvus") is None or importlib.util.find_spec("milvus_lite") is None:
        return "pymilvus/milvus-lite not installed (pip install 'dramaguard[milvus]')"
    return None


def _skip_milvus() -> None:
    reason = _milvus_lite_available()
    if reason:
        if os.environ.get("DRAMAGUARD_REQUIRE_MILVUS") == "1":
            pytest.fail(reason + " but DRAMAGUARD_REQUIRE_MILVUS=1")
        pytest.skip(reason)
    # milvus-lite 3.2's in-process server does not implement AllocTimestamp, which pymilvus 3
    # calls after create_index; the server logs that at ERROR and the client falls back to its
    # own timestamp. Silence only that server-side logger, not ours or pymilvus's.
    quiet = logging.getLogger("grpc._server")
    previous = quiet.level
    quiet.setLevel(logging.CRITICAL)
    _restore.append(lambda: quiet.setLevel(previous))


_restore: list = []


@pytest.fixture(autouse=True)
def _restore_loggers():
    yield
    while _restore:
        _restore.pop()()


def _unit(n: int, seed: int, dim: int = DIM) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _open(name: str, directory):
    if name == "faiss-flat":
        return FaissFrameIndex(directory, DIM)
    if name == "faiss-ivf":  # trains itself after 400 vectors; the contract holds either side
        return FaissIvfFrameIndex(directory, DIM, factory="IVF{nlist},SQ8", nlist=8, nprobe=8, train_size=400)
    _skip_milvus()
    from matcher.milvus_index import MilvusFrameIndex

    return MilvusFrameIndex(str(directory / "lite.db"), DIM, collection="contract")


@pytest.fixture(params=sorted(BY_NAME))
def backend(request):
    return request.param


def test_search_returns_episode_time_and_similarity(backend, tmp_path):
    index = _open(backend, tmp_path)
    a, b = _unit(300, 1), _unit(300, 2)
    index.add(7, np.arange(300) * 250, a)
    index.add(9, np.arange(300) * 500, b)
    found = index.search(b[[3, 200]], 4)
    assert list(found.episode_ids[:, 0]) == [9, 9]
    assert list(found.times_ms[:, 0]) == [1500, 100_000]
    assert found.similarities[0, 0] == pytest.approx(1.0, abs=0.02)
    assert found.similarities[0, 0] >= found.similarities[0, 1]
    assert index.episode_ids() == {7, 9} and index.size == 600


def test_remove_replace_and_reopen(backend, tmp_path):
    index = _open(backend, tmp_path)
    index.add(1, np.arange(250) * 250, _unit(250, 1))
    index.add(2, np.arange(250) * 250, _unit(250, 2))
    index.add(2, np.arange(200) * 250, _unit(200, 3))  # replaces episode 2
    assert index.size == 450
    assert index.remove(1) == 250
    assert index.remove(1) == 0
    index.save()
    if backend == "milvus":
        index.close()
    again = _open(backend, tmp_path)
    assert again.episode_ids() == {2} and again.size == 200
    assert again.is_stale({1, 2}) and not again.is_stale({2})
    found = again.search(_unit(200, 3)[:1], 1)
    assert found.episode_ids[0, 0] == 2 and found.times_ms[0, 0] == 0


def test_several_descriptors_per_frame_time_are_all_kept(backend, tmp_path):
    """A frame described by several views has one time and several vectors: none may be lost."""
    index = _open(backend, tmp_path)
    views = _unit(60, 4)
    index.add(3, np.repeat(np.arange(30) * 250, 2), views)
    assert index.size == 60
    found = index.search(views[1::2][:5], 1)  # the second view of each frame
    assert list(found.episode_ids[:, 0]) == [3] * 5 and list(found.times_ms[:, 0]) == [0, 250, 500, 750, 1000]
    assert np.allclose(found.similarities[:, 0], 1.0, atol=0.02)


def test_empty_index_and_bad_shapes(backend, tmp_path):
    index = _open(backend, tmp_path)
    assert index.search(_unit(2, 1), 5).episode_ids.shape[0] == 2
    assert not index.is_ready()
    with pytest.raises(ValueError):
        index.add(1, np.arange(3), _unit(3, 1, dim=DIM + 1))
    with pytest.raises(ValueError):
        index.add(1, np.arange(2), _unit(3, 1))


def test_dimension_mismatch_is_reported(backend, tmp_path):
    index = _open(backend, tmp_path)
    index.add(1, np.arange(500) * 250, _unit(500, 1))
    index.save()
    if backend == "milvus":
        from matcher.milvus_index import MilvusFrameIndex

        index.close()
        with pytest.raises(IndexError_, match="dimension"):
            MilvusFrameIndex(str(tmp_path / "lite.db"), DIM * 2, collection="contract")
    else:
        with pytest.raises(IndexError_, match="dimension"):
            type(index)(tmp_path, DIM * 2)


def test_settings_select_the_backend(tmp_path):
    from dramaguard.settings import Settings

    flat = Settings(home=tmp_path)
    assert make_index(flat.index, DIM, tmp_path).name == "faiss-flat"
    ivf = Settings(home=tmp_path, index={"backend": "faiss-ivf", "nlist": 4, "train_size": 50, "cells_per_vector": 3})
    built = make_index(ivf.index, DIM, tmp_path / "ivf")
    assert isinstance(built, FaissIvfFrameIndex) and built.train_size == 50 and built.nlist == 4
    assert built.cells_per_vector == 3
    # the settings' defaults are the backend's own (the measured 50 M configuration)
    by_default = make_index(Settings(home=tmp_path, index={"backend": "faiss-ivf"}).index, DIM, tmp_path / "default")
    plain = FaissIvfFrameIndex(None, DIM)
    assert (by_default.nprobe, by_default.cells_per_vector, by_default.nlist, by_default.factory) == (
        plain.nprobe, plain.cells_per_vector, plain.nlist, plain.factory)
    bad = Settings(home=tmp_path, index={"backend": "faiss-ivf", "factory": "HNSW32"})
    with pytest.raises(IndexError_, match="not an inverted-file"):
        make_index(bad.index, DIM, tmp_path / "bad")


def test_environment_selects_the_backend(tmp_path, monkeypatch):
    from dramaguard.settings import Settings

    monkeypatch.setenv("DRAMAGUARD_INDEX__BACKEND", "faiss-ivf")
    monkeypatch.setenv("DRAMAGUARD_INDEX__NPROBE", "3")
    monkeypatch.setenv("DRAMAGUARD_INDEX__CELLS_PER_VECTOR", "1")
    settings = Settings(home=tmp_path)
    assert settings.index.backend == "faiss-ivf" and settings.index.nprobe == 3
    assert settings.index.cells_per_vector == 1
