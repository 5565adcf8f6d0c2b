"""rescue: an incident's public hotline (求助热线)

The number the public is told to call where the network cannot help online: on the help
form of a closed incident, and in a closing notice that says people may still be waiting.

Revision ID: 0019
Revises: 0013
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("rescue_incidents", sa.Column("hotline", sa.String(length=32), nullable=True))


def downgrade() -> None:
    # Batch mode: SQLite rebuilds the table (older SQLite has no DROP COLUMN).
    with op.batch_alter_table("rescue_incidents") as batch:
        batch.drop_column("hotline")
