"""servicedesk: the demo's requests keep the demo's clock in the database

``service_requests.demo_period_end``: the end of the simulated period of ``zhengwu demo``
(the desk's simulated "now": 超期 and 督办 are judged as of it), set by the demo on the
requests it made — those created on the simulated timeline — and on no other
(:func:`zhengwu.servicedesk.demo.clock`). The clock was read from
``demo-input/truth.json`` alone: without the file (deleted, or a demo run that crashed
after the simulation cleared its output) the demo's data fell on today's clock, every
request still open at the period's end became overdue and the worker supervised them
with today's date. Indexed: the clock is the column's largest value, read in one index
step. Requests of demos run before this revision have none: they keep the file's clock
until ``zhengwu demo`` runs again, as the rescue incident's clock did (0042).

Revision ID: 0046
Revises: 0036
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import zhengwu.db.base

revision = "0046"
down_revision = "0036"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "service_requests",
        sa.Column("demo_period_end", zhengwu.db.base.UtcDateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_service_requests_demo_period_end", "service_requests", ["demo_period_end"])


def downgrade() -> None:
    op.drop_index("ix_service_requests_demo_period_end", table_name="service_requests")
    # Not in batch mode: a rebuild of the table on SQLite would lose its search triggers
    # (0018); SQLite drops the column itself (as 0014 does on organizations).
    op.drop_column("service_requests", "demo_period_end")
