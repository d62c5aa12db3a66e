"""audio landmark kinds (dialogue or music) and the music exclusion bank

Revision ID: 20261206_26_music_exclusions
Revises: 20261206_25_lease_possibly_sent
Create Date: 2026-12-06
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "20261206_26_music_exclusions"
down_revision = "20261206_25_lease_possibly_sent"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audio_fingerprints") as batch:
        batch.add_column(sa.Column("kinds", sa.LargeBinary(), nullable=True))
    op.create_table(
        "music_exclusions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("holder_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("algorithm", sa.String(length=50), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("hashes", sa.LargeBinary(), nullable=False),
        sa.Column("times_ms", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["holder_id"], ["rights_holders.id"],
            name=op.f("fk_music_exclusions_holder_id_rights_holders"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_music_exclusions")),
    )
    op.create_index(op.f("ix_music_exclusions_holder_id"), "music_exclusions", ["holder_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_music_exclusions_holder_id"), table_name="music_exclusions")
    op.drop_table("music_exclusions")
    with op.batch_alter_table("audio_fingerprints") as batch:
        batch.drop_column("kinds")
