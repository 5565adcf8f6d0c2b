"""accounts: an index of the 1- and 2-character grams of names and UIDs (PostgreSQL)

The name search in a matrix's members (``GET /api/matrices/{id}/members?q=``, the console's
member search) finds a pattern of three characters or more by pg_trgm's indexes (0031).
One or two characters — in Chinese the common case: 公安, 郑州, 发布 — have no trigram, so
every account was read: 0.2–0.5 s a page for the national matrix's 180,000 members.

``account_short_grams(name, uid)`` returns every character and every pair of adjacent
characters of ``lower(name)`` and ``lower(uid)``; a GIN index of it
(``ix_accounts_short_grams``) finds the accounts holding a one- or two-character needle
(``… @> ARRAY[lower(q)]``). ``chr(1)`` separates the pairs while they are cut (a pair holding
it is lost, so a needle with ``chr(1)`` does not use the index) and the name from the UID.
The function is PL/pgSQL with a cost of 100 (≈ 4 µs a call against ≈ 0.05 µs for one
``LIKE``): it is not inlined, so the planner charges what a scan evaluating it per row would
cost and prefers the index; ``accounts.service`` leaves the condition out when the planner
would not use the index anyway (a needle nearly every account holds).

PostgreSQL only (no extension needed); SQLite: nothing. The downgrade drops both.

Revision ID: 0034
Revises: 0031
Create Date: 2026-11-25
"""

from __future__ import annotations

from alembic import op

revision = "0034"
down_revision = "0031"
branch_labels = None
depends_on = None

# Every function it calls is in pg_catalog, so an index build or ANALYZE run with another
# search_path (pg_dump's restore, autovacuum) computes the same grams.
FUNCTION = r"""
CREATE FUNCTION account_short_grams(name text, uid text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE COST 100 AS $$
DECLARE
  lowered text := lower(name) || chr(1) || lower(uid);
BEGIN
  -- The characters, then the pairs starting at odd and at even positions.
  RETURN string_to_array(lowered, NULL)
    || string_to_array(regexp_replace(lowered, '(..)', '\1' || chr(1), 'g'), chr(1))
    || string_to_array(regexp_replace(substr(lowered, 2), '(..)', '\1' || chr(1), 'g'), chr(1));
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(FUNCTION)
    op.execute(
        "CREATE INDEX ix_accounts_short_grams ON accounts USING gin (account_short_grams(name, uid))"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_accounts_short_grams")
    op.execute("DROP FUNCTION IF EXISTS account_short_grams(text, text)")
