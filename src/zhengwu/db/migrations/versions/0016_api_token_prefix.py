"""auth: the first characters of each API token (api_tokens.prefix)

Only a token's hash is stored, so an operator holding a leaked token could not tell which
row to revoke. New tokens keep their first 11 characters (``zw_`` and 8 more, far too few
to use); tokens issued before this revision have none and are found by their full value.

Revision ID: 0016
Revises: 0003
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("api_tokens", sa.Column("prefix", sa.String(length=16), nullable=True))


def downgrade() -> None:
    # batch: SQLite drops a column by copying the table
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("prefix")
