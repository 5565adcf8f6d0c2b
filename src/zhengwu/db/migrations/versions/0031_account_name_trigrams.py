"""accounts: trigram indexes for the name search in a matrix's members (PostgreSQL)

``GET /api/matrices/{id}/members?q=`` (and the console's member search) looks for a
substring of the account's name or UID: ``LIKE '%…%'`` / ``ILIKE``, which no B-tree serves,
so every account was read — 0.5–2 s for the national matrix's 180,000. A GIN index of
pg_trgm's trigrams on ``accounts.name`` and ``accounts.uid`` finds the matches of a pattern
of three characters or more (Chinese ones too: pg_trgm hashes them) in about a millisecond.

PostgreSQL only, and only where pg_trgm can be had: it is created (in the schema
``public``, not the one the tables are in, so that dropping one of several schemas of a
database does not drop the extension under the others) unless it is installed already —
anywhere: its operator class is named with that schema. Without pg_trgm (not available, or
the role may not create it) there is no index and the search reads the accounts as before;
once the DBA has run ``CREATE EXTENSION pg_trgm``, create the two indexes by hand
(``CREATE INDEX ix_accounts_name_trgm ON accounts USING gin (name gin_trgm_ops)``, the same
for ``uid``).
SQLite: nothing (it has no such index; the search reads the accounts).

The downgrade drops the indexes and leaves the extension: it belongs to the database, and
other schemas or applications may use it.

Revision ID: 0031
Revises: 0030
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None

INDEXES = {"ix_accounts_name_trgm": "name", "ix_accounts_uid_trgm": "uid"}


def _trigram_schema(conn: sa.Connection) -> str | None:
    """Return the schema of pg_trgm, created in ``public`` if need be (None: not to be had)."""
    installed = sa.text(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace"
        " WHERE e.extname = 'pg_trgm'"
    )
    schema = conn.scalar(installed)
    if schema is not None:
        return str(schema)
    available = "SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'"
    if conn.scalar(sa.text(available)) is None:
        return None
    try:
        with conn.begin_nested():  # a refusal (privilege, no schema public) must not end the run
            conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public"))
    except sa.exc.DBAPIError:
        return None
    return "public"


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    schema = _trigram_schema(conn)
    if schema is None:
        return
    ops = f"{conn.dialect.identifier_preparer.quote_schema(schema)}.gin_trgm_ops"
    for name, column in INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON accounts USING gin ({column} {ops})")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
