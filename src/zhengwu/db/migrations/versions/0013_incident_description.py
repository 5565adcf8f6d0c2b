"""rescue: the situation description of an incident (灾情说明)

A free text shown on the incident page, in the API and on the public board (masked for
the public): what happened, where to send people, the hotlines of official bodies.

Revision ID: 0013
Revises: 0007
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("rescue_incidents", sa.Column("description", sa.Text(), nullable=True))


def downgrade() -> None:
    # Batch mode: SQLite rebuilds the table (older SQLite has no DROP COLUMN).
    with op.batch_alter_table("rescue_incidents") as batch:
        batch.drop_column("description")
