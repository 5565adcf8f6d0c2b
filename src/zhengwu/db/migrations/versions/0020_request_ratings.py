"""servicedesk: every 回访 rating of a request, kept for good (request_ratings)

Reopening a request (重启) cleared its rating on the request row, so a 不满意 vanished from
满意率 once the request was reopened. Each rating is now also a row here, never cleared;
the rates count these rows (every rating the citizen gave, once each).

Backfill: one row per ``follow_up`` entry of a request's audit log (its ``satisfaction``
and time: the ratings reopening had erased come back too), and one for each request rated
on its row with no such entry. Read in pages of ids, so a national audit log fits.

Revision ID: 0020
Revises: 0017
Create Date: 2026-11-23
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import zhengwu.db.base

revision = "0020"
down_revision = "0017"
branch_labels = None
depends_on = None

CHUNK = 5_000


def upgrade() -> None:
    op.create_table(
        "request_ratings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("satisfaction", sa.Integer(), nullable=False),
        sa.Column("rated_at", zhengwu.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("created_at", zhengwu.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["service_requests.id"],
            name=op.f("fk_request_ratings_request_id_service_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_ratings")),
    )
    op.create_index(
        op.f("ix_request_ratings_request_id"), "request_ratings", ["request_id"], unique=False
    )
    _backfill(op.get_bind())


def _backfill(bind: sa.Connection) -> None:
    """Copy the ratings of the audit log (and of request rows without one) into the table.

    Timestamps pass through as the database gives them (plain ``DateTime``, not the app's
    ``UtcDateTime``): the backfill runs no application code.
    """
    meta = sa.MetaData()
    audit = sa.Table(
        "audit_log", meta, sa.Column("id", sa.Integer), sa.Column("entity_type", sa.String),
        sa.Column("entity_id", sa.Integer), sa.Column("action", sa.String),
        sa.Column("data", sa.JSON), sa.Column("at", sa.DateTime(timezone=True)),
    )  # fmt: skip
    requests = sa.Table(
        "service_requests", meta, sa.Column("id", sa.Integer),
        sa.Column("satisfaction", sa.Integer),
        sa.Column("followed_up_at", sa.DateTime(timezone=True)),
        sa.Column("updated_at", sa.DateTime(timezone=True)),
    )  # fmt: skip
    ratings = sa.Table(
        "request_ratings", meta, sa.Column("request_id", sa.Integer),
        sa.Column("satisfaction", sa.Integer),
        sa.Column("rated_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True)),
    )  # fmt: skip
    now = datetime.now(UTC)
    rated: set[int] = set()
    last = 0
    while True:  # the audit log's ratings, a page of ids at a time
        page = bind.execute(
            sa.select(audit.c.id, audit.c.entity_id, audit.c.data, audit.c.at)
            .where(audit.c.id > last, audit.c.entity_type == "request",
                   audit.c.action == "follow_up")
            .order_by(audit.c.id).limit(CHUNK)
        ).all()  # fmt: skip
        if not page:
            break
        last = page[-1][0]
        found = []
        for _id, request_id, data, at in page:
            value = (data or {}).get("satisfaction")
            if isinstance(value, int) and 1 <= value <= 5:
                rated.add(request_id)
                found.append({"request_id": request_id, "satisfaction": value, "rated_at": at,
                              "created_at": now})  # fmt: skip
        if found:
            bind.execute(ratings.insert(), found)
    last = 0
    while True:  # requests rated on their row with no audited rating
        rows = bind.execute(
            sa.select(requests.c.id, requests.c.satisfaction,
                      sa.func.coalesce(requests.c.followed_up_at, requests.c.updated_at))
            .where(requests.c.id > last, requests.c.satisfaction.is_not(None))
            .order_by(requests.c.id).limit(CHUNK)
        ).all()  # fmt: skip
        if not rows:
            break
        last = rows[-1][0]
        found = [{"request_id": rid, "satisfaction": value, "rated_at": at, "created_at": now}
                 for rid, value, at in rows if rid not in rated]  # fmt: skip
        if found:
            bind.execute(ratings.insert(), found)


def downgrade() -> None:
    op.drop_index(op.f("ix_request_ratings_request_id"), table_name="request_ratings")
    op.drop_table("request_ratings")
