"""Engines, sessions and migrations. SQLite gets WAL and foreign keys; any SQLAlchemy URL works."""
from __future__ import annotations

from collections.abc import Iterator
import logging
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Connections per process: kept + extra under load. The web app admits fewer requests with a
# request-long session than this (dramaguard.web.deps), so short transactions always find one.
POOL_SIZE = 10
POOL_OVERFLOW = 10


class _NoResultRows(logging.Filter):
    """SQLAlchemy at DEBUG prints every fetched row (session CSRF tokens, password hashes)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (isinstance(record.msg, str) and record.msg.startswith(("Row ", "Col ")))


def _quiet_rows() -> None:
    logger = logging.getLogger("sqlalchemy.engine.Engine")
    if not any(isinstance(f, _NoResultRows) for f in logger.filters):
        logger.addFilter(_NoResultRows())


def make_engine(url: str) -> Engine:
    """Create an engine; for SQLite turn on WAL, foreign keys and a busy timeout.

    ``hide_parameters``: statement logs and database errors never show bound values (CSRF tokens,
    addresses, notice text), whatever level a deployment sets its loggers to.
    """
    _quiet_rows()
    options = {"pool_size": POOL_SIZE, "max_overflow": POOL_OVERFLOW, "hide_parameters": True}
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **options)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, **options)


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration (idempotent)."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with factory() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
