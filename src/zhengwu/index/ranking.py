"""Rankings: by platform, sector, level, province, city and matrix, with movement and exclusions.

Every grouping is materialised at run time in ``index_rankings`` (rank among compliant
entities, and rank with failing ones included), so reading a ranking is one indexed
lookup. Movement compares with the run of the same system over the previous period of the
same kind (``2025-Q3`` → ``2025-Q2``): positive = moved up. Ties are broken as the engine
documents (score, then the system's tie-break metric, then uid).
"""

from __future__ import annotations

from typing import Any

import duckdb

from zhengwu.errors import InvalidInputError
from zhengwu.index import results
from zhengwu.index.periods import parse_period

GROUPINGS = ("platform", "sector", "level", "province", "city", "matrix")
_ORDER = "round(score, 6) DESC, tie_value DESC NULLS LAST, account_uid"


def materialise(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """Write the rank of every entity inside every grouping of run ``run_id``."""
    cols = "t.platform, t.account_uid, t.score, t.tie_value, t.excluded"
    con.execute(
        f"""INSERT INTO index_rankings
        WITH t AS (SELECT * FROM index_totals WHERE run_id = $run),
        org_matrix AS (SELECT DISTINCT m.matrix_id, m.matrix_name, a.organization_id
                       FROM members_in m JOIN acc_in a USING (account_id)
                       WHERE a.organization_id IS NOT NULL),
        g AS (
            SELECT 'platform' AS grouping, t.platform AS group_key, t.platform AS group_name, {cols} FROM t
            UNION ALL SELECT 'sector', t.sector, t.sector, {cols} FROM t WHERE t.sector IS NOT NULL
            UNION ALL SELECT 'level', t.level, t.level, {cols} FROM t WHERE t.level IS NOT NULL
            UNION ALL SELECT 'province', t.province, coalesce(r.name, t.province), {cols}
                FROM t LEFT JOIN regions_in r ON r.adcode = t.province WHERE t.province IS NOT NULL
            UNION ALL SELECT 'city', t.city, coalesce(r.name, t.city), {cols}
                FROM t LEFT JOIN regions_in r ON r.adcode = t.city WHERE t.city IS NOT NULL
            UNION ALL SELECT 'matrix', CAST(m.matrix_id AS VARCHAR), m.matrix_name, {cols}
                FROM t JOIN members_in m ON m.account_id = t.account_id WHERE t.entity = 'account'
            UNION ALL SELECT 'matrix', CAST(m.matrix_id AS VARCHAR), m.matrix_name, {cols}
                FROM t JOIN org_matrix m ON m.organization_id = t.organization_id
                WHERE t.entity = 'organization'
        )
        SELECT $run, platform, grouping, group_key, group_name, account_uid,
               CASE WHEN NOT excluded THEN row_number() OVER (
                   PARTITION BY platform, grouping, group_key, excluded ORDER BY {_ORDER}) END,
               row_number() OVER (PARTITION BY platform, grouping, group_key ORDER BY {_ORDER}),
               count(*) FILTER (WHERE NOT excluded) OVER (PARTITION BY platform, grouping, group_key),
               count(*) OVER (PARTITION BY platform, grouping, group_key)
        FROM g""",
        {"run": run_id},
    )


def previous_run(con: duckdb.DuckDBPyConnection, run_id: str) -> str | None:
    """Return the stored run of the same system over the previous period, if any."""
    run = results.get_run(con, run_id)
    week_start = "sunday" if run["period_kind"] == "week" and run["start_date"].weekday() == 6 else "monday"
    before = parse_period(run["period"], week_start=week_start).previous()
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
    if by not in GROUPINGS:
        raise InvalidInputError(
            f"未知的排行分组 {by!r}；可用：{', '.join(GROUPINGS)}",
            f"unknown grouping {by!r}; choose one of {', '.join(GROUPINGS)}",
        )
    run = results.get_run(con, run_id)
    prev = previous_run(con, run_id)
    rank_col = "rank_with_failing" if include_failing else "rank"
    where = ["k.run_id = $run", "k.platform = $platform", "k.grouping = $by"]
    params: dict[str, Any] = {"run": run_id, "platform": platform, "by": by, "prev": prev or ""}
    if group is not None:
        where.append("(k.group_key = $group OR k.group_name = $group)")
        params["group"] = group
    if top is not None:
        where.append(f"k.{rank_col} <= $top")
        params["top"] = top
    if not include_failing:
        where.append("k.rank IS NOT NULL")
    cur = con.execute(
        f"""SELECT k.group_key, k.group_name, k.{rank_col} AS rank, p.{rank_col} AS previous_rank,
                   p.{rank_col} - k.{rank_col} AS movement, k.account_uid, t.name, t.org_name,
                   t.sector, t.level, t.score, t.percentile, t.compliance, t.compliance_reasons,
                   t.excluded, t.dims_missing, k.group_size, k.group_size_with_failing
            FROM index_rankings k
            JOIN index_totals t ON t.run_id = k.run_id AND t.platform = k.platform
                               AND t.account_uid = k.account_uid
            LEFT JOIN index_rankings p ON p.run_id = $prev AND p.platform = k.platform
                 AND p.grouping = k.grouping AND p.group_key = k.group_key AND p.account_uid = k.account_uid
            WHERE {" AND ".join(where)}
            ORDER BY k.group_key, k.{rank_col}""",
        params,
    )
    rows = _rows(cur)
    excluded_where = ["k.run_id = $run", "k.platform = $platform", "k.grouping = $by", "k.rank IS NULL"]
    if group is not None:
        excluded_where.append("(k.group_key = $group OR k.group_name = $group)")
    excluded = _rows(con.execute(
        f"""SELECT k.group_key, k.account_uid, t.name, t.score, t.compliance_reasons
            FROM index_rankings k JOIN index_totals t ON t.run_id = k.run_id
                 AND t.platform = k.platform AND t.account_uid = k.account_uid
            WHERE {" AND ".join(excluded_where)} ORDER BY k.group_key, k.account_uid""",
        {k: v for k, v in params.items() if k in ("run", "platform", "by", "group")},
    ))  # fmt: skip
    groups: dict[str, dict[str, Any]] = {}
    for row in rows:
        entry = groups.setdefault(row["group_key"], {
            "group_key": row["group_key"], "group_name": row["group_name"],
            "size": row["group_size"], "size_with_failing": row["group_size_with_failing"],
            "rows": [],
        })  # fmt: skip
        if prev is None:
            row["movement"] = None
        elif row["previous_rank"] is None:
            row["movement"] = "new"
        for key in ("group_key", "group_name", "group_size", "group_size_with_failing"):
            row.pop(key)
        entry["rows"].append(row)
    return {
        "run_id": run_id,
        "system": run["system"],
        "period": run["period"],
        "previous_run": prev,
        "platform": platform,
        "by": by,
        "include_failing": include_failing,
        "excluded_count": len(excluded),
        "excluded": excluded,
        "groups": list(groups.values()),
    }
