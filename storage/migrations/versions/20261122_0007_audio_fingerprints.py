"""audio fingerprints: landmark hashes of each registered episode's sound

Revision ID: 20261122_0007
Revises: 20261122_0005
Create Date: 2026-11-22
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "20261122_0007"
down_revision = "20261122_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audio_fingerprints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("episode_id", sa.Integer(), nullable=False),
        sa.Column("algorithm", sa.String(length=50), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("hashes", sa.LargeBinary(), nullable=False),
        sa.Column("times_ms", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["episode_id"], ["episodes.id"],
            name=op.f("fk_audio_fingerprints_episode_id_episodes"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audio_fingerprints")),
        sa.UniqueConstraint("episode_id", name=op.f("uq_audio_fingerprints_episode_id")),
    )


def downgrade() -> None:
    op.drop_table("audio_fingerprints")
