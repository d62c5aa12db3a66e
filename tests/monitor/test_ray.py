"""On a local Ray cluster, sampling, fingerprinting and matching give the single-process answers.

The daemon's pipeline runs with ``ray.address`` set (its stages become Ray tasks and an index
actor) against the simulated platform on loopback; every stage's result is compared with the same
stage run in this process. Without the setting, nothing imports ray.
"""
from __future__ import annotations

import asyncio
import importlib.util
import os
import subprocess
import sys

import numpy as np
import pytest
from sqlalchemy import select

from crawler.models import Candidate
from crawler.simulated.server import PlatformSim
from monitor.casework_adapter import NoticesCasework
from monitor.demo import demo_settings
from monitor.pipeline import Pipeline
from indexing.catalogue import Services
from dramaguard.settings import Settings
from monitor.stages import LocalStages
from storage.daemon import QueuedCandidate
from storage.db import transaction


@pytest.fixture(scope="module")
def ray_cluster():
    if importlib.util.find_spec("ray") is None:
        if os.environ.get("DRAMAGUARD_REQUIRE_RAY") == "1":
            pytest.fail("ray is not installed but DRAMAGUARD_REQUIRE_RAY=1")
        pytest.skip("ray is not installed (pip install 'dramaguard[ray]')")
    import ray

    # a loaded 2-core machine can take longer than Ray's default ~20 s to start its GCS server
    os.environ.setdefault("RAY_gcs_server_port_wait_time_s", "120")
    for attempt in (1, 2):  # Ray waits a fixed 30 s for its raylet, which a busy machine can miss
        try:
            ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
            break
        except Exception as exc:
            if attempt == 2 or "timed out during startup" not in str(exc):
                raise
            ray.shutdown()
    yield
    ray.shutdown()


def test_register_and_scan_on_ray(ray_cluster, sample_media, tmp_path):
    settings = Settings(home=tmp_path / "home", ray={"address": "auto"})
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypmp42 not really a video")
    with Services.open(settings) as services:
        results = services.register_files([sample_media["ep1"], broken, sample_media["ep2"]], work="ray")
        assert [r.error is None for r in results] == [True, False, True]
        assert "broken.mp4" in results[1].error
        for result in (results[0], results[2]):  # keyframes are sampled in the Ray task too
            assert list((settings.home / "references" / str(result.episode_id)).glob("*.png"))
        reports = list(services.scan_files([sample_media["flip"], sample_media["innocent"], broken]))
    assert [m.episode for m in reports[0].matches][:1] == [1] and reports[0].matches[0].flipped
    assert not [m for m in reports[1].matches if m.score >= settings.matcher.notify_score]
    assert reports[2].error and "broken.mp4" in reports[2].error


async def _pipeline_on_ray(settings: Settings, uploads: dict) -> tuple[dict, dict]:
    """Run the daemon's pipeline on Ray over the uploads; then each stage here, on the same input."""
    sim = PlatformSim(seed=3)
    url = await sim.start()
    for name, path in uploads.items():
        sim.add_video(path.read_bytes(), title=name, video_id=name)
    settings = demo_settings(settings, platform_url=url)
    services = Services(settings)
    pipeline = Pipeline(services, NoticesCasework)
    local = LocalStages(services)
    try:
        assert type(pipeline.stages).__name__ == "RayStages"
        await pipeline.start()
        assert (await pipeline.discover("simulated"))["queued"] == len(uploads)
        for _ in range(600):
            if pipeline.processed == len(uploads):
                break
            await asyncio.sleep(0.1)
        with transaction(services.sessions) as session:
            rows = {r.video_id: (r.outcome, r.sample_sha256, r.matches, r.sample_path)
                    for r in session.scalars(select(QueuedCandidate))}
        # the same candidates through the single-process stages
        local.start()
        platform = pipeline.platforms["simulated"]
        here, remote = {}, {}
        for video in sim.videos.values():
            candidate = Candidate(platform="simulated", video_id=video.id, url=sim.page_url(video),
                                  title=video.title, media_url=sim.media_url(video))
            sample = await local.sample(platform, candidate, settings.home / "local-samples")
            prints = await local.fingerprint(sample.path)
            report = await local.match(sample.path, prints.video, min_score=settings.matcher.min_score)
            here[video.id] = (sample, prints, report)
            remote[video.id] = await pipeline.stages.fingerprint(sample.path)
        return rows, {"here": here, "ray_prints": remote}
    finally:
        local.shutdown()
        await pipeline.stop(grace_s=5)
        services.close()
        await sim.close()


def test_pipeline_stages_on_ray_equal_the_single_process_results(ray_cluster, sample_media, tmp_path):
    settings = Settings(home=tmp_path / "home", ray={"address": "auto"})
    with Services.open(settings) as services:
        services.register_files([sample_media["ep1"], sample_media["ep2"]], work="ray")
    uploads = {k: sample_media[k] for k in ("flip", "pad_speed", "innocent")}
    rows, local = asyncio.run(_pipeline_on_ray(settings, uploads))

    assert {v: row[0] for v, row in rows.items()} == {"flip": "matched", "pad_speed": "matched", "innocent": "no_match"}
    for video_id, (sample, prints, report) in local["here"].items():
        outcome, sha, matches, sample_path = rows[video_id]
        assert sha == sample.sha256, f"{video_id}: Ray sampled other bytes"
        assert "local-samples" not in sample_path  # the Ray task wrote the daemon's own sample
        ray_prints = local["ray_prints"][video_id]
        assert np.array_equal(ray_prints.video.vectors, prints.video.vectors)
        assert np.array_equal(ray_prints.video.times_ms, prints.video.times_ms)
        assert np.array_equal(ray_prints.audio.hashes, prints.audio.hashes)
        assert matches == report.as_json()["matches"], f"{video_id}: the index actor matched differently"
    assert rows["flip"][2][0]["episode"] == 1 and rows["pad_speed"][2][0]["episode"] == 2


def test_the_default_path_does_not_import_ray(tmp_path):
    code = """
import sys
from monitor.casework_adapter import NoticesCasework
from dramaguard.cli import app
from monitor.pipeline import Pipeline
from indexing.catalogue import Services
from dramaguard.settings import Settings
services = Services(Settings(home=sys.argv[1]))
pipeline = Pipeline(services, NoticesCasework)
pipeline.stages.start()
pipeline.stages.shutdown()
print(type(pipeline.stages).__name__, sorted(m for m in sys.modules if m.split('.')[0] == 'ray'))
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DRAMAGUARD_RAY")}
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "home")], capture_output=True,
                         text=True, env=env, check=True).stdout
    assert out.split() == ["LocalStages", "[]"]
