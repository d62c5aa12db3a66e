"""Alembic environment: uses the connection handed over by storage.db.upgrade, or the URL."""
from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from storage.base import Base
import storage.models  # noqa: F401  (registers the tables on Base.metadata)
import storage.auth  # noqa: F401
import storage.uploads  # noqa: F401
import storage.cases  # noqa: F401
import storage.work_rules  # noqa: F401
import storage.receipts  # noqa: F401
import storage.alerts  # noqa: F401
import storage.crawl  # noqa: F401
import storage.audio  # noqa: F401
import storage.daemon  # noqa: F401
import storage.lease  # noqa: F401
import storage.overlaps  # noqa: F401
import storage.claimants  # noqa: F401

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as connection:
        _run(connection)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
