"""rescue: a request merged by hand points to the request it was merged into

``help_requests.merged_into_id`` (state ``merged``, see zhengwu.rescue.corrections).

Revision ID: 0023
Revises: 0019
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Batch mode: SQLite cannot add a foreign key to an existing table otherwise.
    with op.batch_alter_table("help_requests") as batch:
        batch.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_help_requests_merged_into_id_help_requests",
            "help_requests",
            ["merged_into_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("help_requests") as batch:
        batch.drop_constraint("fk_help_requests_merged_into_id_help_requests", type_="foreignkey")
        batch.drop_column("merged_into_id")
