"""help_requests: the stored priority score and the indexes the queue is ordered by

The dispatcher queue was ordered by the priority score computed over every request of the
incident on each page (a full scan before LIMIT/OFFSET). The clock-free part of the score
is now stored with each request in tenths (``priority_base``), with that less the clock
mark of ``reported_at`` (``priority_fresh``: see ``zhengwu.rescue.priority``), and two
indexes read the order: ``incident_id, priority_base DESC, reported_at, id`` for requests
waiting 24 hours or more, ``incident_id, priority_fresh DESC, reported_at, id`` for the
newer ones. Existing requests are scored here, in batches.

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-23
"""

from __future__ import annotations

from types import SimpleNamespace

import sqlalchemy as sa
from alembic import op

from zhengwu.db.base import UtcDateTime

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

BATCH = 2000

# The columns the score is computed from, as this revision knows them.
_requests = sa.table(
    "help_requests",
    sa.column("id", sa.Integer()),
    sa.column("people_total", sa.Integer()),
    sa.column("people_helped", sa.Integer()),
    sa.column("vulnerabilities", sa.JSON()),
    sa.column("needs", sa.JSON()),
    sa.column("hazard", sa.String()),
    sa.column("urgency", sa.String()),
    sa.column("urgency_reasons", sa.JSON()),
    sa.column("verification", sa.String()),
    sa.column("reported_rescued_at", UtcDateTime(timezone=True)),
    sa.column("reported_at", UtcDateTime(timezone=True)),
    sa.column("priority_base", sa.Integer()),
    sa.column("priority_fresh", sa.Integer()),
)


def upgrade() -> None:
    from zhengwu.rescue.priority import stored

    with op.batch_alter_table("help_requests") as batch:
        batch.add_column(sa.Column("priority_base", sa.Integer(), nullable=False,
                                   server_default="0"))  # fmt: skip
        batch.add_column(sa.Column("priority_fresh", sa.Integer(), nullable=False,
                                   server_default="0"))  # fmt: skip
    conn = op.get_bind()
    columns = [c for c in _requests.c if c.name not in ("priority_base", "priority_fresh")]
    update = (
        _requests.update()
        .where(_requests.c.id == sa.bindparam("rid"))
        .values(priority_base=sa.bindparam("base"), priority_fresh=sa.bindparam("fresh"))
    )
    last = 0
    while True:
        rows = conn.execute(
            sa.select(*columns).where(_requests.c.id > last).order_by(_requests.c.id).limit(BATCH)
        ).all()
        if not rows:
            break
        values = []
        for row in rows:
            base, fresh = stored(SimpleNamespace(**row._mapping))  # type: ignore[arg-type]
            values.append({"rid": row.id, "base": base, "fresh": fresh})
        conn.execute(update, values)
        last = rows[-1].id
    op.create_index(
        "ix_help_requests_priority", "help_requests",
        ["incident_id", sa.text("priority_base DESC"), "reported_at", "id"], unique=False,
    )  # fmt: skip
    op.create_index(
        "ix_help_requests_priority_fresh", "help_requests",
        ["incident_id", sa.text("priority_fresh DESC"), "reported_at", "id"], unique=False,
    )  # fmt: skip


def downgrade() -> None:
    op.drop_index("ix_help_requests_priority_fresh", table_name="help_requests")
    op.drop_index("ix_help_requests_priority", table_name="help_requests")
    with op.batch_alter_table("help_requests") as batch:
        batch.drop_column("priority_fresh")
        batch.drop_column("priority_base")
