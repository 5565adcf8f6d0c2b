"""rescue: the demo's incident keeps its running clock in the database

``rescue_incidents.demo_period_end`` and ``demo_clock_from``: the simulated time at which
``zhengwu demo``'s incident's clock starts (the period's end) and the real time it starts
at (when the demo made its data). Only the demo's own incident has them
(:mod:`zhengwu.rescue.clock`). The clock was read from ``demo-input/truth.json`` alone: a
demo run that crashed after deleting the file (the simulation clears its output first)
put the incident on today's clock — months after its simulated requests — and the next run
made the file anew and started the clock over. The demo's incidents made before this
revision have none: they keep the file's clock until ``zhengwu demo`` runs again.

Revision ID: 0042
Revises: 0039
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import zhengwu.db.base

revision = "0042"
down_revision = "0039"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for name in ("demo_period_end", "demo_clock_from"):
        op.add_column(
            "rescue_incidents",
            sa.Column(name, zhengwu.db.base.UtcDateTime(timezone=True), nullable=True),
        )


def downgrade() -> None:
    # Batch mode: SQLite rebuilds the table (older SQLite has no DROP COLUMN).
    with op.batch_alter_table("rescue_incidents") as batch:
        batch.drop_column("demo_clock_from")
        batch.drop_column("demo_period_end")
