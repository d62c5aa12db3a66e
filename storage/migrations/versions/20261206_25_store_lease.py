"""store lease: one daemon (or retrain, or restore) per store

Revision ID: 20261206_25_store_lease
Revises: 20261122_0008
Create Date: 2026-12-06
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "20261206_25_store_lease"
down_revision = "20261122_0008"
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


def downgrade() -> None:
    op.drop_table("store_leases")
