"""accounts: index (updated_at, id) for the search index's incremental refresh

The periodic job ``search-refresh`` reads the accounts changed since its watermark in
``(updated_at, id)`` order, a page at a time, and the console's search page counts them
("the index is behind by N accounts"); without this index each page and each count
scanned every account (180,000 at national scale).

Revision ID: 0012
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_accounts_updated_at_id", "accounts", ["updated_at", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_accounts_updated_at_id", table_name="accounts")
