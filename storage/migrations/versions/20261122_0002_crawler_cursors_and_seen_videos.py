"""crawler: per-platform cursors and seen videos (dedupe), so a restart resumes

Revision ID: 20261122_0002
Revises: 20261122_0001
Create Date: 2026-11-22 00:42:59.675544
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '20261122_0002'
down_revision = '20261122_0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('crawl_cursors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=50), nullable=False),
    sa.Column('key', sa.String(length=300), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crawl_cursors')),
    sa.UniqueConstraint('platform', 'key', name=op.f('uq_crawl_cursors_platform'))
    )
    op.create_table('seen_videos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=50), nullable=False),
    sa.Column('video_id', sa.String(length=200), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_seen_videos')),
    sa.UniqueConstraint('platform', 'video_id', name=op.f('uq_seen_videos_platform'))
    )


def downgrade() -> None:
    op.drop_table('seen_videos')
    op.drop_table('crawl_cursors')
