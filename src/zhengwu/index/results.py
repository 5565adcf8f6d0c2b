"""Where index runs are kept: tables in the analytics store, read by CLI, console and reports.

* ``index_runs`` — one row per run: system (name, version, digest), period, options, notes
  and the methodology text actually used.
* ``index_scores`` — one row per account and platform with four lists aligned with the
  run's items (``item_dimensions`` / ``item_indicators`` in ``index_runs``: the indicators,
  then one item per dimension with indicator ``''``): raw value, normalised 0–100,
  effective weight (inside the dimension for an indicator, in the score for a dimension)
  and contribution in score points. The indicator contributions of an account add up to
  its score, and so do the dimension contributions. ``index_score_items`` shows the same
  rows in long form.
* ``index_totals`` — per account and platform, and per organisation across platforms
  (``platform = 'all'``, ``entity = 'organization'``): score, rank, peer size, percentile,
  missing dimensions, compliance and exclusion.
* ``index_matrix_members`` — the matrix memberships the run used (rankings by matrix).
* ``index_matrix`` — the matrix index per matrix and platform.
* ``index_regions`` — names of the provinces and cities rankings group by.

Rankings inside a sector, level, province, city or matrix are derived when read, from the
stored platform order (one window over integer ranks), so nothing is recomputed and the
run does not write a row per account for every possible grouping.

A run id is ``<system>/<period>``: running the same system over the same period again
replaces the earlier results (only with the same configuration, unless told otherwise:
:mod:`zhengwu.index.configuration`), and "the previous period" of a run is found by its
label.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC
from typing import Any

import duckdb

from zhengwu.errors import NotFoundError

DDL = [
    """CREATE TABLE IF NOT EXISTS index_runs (
        run_id VARCHAR PRIMARY KEY, system VARCHAR NOT NULL, system_kind VARCHAR,
        system_version VARCHAR, system_digest VARCHAR, period VARCHAR NOT NULL,
        period_kind VARCHAR, week_start VARCHAR, start_date DATE, end_date DATE, days INTEGER,
        check_date DATE, compliance_window_days INTEGER, reply_check BOOLEAN,
        created_at TIMESTAMP, seconds DOUBLE, n_accounts INTEGER, n_failing INTEGER,
        item_dimensions VARCHAR[], item_indicators VARCHAR[], item_fallback BOOLEAN[],
        notes VARCHAR[], methodology VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS index_scores (
        run_id VARCHAR NOT NULL, platform VARCHAR NOT NULL, account_uid VARCHAR NOT NULL,
        account_id BIGINT, score DOUBLE, tie_value DOUBLE, posts BIGINT, dims_missing VARCHAR[],
        raw DOUBLE[], normalised DOUBLE[], weight DOUBLE[], contribution DOUBLE[])""",
    """CREATE TABLE IF NOT EXISTS index_totals (
        run_id VARCHAR NOT NULL, platform VARCHAR NOT NULL, entity VARCHAR NOT NULL,
        account_uid VARCHAR NOT NULL, account_id BIGINT, organization_id BIGINT, name VARCHAR,
        org_name VARCHAR, sector VARCHAR, level VARCHAR, province VARCHAR, city VARCHAR,
        score DOUBLE, rank INTEGER, rank_with_failing INTEGER, peer_key VARCHAR,
        peer_size INTEGER, percentile DOUBLE, dims_missing VARCHAR[], compliance VARCHAR,
        compliance_reasons VARCHAR[], excluded BOOLEAN, tie_value DOUBLE, posts BIGINT)""",
    """CREATE TABLE IF NOT EXISTS index_matrix_members (
        run_id VARCHAR NOT NULL, matrix_id BIGINT NOT NULL, account_id BIGINT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS index_matrix (
        run_id VARCHAR NOT NULL, matrix_id BIGINT NOT NULL, matrix_name VARCHAR,
        platform VARCHAR NOT NULL, members INTEGER, scored INTEGER, organizations INTEGER,
        organizations_on_platform INTEGER, top_mean DOUBLE, coverage DOUBLE, activity DOUBLE,
        score DOUBLE, rank INTEGER)""",
    """CREATE TABLE IF NOT EXISTS index_regions (adcode VARCHAR PRIMARY KEY, name VARCHAR)""",
    # The score lists in long form: one row per account and item, for SQL consumers.
    """CREATE OR REPLACE VIEW index_score_items AS
        SELECT s.run_id, s.platform, s.account_uid, i AS item,
               r.item_dimensions[i] AS dimension, r.item_indicators[i] AS indicator,
               r.item_fallback[i] AS is_fallback, s.raw[i] AS raw,
               s.normalised[i] AS normalised, s.weight[i] AS weight,
               s.contribution[i] AS contribution
        FROM (SELECT *, unnest(range(1, len(raw) + 1)) AS i FROM index_scores) s
        JOIN index_runs r USING (run_id)""",
]
RESULT_TABLES = (
    "index_scores", "index_totals", "index_matrix_members", "index_matrix", "index_runs",
)  # fmt: skip


SCHEMA_VERSION = 2
_ALL_TABLES = (*RESULT_TABLES, "index_regions")


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the index tables in the analytics store (recreated if their layout changed)."""
    con.execute("CREATE TABLE IF NOT EXISTS index_schema (version INTEGER)")
    row = con.execute("SELECT max(version) FROM index_schema").fetchone()
    if row is not None and row[0] is not None and row[0] != SCHEMA_VERSION:
        # Index results are derived data: a store written by another layout is dropped and
        # the runs are computed again, rather than read with the wrong columns.
        con.execute("DROP VIEW IF EXISTS index_score_items")
        for table in _ALL_TABLES:
            con.execute(f"DROP TABLE IF EXISTS {table}")
    if row is None or row[0] != SCHEMA_VERSION:
        con.execute("DELETE FROM index_schema")
        con.execute(f"INSERT INTO index_schema VALUES ({SCHEMA_VERSION})")
    for ddl in DDL:
        con.execute(ddl)


def delete_run(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """Remove every stored row of ``run_id`` (before it is written again)."""
    for table in RESULT_TABLES:
        con.execute(f"DELETE FROM {table} WHERE run_id = ?", [run_id])


def run_id_for(system: str, period_label: str) -> str:
    """Return the id of the run of ``system`` over the period labelled ``period_label``."""
    return f"{system}/{period_label}"


def _stored(con: duckdb.DuckDBPyConnection) -> bool:
    """Tell whether the store has index results of this layout (read paths never create)."""
    row = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'index_schema'"
    ).fetchall()
    if not row[0][0]:
        return False
    version = con.execute("SELECT max(version) FROM index_schema").fetchall()
    return bool(version[0][0] == SCHEMA_VERSION)


def get_run(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, Any]:
    """Return the stored run ``run_id`` as a mapping, or raise NotFoundError."""
    if _stored(con):
        cur = con.execute("SELECT * FROM index_runs WHERE run_id = ?", [run_id])
        names = [d[0] for d in cur.description or []]
        for row in cur.fetchall():
            return _aware(dict(zip(names, row, strict=True)))
    system, _, label = run_id.partition("/")
    command = f"zhengwu index run --system {system} --period {label}"
    # The periods this system has (the demo's is 2025-07-01..2025-07-30, not 2025-07).
    stored = [r["period"] for r in list_runs(con) if r["system"] == system]
    if stored:
        listing = ", ".join(stored[:5]) + (f" … (+{len(stored) - 5})" if len(stored) > 5 else "")
        raise NotFoundError(
            f"没有计算结果 {run_id}；{system} 已有的期间：{listing}；或先运行 {command}",
            f"no stored run {run_id}; {system} has the periods {listing}; or run `{command}` first",
        )
    raise NotFoundError(
        f"没有计算结果 {run_id}；请先运行 {command}",
        f"no stored run {run_id}; run `{command}` first",
    )


def find_run(con: duckdb.DuckDBPyConnection, system: str, period_label: str) -> str | None:
    """Return the run id of ``system`` over ``period_label`` if it is stored."""
    if not _stored(con):
        return None
    run_id = run_id_for(system, period_label)
    rows = con.execute("SELECT 1 FROM index_runs WHERE run_id = ?", [run_id]).fetchall()
    return run_id if rows else None


def list_runs(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Return every stored run, newest period first."""
    if not _stored(con):
        return []
    cur = con.execute(
        "SELECT run_id, system, period, period_kind, start_date, end_date, n_accounts, "
        "n_failing, created_at, seconds, system_version, system_digest, "
        "compliance_window_days, reply_check FROM index_runs ORDER BY end_date DESC, run_id"
    )
    names = [d[0] for d in cur.description or []]
    return [_aware(dict(zip(names, row, strict=True))) for row in cur.fetchall()]


def _aware(run: dict[str, Any]) -> dict[str, Any]:
    """Return a run row with ``created_at`` (naive UTC in the store) as an aware UTC time."""
    # Every API time carries its offset: a naive one would be read as local time.
    if run.get("created_at") is not None:
        run["created_at"] = run["created_at"].replace(tzinfo=UTC)
    return run


def preferred_run(
    con: duckdb.DuckDBPyConnection, platforms: Iterable[str] | None = None, *, prefer: str
) -> dict[str, Any] | None:
    """Return the stored run to quote for accounts on ``platforms`` (any platform: None).

    Only runs that rank accounts on one of ``platforms`` count (a WeChat-only system says
    nothing of a Weibo account); of those, the latest period wins, and on the same period
    the system ``prefer`` (the default system) comes first. None when no run fits.
    """
    if not _stored(con):
        return None
    wanted = sorted(set(platforms)) if platforms is not None else None
    if wanted == []:
        return None
    where = "t.platform IN (SELECT unnest(?))" if wanted is not None else "TRUE"
    params: list[Any] = [wanted] if wanted is not None else []
    cur = con.execute(
        f"""SELECT r.* FROM index_runs r
            WHERE EXISTS (SELECT 1 FROM index_totals t WHERE t.run_id = r.run_id
                          AND t.entity = 'account' AND {where})
            ORDER BY r.end_date DESC, r.system <> ?, r.run_id LIMIT 1""",
        [*params, prefer],
    )
    names = [d[0] for d in cur.description or []]
    for row in cur.fetchall():
        return _aware(dict(zip(names, row, strict=True)))
    return None


def main_platform(con: duckdb.DuckDBPyConnection, run_id: str) -> str:
    """Return the platform with the most accounts in a run (the default of a ranking)."""
    rows = con.execute(
        "SELECT platform FROM index_totals WHERE run_id = ? AND entity = 'account' "
        "GROUP BY platform ORDER BY count(*) DESC, platform LIMIT 1",
        [run_id],
    ).fetchall()
    return str(rows[0][0]) if rows else "all"
