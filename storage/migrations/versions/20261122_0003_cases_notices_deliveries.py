"""casework: cases with audit log, notices and their delivery outbox, reviews, rejected-match memory, policy rules, allowlists, excluded intervals, registration receipts, alerts

Revision ID: 20261122_0003
Revises: 20261122_0002
Create Date: 2026-11-22 01:14:59.092188
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '20261122_0003'
down_revision = '20261122_0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('claimant_profiles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('holder_id', sa.Integer(), nullable=False),
    sa.Column('legal_name', sa.String(length=300), nullable=False),
    sa.Column('address', sa.String(length=500), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('phone', sa.String(length=50), nullable=False),
    sa.Column('registration_id', sa.String(length=100), nullable=False),
    sa.Column('signatory', sa.String(length=200), nullable=False),
    sa.Column('agent_name', sa.String(length=300), nullable=True),
    sa.Column('agent_address', sa.String(length=500), nullable=True),
    sa.Column('agent_email', sa.String(length=320), nullable=True),
    sa.Column('agent_phone', sa.String(length=50), nullable=True),
    sa.Column('agent_authorization', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['holder_id'], ['rights_holders.id'], name=op.f('fk_claimant_profiles_holder_id_rights_holders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claimant_profiles')),
    sa.UniqueConstraint('holder_id', name=op.f('uq_claimant_profiles_holder_id'))
    )
    op.create_table('allowlist_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('holder_id', sa.Integer(), nullable=True),
    sa.Column('work_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('value', sa.String(length=500), nullable=False),
    sa.Column('platform', sa.String(length=50), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.CheckConstraint('(holder_id IS NULL) != (work_id IS NULL)', name=op.f('ck_allowlist_entries_one_scope')),
    sa.ForeignKeyConstraint(['holder_id'], ['rights_holders.id'], name=op.f('fk_allowlist_entries_holder_id_rights_holders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['work_id'], ['works.id'], name=op.f('fk_allowlist_entries_work_id_works'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_allowlist_entries'))
    )
    with op.batch_alter_table('allowlist_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_allowlist_entries_holder_id'), ['holder_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_allowlist_entries_work_id'), ['work_id'], unique=False)

    op.create_table('notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=40), nullable=False),
    sa.Column('holder_id', sa.Integer(), nullable=False),
    sa.Column('work_id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=50), nullable=False),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('recipient', sa.String(length=500), nullable=False),
    sa.Column('subject', sa.String(length=500), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('html', sa.Text(), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['holder_id'], ['rights_holders.id'], name=op.f('fk_notices_holder_id_rights_holders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['work_id'], ['works.id'], name=op.f('fk_notices_work_id_works'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notices')),
    sa.UniqueConstraint('public_id', name=op.f('uq_notices_public_id'))
    )
    op.create_table('policy_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('work_id', sa.Integer(), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=10), nullable=False),
    sa.Column('min_matched_s', sa.Float(), nullable=False),
    sa.Column('min_query_share', sa.Float(), nullable=False),
    sa.Column('min_ref_share', sa.Float(), nullable=False),
    sa.Column('min_score', sa.Float(), nullable=False),
    sa.Column('platforms', sa.JSON(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['work_id'], ['works.id'], name=op.f('fk_policy_rules_work_id_works'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_rules'))
    )
    with op.batch_alter_table('policy_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_policy_rules_work_id'), ['work_id'], unique=False)

    op.create_table('cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('holder_id', sa.Integer(), nullable=False),
    sa.Column('work_id', sa.Integer(), nullable=False),
    sa.Column('episode_id', sa.Integer(), nullable=True),
    sa.Column('platform', sa.String(length=50), nullable=False),
    sa.Column('video_id', sa.String(length=200), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('uploader_id', sa.String(length=200), nullable=True),
    sa.Column('uploader_name', sa.String(length=300), nullable=True),
    sa.Column('channel_id', sa.String(length=200), nullable=True),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('view_count', sa.Integer(), nullable=True),
    sa.Column('captured_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('media_sha256', sa.String(length=64), nullable=True),
    sa.Column('state', sa.String(length=30), nullable=False),
    sa.Column('action', sa.String(length=10), nullable=False),
    sa.Column('policy_reason', sa.String(length=200), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('matched_ms', sa.Integer(), nullable=False),
    sa.Column('query_share', sa.Float(), nullable=False),
    sa.Column('ref_share', sa.Float(), nullable=False),
    sa.Column('matches', sa.JSON(), nullable=False),
    sa.Column('detected_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('notice_deadline', sa.DateTime(timezone=True), nullable=False),
    sa.Column('notified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_checked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('next_check_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('counter_notice_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('legal_action', sa.Boolean(), nullable=False),
    sa.Column('evidence_id', sa.String(length=100), nullable=True),
    sa.Column('evidence_sha256', sa.String(length=64), nullable=True),
    sa.Column('evidence_dir', sa.String(length=1000), nullable=True),
    sa.ForeignKeyConstraint(['episode_id'], ['episodes.id'], name=op.f('fk_cases_episode_id_episodes'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['holder_id'], ['rights_holders.id'], name=op.f('fk_cases_holder_id_rights_holders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['work_id'], ['works.id'], name=op.f('fk_cases_work_id_works'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cases')),
    sa.UniqueConstraint('work_id', 'platform', 'video_id', name=op.f('uq_cases_work_id'))
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cases_next_check_at'), ['next_check_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_platform'), ['platform'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_work_id'), ['work_id'], unique=False)

    op.create_table('deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notice_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('channel', sa.String(length=30), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.String(length=300), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['notice_id'], ['notices.id'], name=op.f('fk_deliveries_notice_id_notices'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deliveries')),
    sa.UniqueConstraint('key', name=op.f('uq_deliveries_key')),
    sa.UniqueConstraint('notice_id', name=op.f('uq_deliveries_notice_id'))
    )
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deliveries_status'), ['status'], unique=False)

    op.create_table('excluded_intervals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('episode_id', sa.Integer(), nullable=False),
    sa.Column('start_ms', sa.Integer(), nullable=False),
    sa.Column('end_ms', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.CheckConstraint('end_ms > start_ms', name=op.f('ck_excluded_intervals_ordered')),
    sa.ForeignKeyConstraint(['episode_id'], ['episodes.id'], name=op.f('fk_excluded_intervals_episode_id_episodes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_excluded_intervals'))
    )
    with op.batch_alter_table('excluded_intervals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_excluded_intervals_episode_id'), ['episode_id'], unique=False)

    op.create_table('registration_receipts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('episode_id', sa.Integer(), nullable=False),
    sa.Column('receipt_id', sa.String(length=100), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['episode_id'], ['episodes.id'], name=op.f('fk_registration_receipts_episode_id_episodes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registration_receipts')),
    sa.UniqueConstraint('episode_id', name=op.f('uq_registration_receipts_episode_id')),
    sa.UniqueConstraint('receipt_id', name=op.f('uq_registration_receipts_receipt_id'))
    )
    op.create_table('alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dedupe_key', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('acknowledged', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_alerts_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alerts')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_alerts_dedupe_key'))
    )
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alerts_kind'), ['kind'], unique=False)

    op.create_table('case_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('event', sa.String(length=40), nullable=False),
    sa.Column('from_state', sa.String(length=30), nullable=True),
    sa.Column('to_state', sa.String(length=30), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_events_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_events'))
    )
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_events_case_id'), ['case_id'], unique=False)

    op.create_table('notice_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notice_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_notice_items_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['notice_id'], ['notices.id'], name=op.f('fk_notice_items_notice_id_notices'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notice_items')),
    sa.UniqueConstraint('case_id', 'stage', name=op.f('uq_notice_items_case_id'))
    )
    with op.batch_alter_table('notice_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notice_items_notice_id'), ['notice_id'], unique=False)

    op.create_table('rejected_matches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('work_id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=50), nullable=False),
    sa.Column('video_id', sa.String(length=200), nullable=False),
    sa.Column('media_sha256', sa.String(length=64), nullable=True),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('rejected_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_rejected_matches_case_id_cases'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['work_id'], ['works.id'], name=op.f('fk_rejected_matches_work_id_works'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rejected_matches')),
    sa.UniqueConstraint('work_id', 'platform', 'video_id', name=op.f('uq_rejected_matches_work_id'))
    )
    with op.batch_alter_table('rejected_matches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rejected_matches_media_sha256'), ['media_sha256'], unique=False)

    op.create_table('review_decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('decision', sa.String(length=10), nullable=False),
    sa.Column('reviewer', sa.String(length=200), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_review_decisions_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_decisions'))
    )
    with op.batch_alter_table('review_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_decisions_case_id'), ['case_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('review_decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_decisions_case_id'))

    op.drop_table('review_decisions')
    with op.batch_alter_table('rejected_matches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rejected_matches_media_sha256'))

    op.drop_table('rejected_matches')
    with op.batch_alter_table('notice_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notice_items_notice_id'))

    op.drop_table('notice_items')
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_events_case_id'))

    op.drop_table('case_events')
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alerts_kind'))

    op.drop_table('alerts')
    op.drop_table('registration_receipts')
    with op.batch_alter_table('excluded_intervals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_excluded_intervals_episode_id'))

    op.drop_table('excluded_intervals')
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deliveries_status'))

    op.drop_table('deliveries')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cases_work_id'))
        batch_op.drop_index(batch_op.f('ix_cases_state'))
        batch_op.drop_index(batch_op.f('ix_cases_platform'))
        batch_op.drop_index(batch_op.f('ix_cases_next_check_at'))

    op.drop_table('cases')
    with op.batch_alter_table('policy_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_policy_rules_work_id'))

    op.drop_table('policy_rules')
    op.drop_table('notices')
    with op.batch_alter_table('allowlist_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_allowlist_entries_work_id'))
        batch_op.drop_index(batch_op.f('ix_allowlist_entries_holder_id'))

    op.drop_table('allowlist_entries')
    op.drop_table('claimant_profiles')
