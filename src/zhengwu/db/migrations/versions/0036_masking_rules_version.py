"""servicedesk: the masking rules' version the stored masked texts follow (masking_state)

Stored masked texts (a request's ``text_masked``, the search index of requests and library
items) keep the masks of the rules in force when they were made. ``rules_version`` records
the version (:data:`zhengwu.privacy.MASKING_RULES_VERSION`) they were last masked with;
while it differs from the code's, the worker job ``published-numbers`` masks every stored
text again, a batch per transaction: ``rules_kind`` ("requests", then "library") and
``rules_cursor`` (the last id done) let an interrupted pass continue where it stopped.
Existing rows get version 0 (unknown), so the first run after this upgrade re-masks all.

Revision ID: 0036
Revises: 0029
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0036"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "masking_state",
        sa.Column("rules_version", sa.Integer(), server_default="0", nullable=False),
    )
    op.add_column("masking_state", sa.Column("rules_kind", sa.String(length=16), nullable=True))
    op.add_column(
        "masking_state",
        sa.Column("rules_cursor", sa.Integer(), server_default="0", nullable=False),
    )


def downgrade() -> None:
    with op.batch_alter_table("masking_state") as batch:
        batch.drop_column("rules_cursor")
        batch.drop_column("rules_kind")
        batch.drop_column("rules_version")
