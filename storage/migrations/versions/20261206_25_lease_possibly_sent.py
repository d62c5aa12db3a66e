"""store lease (one daemon, retrain or restore per store); deliveries.possibly_delivered_at

Revision ID: 20261206_25_lease_possibly_sent
Revises: 20261206_22_work_archive
Create Date: 2026-12-06
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "20261206_25_lease_possibly_sent"
down_revision = "20261206_22_work_archive"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "store_leases",
        sa.Column("name", sa.String(50), primary_key=True),
        sa.Column("holder", sa.String(64), nullable=False),
        sa.Column("purpose", sa.String(50), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("host", sa.String(200), nullable=False),
        sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.add_column("deliveries",
                  sa.Column("possibly_delivered_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("possibly_delivered_at")
    op.drop_table("store_leases")
