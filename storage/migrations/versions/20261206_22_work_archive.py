"""work archive: a work with cases or notices is archived, never deleted

Revision ID: 20261206_22_work_archive
Revises: 20261122_0008
Create Date: 2026-12-06
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "20261206_22_work_archive"
down_revision = "20261122_0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("works", sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("works") as batch:
        batch.drop_column("archived_at")
