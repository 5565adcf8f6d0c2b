"""servicedesk: a one-row change stamp of the desk configuration, kept by triggers

The desk snapshot (``servicedesk/snapshot.py``) is rebuilt when the configuration it holds
changes. It used to notice that with counts and maxima over its tables, which at national
scale (700k matrix members) cost a full scan of ``matrix_members`` per intake. Now every
write to a watched table replaces the token of the one row of ``desk_config_stamp``, from
a trigger, so whatever writes (the ORM, a raw ``INSERT`` of an import, another process, a
``psql`` session) moves the stamp in the same transaction, and the snapshot reads one row.

Watched: request_categories, routing_rules, routing_table_versions, matrices,
matrix_members (every insert, update, delete), accounts (a change of organization_id, a
delete), organizations (every change: cheap, and a rename or removal must be seen).

The token is never reused, even after a rollback (so a snapshot read inside a transaction
that was then rolled back can never match a later state): PostgreSQL draws it from the
sequence ``desk_config_seq`` (one statement-level trigger per table and operation, TRUNCATE
included); SQLite has no statement triggers nor sequences, so each changed row writes a
random 64-bit token. The row is written with an upsert, so it comes back if deleted.

Keep in mind: on SQLite, ``op.batch_alter_table`` rebuilds a table and loses its triggers;
a later migration that does so on a watched table must call :func:`create_triggers` again
(tests/db/test_migrations.py checks the triggers exist at every head).

Revision ID: 0017
Revises: 0015
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0015"
branch_labels = None
depends_on = None

# table → (the one column whose UPDATE moves the stamp, None: any; whether INSERTs do).
# Every DELETE (and on PostgreSQL every TRUNCATE) does.
WATCHED: dict[str, tuple[str | None, bool]] = {
    "request_categories": (None, True),
    "routing_rules": (None, True),
    "routing_table_versions": (None, True),
    "matrices": (None, True),
    "matrix_members": (None, True),
    "accounts": ("organization_id", False),  # inserts are not in any matrix yet
    "organizations": (None, True),
}

_PG_FUNCTION = """
CREATE FUNCTION desk_config_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO desk_config_stamp (id, token) VALUES (1, nextval('desk_config_seq'))
    ON CONFLICT (id) DO UPDATE SET token = EXCLUDED.token;
    RETURN NULL;
END
$$
"""

_SQLITE_BUMP = "INSERT OR REPLACE INTO desk_config_stamp (id, token) VALUES (1, random());"


def _events(table: str) -> list[tuple[str, str]]:
    """Return (suffix, event) of the triggers of ``table``."""
    column, inserts = WATCHED[table]
    events = [("upd", f"UPDATE OF {column}" if column else "UPDATE"), ("del", "DELETE")]
    return ([("ins", "INSERT")] if inserts else []) + events


def create_triggers(tables: list[str] | None = None) -> None:
    """Create the stamp's triggers on ``tables`` (default: every watched table)."""
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in tables or list(WATCHED):
        if postgres:
            events = " OR ".join(e for _, e in _events(table)) + " OR TRUNCATE"
            op.execute(
                f"CREATE TRIGGER desk_config_{table} AFTER {events} ON {table}"
                " FOR EACH STATEMENT EXECUTE FUNCTION desk_config_bump()"
            )
            continue
        for suffix, event in _events(table):
            op.execute(
                f"CREATE TRIGGER desk_config_{table}_{suffix} AFTER {event} ON {table}"
                f" FOR EACH ROW BEGIN {_SQLITE_BUMP} END"
            )


def drop_triggers() -> None:
    """Drop every trigger :func:`create_triggers` made."""
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in WATCHED:
        if postgres:
            op.execute(f"DROP TRIGGER IF EXISTS desk_config_{table} ON {table}")
            continue
        for suffix, _ in _events(table):
            op.execute(f"DROP TRIGGER IF EXISTS desk_config_{table}_{suffix}")


def upgrade() -> None:
    op.create_table(
        "desk_config_stamp",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_desk_config_stamp")),
    )
    op.execute("INSERT INTO desk_config_stamp (id, token) VALUES (1, 0)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE SEQUENCE desk_config_seq")
        op.execute(_PG_FUNCTION)
    create_triggers()


def downgrade() -> None:
    drop_triggers()
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION desk_config_bump()")
        op.execute("DROP SEQUENCE desk_config_seq")
    op.drop_table("desk_config_stamp")
