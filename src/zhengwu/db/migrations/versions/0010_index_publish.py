"""index: publication of index runs (a published period's rankings are public)

Revision ID: 0010
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import zhengwu.db.base

revision = "0010"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "index_publications",
        sa.Column("run_id", sa.String(length=160), nullable=False),
        sa.Column("system", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=64), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("published_by", sa.String(length=64), nullable=False),
        sa.Column("published_at", zhengwu.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_index_publications")),
    )
    with op.batch_alter_table("index_publications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_index_publications_period_end"), ["period_end"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("index_publications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_index_publications_period_end"))
    op.drop_table("index_publications")
