"""accounts: organisations' published phone numbers (公开电话)

An office's published number (区住建局 0371-66661234) is no personal data: public pages
leave it readable instead of masking it like a citizen's phone. The column holds the
numbers in normal form as a JSON list, NULL when there are none; the partial index lets
the directory of published numbers read only the organisations that have some.

Revision ID: 0014
Revises: 0012
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0012"
branch_labels = None
depends_on = None

_WITH_PHONES = sa.text("public_phones IS NOT NULL")


def upgrade() -> None:
    op.add_column("organizations", sa.Column("public_phones", sa.JSON(), nullable=True))
    op.create_index(
        "ix_organizations_with_public_phones", "organizations", ["id"], unique=False,
        postgresql_where=_WITH_PHONES, sqlite_where=_WITH_PHONES,
    )  # fmt: skip


def downgrade() -> None:
    op.drop_index("ix_organizations_with_public_phones", table_name="organizations")
    # In place, also on SQLite (3.35+ has DROP COLUMN): batch mode would rebuild the table,
    # and dropping the old copy fails while accounts, users and requests refer to it.
    op.drop_column("organizations", "public_phones")
