"""claimant profiles complete a notice: signatory capacity, time zone, English names, ownership
proofs, and what each notice carried (attachments, evidence PDF)

Revision ID: 20261206_21_claimant_profiles
Revises: 20261206_23_reference_overlaps
Create Date: 2026-12-06
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "20261206_21_claimant_profiles"
down_revision = "20261206_23_reference_overlaps"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("claimant_profiles") as batch:
        batch.add_column(sa.Column("signatory_capacity", sa.String(200), nullable=False, server_default=""))
        batch.add_column(sa.Column("english_name", sa.String(300), nullable=False, server_default=""))
        batch.add_column(sa.Column("time_zone", sa.String(64), nullable=False, server_default="Asia/Shanghai"))
    op.add_column("works", sa.Column("english_title", sa.String(300), nullable=True))
    with op.batch_alter_table("notices") as batch:
        batch.add_column(sa.Column("attachments", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("evidence_pdf", sa.LargeBinary(), nullable=True))
    op.create_table(
        "ownership_proofs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("holder_id", sa.Integer(), nullable=False),
        sa.Column("work_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("filename", sa.String(300), nullable=False),
        sa.Column("content_type", sa.String(50), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("description", sa.String(300), nullable=False),
        sa.Column("uploaded_by", sa.String(320), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["holder_id"], ["rights_holders.id"], ondelete="CASCADE",
                                name=op.f("fk_ownership_proofs_holder_id_rights_holders")),
        sa.ForeignKeyConstraint(["work_id"], ["works.id"], ondelete="CASCADE",
                                name=op.f("fk_ownership_proofs_work_id_works")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ownership_proofs")),
    )
    op.create_index(op.f("ix_ownership_proofs_holder_id"), "ownership_proofs", ["holder_id"])
    op.create_index(op.f("ix_ownership_proofs_work_id"), "ownership_proofs", ["work_id"])


def downgrade() -> None:
    op.drop_table("ownership_proofs")
    with op.batch_alter_table("notices") as batch:
        batch.drop_column("evidence_pdf")
        batch.drop_column("attachments")
    with op.batch_alter_table("works") as batch:
        batch.drop_column("english_title")
    with op.batch_alter_table("claimant_profiles") as batch:
        batch.drop_column("time_zone")
        batch.drop_column("english_name")
        batch.drop_column("signatory_capacity")
