"""Registration and scanning with fingerprinting on a local Ray cluster give the same answers."""
from __future__ import annotations

import importlib.util
import os

import pytest


@pytest.fixture(scope="module")
def ray_cluster():
    if importlib.util.find_spec("ray") is None:
        if os.environ.get("DRAMAGUARD_REQUIRE_RAY") == "1":
            pytest.fail("ray is not installed but DRAMAGUARD_REQUIRE_RAY=1")
        pytest.skip("ray is not installed (pip install 'dramaguard[ray]')")
    import ray

    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


def test_register_and_scan_on_ray(ray_cluster, sample_media, tmp_path):
    from dramaguard.services import Services
    from dramaguard.settings import Settings

    settings = Settings(home=tmp_path / "home", ray={"address": "auto"})
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypmp42 not really a video")
    with Services.open(settings) as services:
        results = services.register_files([sample_media["ep1"], broken, sample_media["ep2"]], work="ray")
        assert [r.error is None for r in results] == [True, False, True]
        assert "broken.mp4" in results[1].error
        reports = list(services.scan_files([sample_media["flip"], sample_media["innocent"], broken]))
    assert [m.episode for m in reports[0].matches][:1] == [1] and reports[0].matches[0].flipped
    assert not [m for m in reports[1].matches if m.score >= settings.matcher.notify_score]
    assert reports[2].error and "broken.mp4" in reports[2].error
