"""The service gives the same answers whichever index backend the settings choose."""
from __future__ import annotations

import importlib.util
import logging
import os

import pytest

from indexing.catalogue import Services
from dramaguard.settings import Settings
from matcher.match import MatchParams


def _index_settings(backend: str) -> dict:
    if backend == "milvus":
        if importlib.util.find_spec("milvus_lite") is None:
            if os.environ.get("DRAMAGUARD_REQUIRE_MILVUS") == "1":
                pytest.fail("milvus-lite is not installed but DRAMAGUARD_REQUIRE_MILVUS=1")
            pytest.skip("milvus-lite is not installed (pip install 'dramaguard[milvus]')")
    # a tiny train_size makes the IVF index train on the first episode: the approximate path runs
    return {"backend": backend, "nlist": 4, "nprobe": 4, "train_size": 20}


@pytest.fixture
def quiet_lite_server():
    """milvus-lite's in-process server logs an unimplemented AllocTimestamp at ERROR after
    create_index (the client falls back); only that server logger is quietened, then restored."""
    server = logging.getLogger("grpc._server")
    previous = server.level
    server.setLevel(logging.CRITICAL)
    yield
    server.setLevel(previous)


@pytest.mark.parametrize("backend", ["faiss-flat", "faiss-ivf", "milvus"])
def test_register_scan_and_reopen(backend, sample_media, tmp_path, quiet_lite_server):
    settings = Settings(home=tmp_path / "home", index=_index_settings(backend))
    with Services.open(settings) as services:
        results = services.register_files([sample_media["ep1"], sample_media["ep2"]], work="w")
        assert all(r.error is None for r in results)
        assert services.index.episode_ids() == {r.episode_id for r in results}
        if backend == "faiss-ivf":
            assert services.index.trained
        first = services.scan_file(sample_media["compilation"])
    assert {m.episode for m in first.matches if m.score >= settings.matcher.notify_score} == {1, 2}
    with Services.open(settings) as again:  # reopened from what the backend persisted
        assert again.reconcile() == (0, 0)
        flipped = again.scan_file(sample_media["flip"])
    assert flipped.matches and flipped.matches[0].episode == 1 and flipped.matches[0].flipped


def test_scans_search_part_of_the_frames_and_verify_against_the_stored_originals(sample_media, tmp_path):
    settings = Settings(home=tmp_path / "home", matcher={"search_every": 2, "verify_from": 0.3,
                                                         "verify_per_minute": 2.5, "verify_at_least": 3})
    with Services.open(settings) as services:
        [registered] = services.register_files([sample_media["ep1"]], work="w")
        params = services.matcher.params
        assert (params.search_every, params.verify_from, params.verify_per_minute, params.verify_at_least) == (
            2, 0.3, 2.5, 3)
        originals = services.reference_vectors([registered.episode_id])
        times, vectors = originals[registered.episode_id]
        assert len(times) == len(vectors) == services.index.size  # what the database keeps is what was indexed
        asked: list[set[int]] = []
        real = services.matcher.references

        def recording(ids):
            asked.append(set(ids))
            return real(ids)

        services.matcher.references = recording
        report = services.scan_file(sample_media["flip"])
    assert report.matches and report.matches[0].episode == 1 and report.matches[0].flipped
    assert asked == [{registered.episode_id}]  # the copy was verified on every frame


def test_the_matcher_settings_default_to_the_matchers_own_defaults():
    """One source of truth for the decision's defaults: a settings field defined twice once reset
    ``search_every`` to 1 behind the matcher's back (ruff's PIE794 now refuses that too)."""
    defaults, settings = MatchParams(), Settings().matcher
    fields = ("neighbours", "search_every", "verify_from", "verify_per_minute", "verify_at_least")
    assert [getattr(settings, f) for f in fields] == [getattr(defaults, f) for f in fields]
