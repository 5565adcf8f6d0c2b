"""outbox: a message's last delivery error and its time (outbox.last_error, last_error_at)

A message that failed to send and then waits for a connector (its platform's was taken
out) had its delivery error replaced by the waiting reason: staff no longer saw why the
last attempt failed, nor when. ``error`` stays the message's current reason (the waiting
one, or the failure); ``last_error`` and ``last_error_at`` keep the last delivery failure.
Existing messages start without one.

Revision ID: 0038
Revises: 0004
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import zhengwu.db.base

revision = "0038"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("last_error", sa.Text(), nullable=True))
    op.add_column(
        "outbox",
        sa.Column("last_error_at", zhengwu.db.base.UtcDateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("last_error_at")
        batch.drop_column("last_error")
