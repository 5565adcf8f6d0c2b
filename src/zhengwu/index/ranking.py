"""Rankings: by platform, sector, level, province, city and matrix, with movement and exclusions.

The run stores one order per platform (``rank_with_failing`` in ``index_totals``: score,
then the system's tie-break metric, then uid) and the compliant rank. A ranking inside a
sector, level, province, city or matrix is that same order restricted to the group, so it
is derived when read by one window over integer ranks — nothing is recomputed. Movement
compares with the run of the same system over the previous period of the same kind
(``2025-Q3`` → ``2025-Q2``): positive = moved up, ``"new"`` = not ranked in that group
before, None = no previous run stored.
"""

from __future__ import annotations

from typing import Any

import duckdb

from zhengwu.errors import InvalidInputError
from zhengwu.index import results
from zhengwu.index.periods import parse_period

GROUPINGS = ("platform", "sector", "level", "province", "city", "matrix")


def _check(by: str) -> None:
    if by not in GROUPINGS:
        raise InvalidInputError(
            f"未知的排行分组 {by!r}；可用：{', '.join(GROUPINGS)}",
            f"unknown grouping {by!r}; choose one of {', '.join(GROUPINGS)}",
        )


def grouped(by: str, run: str) -> str:
    """Return SQL of the run's totals (param ``$<run>``) with ``group_key`` and ``group_name``."""
    _check(by)
    totals = f"(SELECT * FROM index_totals WHERE run_id = ${run})"
    if by == "platform":
        return f"SELECT t.*, t.platform AS group_key, t.platform AS group_name FROM {totals} t"
    if by in ("sector", "level"):
        return f"SELECT t.*, t.{by} AS group_key, t.{by} AS group_name FROM {totals} t WHERE t.{by} IS NOT NULL"
    if by in ("province", "city"):
        return (
            f"SELECT t.*, t.{by} AS group_key, coalesce(r.name, t.{by}) AS group_name "
            f"FROM {totals} t LEFT JOIN index_regions r ON r.adcode = t.{by} "
            f"WHERE t.{by} IS NOT NULL AND t.{by} <> ''"
        )
    # Matrix: member accounts; an organisation belongs to the matrices of its accounts.
    members = f"(SELECT * FROM index_matrix_members WHERE run_id = ${run})"
    names = f"(SELECT DISTINCT matrix_id, matrix_name FROM index_matrix WHERE run_id = ${run})"
    # (A join on "account OR organisation" would be a nested loop; two joins are hash joins.)
    return f"""
        SELECT t.*, CAST(m.matrix_id AS VARCHAR) AS group_key, n.matrix_name AS group_name
        FROM {totals} t JOIN {members} m ON m.account_id = t.account_id
        JOIN {names} n ON n.matrix_id = m.matrix_id
        WHERE t.entity = 'account'
        UNION ALL
        SELECT t.*, CAST(m.matrix_id AS VARCHAR), n.matrix_name
        FROM {totals} t
        JOIN (SELECT DISTINCT m.matrix_id, a.organization_id
              FROM {members} m JOIN {totals} a ON a.account_id = m.account_id
              WHERE a.organization_id IS NOT NULL) m ON m.organization_id = t.organization_id
        JOIN {names} n ON n.matrix_id = m.matrix_id
        WHERE t.entity = 'organization'"""


def _ranked(by: str, run: str, where: str) -> str:
    # Group ranks follow the stored platform order; the window sorts narrow rows only.
    return f"""
        WITH g AS (SELECT * FROM ({grouped(by, run)}) WHERE {where}),
        k AS (SELECT group_key, account_uid,
                     CASE WHEN NOT excluded THEN
                          sum(CASE WHEN excluded THEN 0 ELSE 1 END) OVER w END AS group_rank,
                     row_number() OVER w AS group_rank_with_failing
              FROM g WINDOW w AS (PARTITION BY group_key ORDER BY rank_with_failing
                                  ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)),
        sz AS (SELECT group_key, count(*) FILTER (WHERE NOT excluded) AS group_size,
                      count(*) AS group_size_with_failing FROM g GROUP BY ALL)
        SELECT g.*, k.group_rank, k.group_rank_with_failing, sz.group_size,
               sz.group_size_with_failing
        FROM g JOIN k USING (group_key, account_uid) JOIN sz USING (group_key)"""


def previous_run(con: duckdb.DuckDBPyConnection, run_id: str) -> str | None:
    """Return the stored run of the same system over the previous period, if any."""
    run = results.get_run(con, run_id)
    before = parse_period(run["period"], week_start=run["week_start"]).previous()
    return results.find_run(con, run["system"], before.label)


def _rows(cur: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    names = [d[0] for d in cur.description or []]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def ranking(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    *,
    platform: str,
    by: str = "platform",
    group: str | None = None,
    top: int | None = None,
    include_failing: bool = False,
) -> dict[str, Any]:
    """Return a ranking of run ``run_id``: groups with their rows, movement and exclusions."""
    _check(by)
    run = results.get_run(con, run_id)
    prev = previous_run(con, run_id)
    where = "platform = $platform"
    params: dict[str, Any] = {"run": run_id, "prev": prev or "", "platform": platform}
    if group is not None:
        where += " AND (group_key = $group OR group_name = $group)"
        params["group"] = group
    rank = "group_rank_with_failing" if include_failing else "group_rank"
    shown = "true" if top is None else f"(c.excluded OR c.{rank} <= {int(top)})"
    cur = con.execute(
        f"""WITH cur AS ({_ranked(by, "run", where)}),
                 before AS ({_ranked(by, "prev", where)})
            SELECT c.group_key, c.group_name, c.{rank} AS rank, b.{rank} AS previous_rank,
                   b.{rank} - c.{rank} AS movement, c.account_uid, c.name, c.org_name,
                   c.sector, c.level, c.score, c.percentile, c.compliance,
                   c.compliance_reasons, c.excluded, c.dims_missing, c.group_size,
                   c.group_size_with_failing
            FROM cur c LEFT JOIN before b
              ON b.group_key = c.group_key AND b.account_uid = c.account_uid
            WHERE {shown}
            ORDER BY c.group_key, c.group_rank_with_failing""",
        params,
    )
    groups: dict[str, dict[str, Any]] = {}
    excluded: list[dict[str, Any]] = []
    for row in _rows(cur):
        entry = groups.setdefault(row["group_key"], {
            "group_key": row["group_key"], "group_name": row["group_name"],
            "size": row["group_size"], "size_with_failing": row["group_size_with_failing"],
            "excluded_count": row["group_size_with_failing"] - row["group_size"], "rows": [],
        })  # fmt: skip
        for key in ("group_name", "group_size", "group_size_with_failing"):
            row.pop(key)
        if row["excluded"]:
            excluded.append({k: row[k] for k in ("group_key", "account_uid", "name", "score",
                                                  "compliance_reasons")})  # fmt: skip
            if not include_failing:
                continue
        if prev is None:
            row["movement"] = None
        elif row["previous_rank"] is None:
            row["movement"] = "new"
        if top is None or row["rank"] <= top:
            entry["rows"].append({k: v for k, v in row.items() if k != "group_key"})
    return {
        "run_id": run_id, "system": run["system"], "period": run["period"],
        "previous_run": prev, "platform": platform, "by": by,
        "include_failing": include_failing, "excluded_count": len(excluded),
        "excluded": excluded, "groups": list(groups.values()),
    }  # fmt: skip


def top_lists(
    con: duckdb.DuckDBPyConnection, run_id: str, *, top: int = 20
) -> list[dict[str, Any]]:
    """Return the Top-N compliant entities of every platform × grouping × group of a run."""
    # min_by(…, n) keeps the n best per group in one hash aggregate: no sort of every row.
    parts = [
        f"""SELECT platform, '{by}' AS grouping, group_key, any_value(group_name) AS group_name,
                   min_by(account_uid, rank_with_failing, {int(top)})
                       FILTER (WHERE NOT excluded) AS top,
                   count(*) FILTER (WHERE NOT excluded) AS size,
                   count(*) FILTER (WHERE excluded) AS excluded
            FROM ({grouped(by, "run")}) GROUP BY ALL"""
        for by in GROUPINGS
    ]
    cur = con.execute(
        " UNION ALL ".join(parts) + " ORDER BY platform, grouping, group_key", {"run": run_id}
    )
    return _rows(cur)
