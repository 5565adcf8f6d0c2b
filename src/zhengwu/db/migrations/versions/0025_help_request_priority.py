"""help_requests: the stored priority score and search texts the queue reads

The dispatcher queue was ordered by the priority score computed over every request of the
incident on each page (a full scan before LIMIT/OFFSET). The clock-free part of the score
is now stored with each request in tenths (``priority_base``), with that less the clock
mark of ``reported_at`` (``priority_fresh``: see ``zhengwu.rescue.priority``), and two
indexes read the order: ``incident_id, priority_base DESC, reported_at, id`` for requests
waiting 24 hours or more, ``incident_id, priority_fresh DESC, reported_at, id`` for the
newer ones. The search (``q``) reads ``search_words`` and ``search_digits``: what a full
viewer searches, folded (``zhengwu.rescue.lookup.index_texts``). Existing requests are
scored and indexed here, in batches.

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
        batch.add_column(sa.Column("search_words", sa.Text(), nullable=False,
                                   server_default=""))  # fmt: skip
        batch.add_column(sa.Column("search_digits", sa.Text(), nullable=False,
                                   server_default=""))  # fmt: skip
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
        _index_search(conn, [row.id for row in rows])
        last = rows[-1].id
    op.create_index(
        "ix_help_requests_priority", "help_requests",
        ["incident_id", sa.text("priority_base DESC"), "reported_at", "id"], unique=False,
    )  # fmt: skip
    op.create_index(
        "ix_help_requests_priority_fresh", "help_requests",
        ["incident_id", sa.text("priority_fresh DESC"), "reported_at", "id"], unique=False,
    )  # fmt: skip


def _index_search(conn: sa.Connection, ids: list[int]) -> None:
    """Store the search texts of the requests ``ids`` (as the app does after a flush)."""
    from zhengwu.rescue.models import write_search_columns

    write_search_columns(conn, ids)


def downgrade() -> None:
    op.drop_index("ix_help_requests_priority_fresh", table_name="help_requests")
    op.drop_index("ix_help_requests_priority", table_name="help_requests")
    with op.batch_alter_table("help_requests") as batch:
        batch.drop_column("search_digits")
        batch.drop_column("search_words")
        batch.drop_column("priority_fresh")
        batch.drop_column("priority_base")
