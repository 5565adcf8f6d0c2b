"""rescue: where a set-aside post came from (help_set_aside.url, author, posted_at)

A post intake set aside (not read as help, outside the regions) or a sheet row it refused
kept only its text, so one a coordinator promoted to a request lost its link and author
and counted as reported when it was set aside, not when it was posted (its waiting time
and priority were wrong). The three columns are those of ``help_sources``; rows set aside
before this revision have none (null) and promote as before.

Revision ID: 0027
Revises: 0024
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from zhengwu.db.base import UtcDateTime

revision = "0027"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("help_set_aside", sa.Column("url", sa.String(length=256), nullable=True))
    op.add_column("help_set_aside", sa.Column("author", sa.String(length=128), nullable=True))
    op.add_column(
        "help_set_aside", sa.Column("posted_at", UtcDateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    # batch: SQLite drops a column by copying the table
    with op.batch_alter_table("help_set_aside") as batch:
        batch.drop_column("posted_at")
        batch.drop_column("author")
        batch.drop_column("url")
