"""The crop grid is described once per episode: at registration, stored beside its keyframes,
read back by scans, described again only when the stored copy is missing or damaged, and only
new episodes are read when the catalogue grows."""
from __future__ import annotations

import numpy as np
import pytest

from dramaguard.settings import Settings
from indexing.catalogue import Services
from matcher.crop_candidates import GRID_VERSION, describe_grid
from storage import references

pytestmark = pytest.mark.bench


@pytest.fixture()
def services(bench_dir, tmp_path):
    with Services.open(Settings(home=tmp_path / "home")) as services:
        [result] = services.register_files([bench_dir / "refs" / "carphone_pristine.mp4"], work="w")
        assert result.error is None
        yield services


def _stored(services, episode_id):
    return references.load_derived(services.settings.home, episode_id, GRID_VERSION)


def test_registration_stores_the_grid_that_scans_read(services):
    """Described in the pool job from the frames about to be stored: the same grid as the
    stored keyframes read back give."""
    [episode_id] = services._catalogue
    stored = _stored(services, episode_id)
    assert stored is not None
    described = describe_grid(references.load_keyframes(services.settings.home, episode_id))
    for key, expected in zip(("times", "boxes", "vectors"), described):
        assert np.array_equal(stored[key], expected)
    assert len(stored["times"]) > 0


def test_a_damaged_grid_is_described_again_and_replaced(services):
    [episode_id] = services._catalogue
    good = _stored(services, episode_id)
    path = references.root(services.settings.home) / str(episode_id) / f"{GRID_VERSION}.npz"
    path.write_bytes(b"not an npz")  # a disk error, a crash mid-copy
    grid = services.crop_grid(episode_id)
    assert np.array_equal(grid[2], good["vectors"])
    assert np.array_equal(_stored(services, episode_id)["vectors"], good["vectors"])


def test_a_growing_catalogue_reads_only_its_new_episodes(services, bench_dir, tmp_path, monkeypatch):
    from benchmarks.edits import Piece, box_crop, write
    from fingerprint import fingerprint_video

    copy = tmp_path / "crop.mp4"
    write(copy, [Piece(bench_dir / "refs" / "bikes.mp4")], size=(320, 240), edit=box_crop(0.1, 0.2, 0.8, 0.9))
    fp = fingerprint_video(copy)
    read = []
    real = services.crop_grid
    monkeypatch.setattr(services, "crop_grid", lambda e: read.append(e) or real(e))
    assert services._crop_candidates(fp, exclude=set()) is not None
    assert read == list(services._catalogue)
    [result] = services.register_files([bench_dir / "refs" / "bikes.mp4"], work="w2")
    assert _stored(services, result.episode_id) is not None  # described in the registration's job
    read.clear()
    candidates = services._crop_candidates(fp, exclude=set())
    assert read == [result.episode_id]  # the index rebuilt: only the new episode read (stored)
    assert candidates and candidates[0].episode_id == result.episode_id
