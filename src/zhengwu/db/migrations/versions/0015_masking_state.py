"""servicedesk: which published numbers the stored masked texts follow (masking_state)

A request's public text is masked once, at intake. When an office's published number
(公开电话) is registered later, or a number is taken off the list, the worker job
``published-numbers`` re-masks the stored texts that contain it; this one-row table
remembers the directory it last took up and where an unfinished pass stands.

Revision ID: 0015
Revises: 0011
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import zhengwu.db.base

revision = "0015"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "masking_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("numbers", sa.JSON(), nullable=False),
        sa.Column("pending", sa.JSON(), nullable=False),
        sa.Column("cursor", sa.Integer(), nullable=False),
        sa.Column("updated_at", zhengwu.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_masking_state")),
    )


def downgrade() -> None:
    op.drop_table("masking_state")
