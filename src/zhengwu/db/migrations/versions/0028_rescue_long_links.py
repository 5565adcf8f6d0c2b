"""rescue: room for long links and authors (help_sources, help_set_aside)

A WeChat article's link (``mp.weixin.qq.com/s?__biz=…&mid=…&idx=…&sn=…&chksm=…``) is often
longer than the 256 characters ``url`` had, and a sheet's 来源 or an author's display
name may pass 128. PostgreSQL refused such a value and with it the whole batch of posts or
sheet rows; SQLite, which does not enforce a VARCHAR's length, took it. ``url`` now holds
2,048 characters and ``author`` 256, on both tables; SQLite needs no change.

Revision ID: 0028
Revises: 0027
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

TABLES = ("help_sources", "help_set_aside")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite keeps any length in a VARCHAR
    for table in TABLES:
        op.alter_column(table, "url", type_=sa.String(length=2048),
                        existing_type=sa.String(length=256), existing_nullable=True)  # fmt: skip
        op.alter_column(table, "author", type_=sa.String(length=256),
                        existing_type=sa.String(length=128), existing_nullable=True)  # fmt: skip


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        # Values that no longer fit are cut, as the narrower column demands.
        op.execute(sa.text(f"UPDATE {table} SET url = left(url, 256) WHERE length(url) > 256"))
        op.execute(
            sa.text(f"UPDATE {table} SET author = left(author, 128) WHERE length(author) > 128")
        )
        op.alter_column(table, "url", type_=sa.String(length=256),
                        existing_type=sa.String(length=2048), existing_nullable=True)  # fmt: skip
        op.alter_column(table, "author", type_=sa.String(length=128),
                        existing_type=sa.String(length=256), existing_nullable=True)  # fmt: skip
