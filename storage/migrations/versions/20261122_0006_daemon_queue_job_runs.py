"""Daemon: the durable candidate queue, job runs and heartbeats

Revision ID: 20261122_0006
Revises: 20261122_0002
Create Date: 2026-11-22 00:58:05.222325
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '20261122_0006'
down_revision = '20261122_0003'
branch_labels = None
depends_on = None

def upgrade() -> None:

    op.create_table('candidate_queue',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=50), nullable=False),
    sa.Column('video_id', sa.String(length=200), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('uploader_id', sa.String(length=200), nullable=True),
    sa.Column('uploader_name', sa.String(length=300), nullable=True),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('duration_s', sa.Float(), nullable=True),
    sa.Column('view_count', sa.Integer(), nullable=True),
    sa.Column('media_url', sa.Text(), nullable=True),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.Column('discovered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deadline_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('outcome', sa.String(length=30), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('sample_path', sa.Text(), nullable=True),
    sa.Column('sample_sha256', sa.String(length=64), nullable=True),
    sa.Column('captured_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('matches', sa.JSON(), nullable=False),
    sa.Column('processed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_candidate_queue')),
    sa.UniqueConstraint('platform', 'video_id', name=op.f('uq_candidate_queue_platform'))
    )
    with op.batch_alter_table('candidate_queue', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_candidate_queue_deadline_at'), ['deadline_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_candidate_queue_state'), ['state'], unique=False)

    op.create_table('daemon_heartbeats',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pid', sa.Integer(), nullable=False),
    sa.Column('host', sa.String(length=200), nullable=False),
    sa.Column('health_url', sa.Text(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('beat_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('stopped_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('live', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_daemon_heartbeats'))
    )
    op.create_table('job_runs',
    sa.Column('job_id', sa.String(length=200), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ok', sa.Boolean(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('duration_s', sa.Float(), nullable=True),
    sa.Column('runs', sa.Integer(), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('job_id', name=op.f('pk_job_runs'))
    )

def downgrade() -> None:

    op.drop_table('job_runs')
    op.drop_table('daemon_heartbeats')
    with op.batch_alter_table('candidate_queue', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_candidate_queue_state'))
        batch_op.drop_index(batch_op.f('ix_candidate_queue_deadline_at'))

    op.drop_table('candidate_queue')

