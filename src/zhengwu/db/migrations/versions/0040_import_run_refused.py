"""ingest: an import run records the files it refused whole (import_runs.refused)

``zhengwu import`` of several files (or of an archive's members) goes on past a file it
refuses whole — a GBK CSV, a file not in the format — and names it in its summary; the run
kept only its counts, so the import history (``zhengwu imports``) could not say that a file
of it was left out, nor why. ``refused`` is a JSON list of ``{"file", "error", "status",
"message_zh", "message_en"}``; NULL when the run refused none (every run before this one).

Revision ID: 0040
Revises: 0034
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0040"
down_revision = "0034"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("import_runs", sa.Column("refused", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("import_runs") as batch:
        batch.drop_column("refused")
