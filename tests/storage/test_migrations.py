"""Alembic migrations build the schema the models describe, on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from storage.base import Base
from storage.db import make_engine, upgrade


def _assert_schema_matches_models(url: str) -> None:
    engine = make_engine(url)
    upgrade(engine)
    upgrade(engine)  # idempotent
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == [], f"models and migrations disagree: {diff}"
    assert {"rights_holders", "works", "episodes", "fingerprints"} <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_sqlite_schema_matches_models(tmp_path):
    _assert_schema_matches_models(f"sqlite:///{tmp_path / 'db.sqlite'}")


def test_sqlite_uses_wal(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    engine.dispose()


@pytest.mark.postgres
def test_postgres_schema_matches_models(fresh_postgres_url):
    _assert_schema_matches_models(fresh_postgres_url)
