"""reference overlaps: footage registered episodes share (credits, recaps, reused shots)

Revision ID: 20261206_23_reference_overlaps
Revises: 20261206_26_music_exclusions
Create Date: 2026-12-06
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "20261206_23_reference_overlaps"
down_revision = "20261206_26_music_exclusions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reference_overlaps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("episode_id", sa.Integer(), nullable=False),
        sa.Column("other_episode_id", sa.Integer(), nullable=False),
        sa.Column("start_ms", sa.Integer(), nullable=False),
        sa.Column("end_ms", sa.Integer(), nullable=False),
        sa.Column("other_start_ms", sa.Integer(), nullable=False),
        sa.Column("other_end_ms", sa.Integer(), nullable=False),
        sa.Column("similarity", sa.Float(), nullable=False),
        sa.Column("cross_holder", sa.Boolean(), nullable=False),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["episode_id"], ["episodes.id"],
                                name=op.f("fk_reference_overlaps_episode_id_episodes"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["other_episode_id"], ["episodes.id"],
                                name=op.f("fk_reference_overlaps_other_episode_id_episodes"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reference_overlaps")),
    )
    op.create_index(op.f("ix_reference_overlaps_episode_id"), "reference_overlaps", ["episode_id"])
    op.create_index(op.f("ix_reference_overlaps_other_episode_id"), "reference_overlaps", ["other_episode_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_reference_overlaps_other_episode_id"), table_name="reference_overlaps")
    op.drop_index(op.f("ix_reference_overlaps_episode_id"), table_name="reference_overlaps")
    op.drop_table("reference_overlaps")
