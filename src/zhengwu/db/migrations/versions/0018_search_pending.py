"""search: a queue of changed accounts and requests, kept by triggers, replaces the watermark

The incremental search refresh used to pull the accounts and requests whose
``(updated_at, id)`` passed a watermark. That misses rows: on PostgreSQL a long
transaction (an account import, a desk CSV batch) stamps its rows when it writes them
but makes them visible when it commits, so a refresh running meanwhile could move the
watermark past them for good; a replay on the desk's as-of clock stamps rows in the past.
Now every change that alters a document is queued, in the same transaction, by a
trigger: whatever writes (the ORM, a bulk import, COPY, ``psql``) queues it, and the
refresh takes changes off the queue (``zhengwu.search.indexer.refresh``).

Queued (kind, row id): an inserted, deleted or updated account (name, verification
reason, organisation, 政务 flag) or request (public id, masked text, organisation,
matrix), and every account of an organisation whose name changes. An update that changes
none of those columns queues nothing (follower counts change on every import).

Upgrade: the rows changed since each kind's watermark (every row where a kind has none)
are queued, so nothing changed before the upgrade is lost; the watermark columns and the
``(updated_at, id)`` index of accounts that served them are dropped.

Keep in mind: on SQLite, ``op.batch_alter_table`` rebuilds a table and loses its triggers;
a later migration that does so on accounts, service_requests or organizations must call
:func:`create_triggers` again (tests/db/test_migrations.py checks them at every head).

Revision ID: 0018
Revises: 0009
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import zhengwu.db.base

revision = "0018"
down_revision = "0009"
branch_labels = None
# After the migrations that create or alter the watched tables (0014: organizations, after
# 0012, the index dropped here; 0017: the desk branch, service_requests included).
depends_on = ("0014", "0017")

# table → (kind queued, columns whose change queues the row).
WATCHED: dict[str, tuple[str, tuple[str, ...]]] = {
    "accounts": ("accounts", ("name", "verified_reason", "organization_id", "is_government")),
    "service_requests": ("requests", ("public_id", "text_masked", "organization_id", "matrix_id")),
}
# An organisation's rename queues its accounts (their documents carry its name).
_ORG_ACCOUNTS = "SELECT 'accounts', id FROM accounts WHERE organization_id = NEW.id"

_PG_ROW_FUNCTION = """
CREATE FUNCTION search_pending_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO search_pending (kind, row_id) VALUES (TG_ARGV[0], OLD.id);
    ELSE
        INSERT INTO search_pending (kind, row_id) VALUES (TG_ARGV[0], NEW.id);
    END IF;
    RETURN NULL;
END
$$
"""
_PG_ORG_FUNCTION = f"""
CREATE FUNCTION search_pending_org() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_pending (kind, row_id) {_ORG_ACCOUNTS};
    RETURN NULL;
END
$$
"""


def _changed(columns: tuple[str, ...], postgres: bool) -> str:
    differ = "IS DISTINCT FROM" if postgres else "IS NOT"
    return " OR ".join(f"OLD.{c} {differ} NEW.{c}" for c in columns)


def trigger_names() -> dict[str, list[str]]:
    """Return {table: the names of its search_pending triggers} (SQLite: one per event)."""
    names = {t: [f"search_pending_{t}_{e}" for e in ("ins", "upd", "del")] for t in WATCHED}
    names["organizations"] = ["search_pending_organizations_upd"]
    return names


def create_triggers() -> None:
    """Create the triggers that queue changed documents."""
    postgres = op.get_bind().dialect.name == "postgresql"
    for table, (kind, columns) in WATCHED.items():
        if postgres:
            for event, when in (("ins", "INSERT"), ("upd", "UPDATE"), ("del", "DELETE")):
                condition = f" WHEN ({_changed(columns, True)})" if event == "upd" else ""
                op.execute(
                    f"CREATE TRIGGER search_pending_{table}_{event} AFTER {when} ON {table}"
                    f" FOR EACH ROW{condition} EXECUTE FUNCTION search_pending_row('{kind}')"
                )
            continue
        insert = f"INSERT INTO search_pending (kind, row_id) VALUES ('{kind}', NEW.id);"
        op.execute(
            f"CREATE TRIGGER search_pending_{table}_ins AFTER INSERT ON {table}"
            f" FOR EACH ROW BEGIN {insert} END"
        )
        op.execute(
            f"CREATE TRIGGER search_pending_{table}_upd AFTER UPDATE OF {', '.join(columns)}"
            f" ON {table} FOR EACH ROW WHEN {_changed(columns, False)} BEGIN {insert} END"
        )
        op.execute(
            f"CREATE TRIGGER search_pending_{table}_del AFTER DELETE ON {table} FOR EACH ROW"
            f" BEGIN INSERT INTO search_pending (kind, row_id) VALUES ('{kind}', OLD.id); END"
        )
    if postgres:
        op.execute(
            "CREATE TRIGGER search_pending_organizations_upd AFTER UPDATE ON organizations"
            " FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)"
            " EXECUTE FUNCTION search_pending_org()"
        )
    else:
        op.execute(
            "CREATE TRIGGER search_pending_organizations_upd AFTER UPDATE OF name ON organizations"
            " FOR EACH ROW WHEN OLD.name IS NOT NEW.name"
            f" BEGIN INSERT INTO search_pending (kind, row_id) {_ORG_ACCOUNTS}; END"
        )


def drop_triggers() -> None:
    """Drop every trigger :func:`create_triggers` made."""
    postgres = op.get_bind().dialect.name == "postgresql"
    for table, names in trigger_names().items():
        for name in names:
            op.execute(f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if postgres else ""))


def _queue_changed_since_watermark() -> None:
    """Queue the rows a refresh with the old watermark would still have indexed."""
    for table, (kind, _) in WATCHED.items():
        op.execute(
            f"""INSERT INTO search_pending (kind, row_id)
            SELECT '{kind}', t.id FROM {table} t
            LEFT JOIN search_kinds k ON k.kind = '{kind}'
            WHERE k.watermark_at IS NULL OR t.updated_at >= k.watermark_at
            ORDER BY t.id"""
        )


def upgrade() -> None:
    op.create_table(
        "search_pending",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("row_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_pending")),
    )
    op.create_index("ix_search_pending_kind_id", "search_pending", ["kind", "id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_ROW_FUNCTION)
        op.execute(_PG_ORG_FUNCTION)
    _queue_changed_since_watermark()
    create_triggers()
    with op.batch_alter_table("search_kinds") as batch:
        batch.drop_column("watermark_at")
        batch.drop_column("watermark_id")
    op.drop_index("ix_accounts_updated_at_id", table_name="accounts")


def downgrade() -> None:
    op.create_index("ix_accounts_updated_at_id", "accounts", ["updated_at", "id"], unique=False)
    with op.batch_alter_table("search_kinds") as batch:
        # No watermark: the next refresh of the older code re-indexes every row (nothing lost).
        batch.add_column(
            sa.Column("watermark_at", zhengwu.db.base.UtcDateTime(timezone=True), nullable=True)
        )
        batch.add_column(sa.Column("watermark_id", sa.Integer(), nullable=True))
    drop_triggers()
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION search_pending_org()")
        op.execute("DROP FUNCTION search_pending_row()")
    op.drop_index("ix_search_pending_kind_id", table_name="search_pending")
    op.drop_table("search_pending")
