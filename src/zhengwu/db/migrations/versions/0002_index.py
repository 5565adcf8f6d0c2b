"""index: manual compliance flags of the influence index (国办秘函〔2019〕19号 vetoes)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import zhengwu.db.base

revision = "0002"
down_revision = "0001"
branch_labels = ("index",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "index_compliance_flags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("flagged_by", sa.String(length=64), nullable=False),
        sa.Column("flagged_at", zhengwu.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("lifted_by", sa.String(length=64), nullable=True),
        sa.Column("lifted_at", zhengwu.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("lift_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_index_compliance_flags_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_index_compliance_flags")),
    )
    with op.batch_alter_table("index_compliance_flags", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_index_compliance_flags_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_index_compliance_flags_kind"), ["kind"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("index_compliance_flags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_index_compliance_flags_kind"))
        batch_op.drop_index(batch_op.f("ix_index_compliance_flags_account_id"))
    op.drop_table("index_compliance_flags")
