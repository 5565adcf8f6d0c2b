"""rate limits shared by every server process

``rate_limit_windows`` counts login attempts and public submissions per client and window
in the database, so ``zhengwu serve --workers N`` and several servers behind a proxy share
one limit instead of each allowing it (``zhengwu.ratelimit``).

Revision ID: 0026
Revises: 0024
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_limit_windows",
        sa.Column("scope", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("window_no", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("scope", "key", "window_no", name="pk_rate_limit_windows"),
    )
    op.create_index("ix_rate_limit_windows_expires_at", "rate_limit_windows", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_rate_limit_windows_expires_at", table_name="rate_limit_windows")
    op.drop_table("rate_limit_windows")
