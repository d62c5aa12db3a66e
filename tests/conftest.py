"""Shared fixtures: the benchmark location, PostgreSQL URL, and an ERROR-log guard."""
from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BENCH = Path(os.environ.get("DRAMAGUARD_BENCH_DIR", REPO.parent / "shared" / "bench"))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--live", action="store_true", help="run tests that use the real internet")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--live"):
        return
    skip = pytest.mark.skip(reason="live-internet test; pass --live to run it")
    for item in items:
        if "live" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def bench_dir() -> Path:
    """The development benchmark; a skip on a user's clone, a failure in CI."""
    dev = BENCH / "dev"
    if not (dev / "truth.jsonl").exists():
        message = f"benchmark not found at {dev} (set DRAMAGUARD_BENCH_DIR)"
        if os.environ.get("DRAMAGUARD_REQUIRE_BENCH") == "1":
            pytest.fail(message + " but DRAMAGUARD_REQUIRE_BENCH=1")
        pytest.skip(message)
    return dev


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """A real PostgreSQL server; .ci/run sets DRAMAGUARD_TEST_POSTGRES_URL."""
    url = os.environ.get("DRAMAGUARD_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("DRAMAGUARD_TEST_POSTGRES_URL is not set; no PostgreSQL to test against")
    return url


@pytest.fixture(autouse=True)
def _fail_on_error_logs(request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture):
    """A test that logs at ERROR fails unless it is marked ``expect_error_log``."""
    caplog.set_level(logging.INFO)
    yield
    if request.node.get_closest_marker("expect_error_log"):
        return
    errors = [r for r in caplog.get_records("call") if r.levelno >= logging.ERROR]
    assert not errors, f"unexpected ERROR log: {errors[0].getMessage()}"


@pytest.fixture
def fresh_postgres_url(postgres_url: str):
    """A new, empty PostgreSQL database for one test, dropped afterwards."""
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"dg_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def sample_media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Generated episodes and pirate copies (real H.264 files), shared by the session."""
    from monitor import samples

    root = tmp_path_factory.mktemp("media")
    ep1 = samples.make_episode(root / "ep1.mp4", seed=1, seconds=6)
    ep2 = samples.make_episode(root / "ep2.mp4", seed=2, seconds=6)
    return {
        "ep1": ep1,
        "ep2": ep2,
        "flip": samples.pirate_copy(ep1, root / "flip.mp4", transforms=(samples.hflip,)),
        "pad_speed": samples.pirate_copy(ep2, root / "pad_speed.mp4", transforms=(samples.pad_16x9,), speed=1.25),
        "compilation": samples.compilation([ep1, ep2], root / "compilation.mp4"),
        "innocent": samples.make_episode(root / "innocent.mp4", seed=77, seconds=5),
    }


@pytest.fixture
def settings(tmp_path: Path):
    from dramaguard.settings import Settings

    return Settings(home=tmp_path / "home")
