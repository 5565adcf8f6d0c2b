"""ingest: indexes for the console's quarantine page (设置 › 导入记录 › 隔离记录)

The page lists quarantined records newest first, of one import run or one format, 50 at a
time, with their number. ``(run_id, id)`` reads a run's page straight from the index and
counts its records from the index alone, instead of fetching every record of the run and
sorting them (100,000 for a large bad file); it replaces the index on ``run_id`` alone,
which it begins with (the foreign key's lookups use it too). ``(format, id)`` does the same
for a format: without it a format of older runs was found by walking every newer record.

Revision ID: 0041
Revises: 0040
Create Date: 2026-11-25
"""

from __future__ import annotations

from alembic import op

revision = "0041"
down_revision = "0040"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_quarantine_run_id_id", "quarantine", ["run_id", "id"])
    op.drop_index("ix_quarantine_run_id", table_name="quarantine")
    op.create_index("ix_quarantine_format_id", "quarantine", ["format", "id"])


def downgrade() -> None:
    op.drop_index("ix_quarantine_format_id", table_name="quarantine")
    op.create_index("ix_quarantine_run_id", "quarantine", ["run_id"])
    op.drop_index("ix_quarantine_run_id_id", table_name="quarantine")
