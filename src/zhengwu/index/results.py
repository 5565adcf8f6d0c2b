"""Where index runs are kept: tables in the analytics store, read by CLI, console and reports.

* ``index_runs`` — one row per run: system (name, version, digest), period, options, notes
  and the methodology text actually used.
* ``index_scores`` — per account the indicator rows (raw value, normalised 0–100, effective
  weight inside its dimension, contribution in score points) and one row per dimension
  (``indicator = ''``: dimension score, effective dimension weight, contribution).
  Contributions of an account add up to its score.
* ``index_totals`` — per account and platform, and per organisation across platforms
  (``platform = 'all'``, ``entity = 'organization'``): score, rank, peer size, percentile,
  missing dimensions, compliance and exclusion.
* ``index_rankings`` — the rank of each entity inside each grouping (whole platform,
  sector, level, province, city, matrix), with and without failing accounts.
* ``index_matrix`` — the matrix index per matrix and platform.

A run id is ``<system>/<period>``: running the same system over the same period again
replaces the earlier results, and "the previous period" of a run is found by its label.
"""

from __future__ import annotations

from typing import Any

import duckdb

from zhengwu.errors import NotFoundError

DDL = [
    """CREATE TABLE IF NOT EXISTS index_runs (
        run_id VARCHAR PRIMARY KEY, system VARCHAR NOT NULL, system_kind VARCHAR,
        system_version VARCHAR, system_digest VARCHAR, period VARCHAR NOT NULL,
        period_kind VARCHAR, start_date DATE, end_date DATE, days INTEGER, check_date DATE,
        compliance_window_days INTEGER, reply_check BOOLEAN,
        created_at TIMESTAMP, seconds DOUBLE, n_accounts INTEGER, n_failing INTEGER,
        notes VARCHAR[], methodology VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS index_scores (
        run_id VARCHAR NOT NULL, platform VARCHAR NOT NULL, account_uid VARCHAR NOT NULL,
        dimension VARCHAR NOT NULL, indicator VARCHAR NOT NULL, is_fallback BOOLEAN,
        raw DOUBLE, normalised DOUBLE, weight DOUBLE, contribution DOUBLE)""",
    """CREATE TABLE IF NOT EXISTS index_totals (
        run_id VARCHAR NOT NULL, platform VARCHAR NOT NULL, entity VARCHAR NOT NULL,
        account_uid VARCHAR NOT NULL, account_id BIGINT, organization_id BIGINT, name VARCHAR,
        org_name VARCHAR, sector VARCHAR, level VARCHAR, adcode VARCHAR, province VARCHAR,
        city VARCHAR, score DOUBLE, rank INTEGER, rank_with_failing INTEGER,
        peer_key VARCHAR, peer_size INTEGER, percentile DOUBLE, dims_missing VARCHAR[],
        renormalised BOOLEAN, compliance VARCHAR, compliance_reasons VARCHAR[],
        excluded BOOLEAN, tie_value DOUBLE, posts BIGINT, active BOOLEAN)""",
    """CREATE TABLE IF NOT EXISTS index_rankings (
        run_id VARCHAR NOT NULL, platform VARCHAR NOT NULL, grouping VARCHAR NOT NULL,
        group_key VARCHAR NOT NULL, group_name VARCHAR, account_uid VARCHAR NOT NULL,
        rank INTEGER, rank_with_failing INTEGER, group_size INTEGER,
        group_size_with_failing INTEGER)""",
    """CREATE TABLE IF NOT EXISTS index_matrix (
        run_id VARCHAR NOT NULL, matrix_id BIGINT NOT NULL, matrix_name VARCHAR,
        platform VARCHAR NOT NULL, members INTEGER, scored INTEGER, organizations INTEGER,
        organizations_on_platform INTEGER, top_mean DOUBLE, coverage DOUBLE, activity DOUBLE,
        score DOUBLE, rank INTEGER)""",
]
RESULT_TABLES = ("index_scores", "index_totals", "index_rankings", "index_matrix", "index_runs")


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the index tables in the analytics store if they do not exist."""
    for ddl in DDL:
        con.execute(ddl)


def delete_run(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """Remove every stored row of ``run_id`` (before it is written again)."""
    for table in RESULT_TABLES:
        con.execute(f"DELETE FROM {table} WHERE run_id = ?", [run_id])


def run_id_for(system: str, period_label: str) -> str:
    """Return the id of the run of ``system`` over the period labelled ``period_label``."""
    return f"{system}/{period_label}"


def get_run(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, Any]:
    """Return the stored run ``run_id`` as a mapping, or raise NotFoundError."""
    ensure_tables(con)
    cur = con.execute("SELECT * FROM index_runs WHERE run_id = ?", [run_id])
    row = cur.fetchone()
    if row is None:
        raise NotFoundError(
            f"没有计算结果 {run_id}；请先运行 zhengwu index run",
            f"no stored run {run_id}; run `zhengwu index run` first",
        )
    names = [d[0] for d in cur.description or []]
    return dict(zip(names, row, strict=True))


def find_run(con: duckdb.DuckDBPyConnection, system: str, period_label: str) -> str | None:
    """Return the run id of ``system`` over ``period_label`` if it is stored."""
    ensure_tables(con)
    run_id = run_id_for(system, period_label)
    row = con.execute("SELECT 1 FROM index_runs WHERE run_id = ?", [run_id]).fetchone()
    return run_id if row else None


def list_runs(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Return every stored run, newest period first."""
    ensure_tables(con)
    cur = con.execute(
        "SELECT run_id, system, period, period_kind, start_date, end_date, n_accounts, "
        "n_failing, created_at, seconds FROM index_runs ORDER BY end_date DESC, run_id"
    )
    names = [d[0] for d in cur.description or []]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
