"""The SQL CrawlState on a migrated database (SQLite here, PostgreSQL when configured)."""

from __future__ import annotations

import uuid

import pytest
from alembic import command
from sqlalchemy import inspect

from storage.crawl import SqlCrawlState
from storage.db import alembic_config, make_engine, session_factory, upgrade


def exercise(url: str) -> None:
    engine = make_engine(url)
    upgrade(engine)
    state = SqlCrawlState(session_factory(engine))
    run = uuid.uuid4().hex[:8]  # distinct names, so the checks never rely on an empty table
    simulated, feed = f"simulated-{run}", f"feed-{run}"
    assert state.get_cursor(simulated, "new") is None
    state.set_cursor(simulated, "new", "5")
    state.set_cursor(simulated, "new", "9")
    state.set_cursor(feed, "new", "1.5")
    assert state.get_cursor(simulated, "new") == "9"
    assert state.get_cursor(feed, "new") == "1.5"

    assert state.unseen(simulated, ["a", "b"]) == {"a", "b"}
    state.mark_seen(simulated, "a", url="http://x/a", status="failed")
    state.mark_seen(simulated, "a", url="http://x/a", status="scanned")  # idempotent update
    assert state.unseen(simulated, ["a", "b"]) == {"b"}
    assert state.unseen(feed, ["a"]) == {"a"}  # seen is per platform
    assert state.unseen(simulated, []) == set()


def test_sqlite(tmp_path) -> None:
    exercise(f"sqlite:///{tmp_path / 'state.db'}")


@pytest.mark.postgres
def test_postgres(fresh_postgres_url) -> None:
    exercise(fresh_postgres_url)


def test_migration_downgrades_cleanly(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    engine = make_engine(url)
    upgrade(engine)
    assert {"crawl_cursors", "seen_videos"} <= set(inspect(engine).get_table_names())
    with engine.begin() as connection:
        config = alembic_config(url)
        config.attributes["connection"] = connection
        command.downgrade(config, "20261122_0001")
    assert not {"crawl_cursors", "seen_videos"} & set(inspect(engine).get_table_names())
