"""rescue: whether a request's report time is known (help_requests.reported_at_known)

A volunteers' sheet row without a 时间 is taken in at the import's time, which is not when
the people asked: its 求助→核实 time on the board (a row marked 是否核实 = 是 is verified by
the same import) came out as 0 minutes. ``reported_at_known`` is false while no source of
the request says when it was posted or written; the board's steps from the report leave
such requests out (and say how many). Existing rows are taken as known (true), as the
board counted them before.

Revision ID: 0037
Revises: 0035
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0037"
down_revision = "0035"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "help_requests",
        sa.Column("reported_at_known", sa.Boolean(), server_default=sa.true(), nullable=False),
    )


def downgrade() -> None:
    with op.batch_alter_table("help_requests") as batch:
        batch.drop_column("reported_at_known")
