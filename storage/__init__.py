"""Persistence: SQLAlchemy 2.0 models, repositories, Alembic migrations, blob store."""
