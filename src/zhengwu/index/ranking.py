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

from collections.abc import Sequence
from typing import Any

import duckdb

from zhengwu.errors import InvalidInputError
from zhengwu.index import export, results
from zhengwu.index.periods import parse_period

GROUPINGS = ("platform", "sector", "level", "province", "city", "matrix")
FILTERS = ("sector", "level", "region")
# The columns a ranking's row shows (joined for the rows shown only, after the ranking).
_WIDE = ("name", "org_name", "sector", "level", "score", "percentile", "compliance",
         "compliance_reasons", "excluded", "dims_missing")  # fmt: skip
_EXCLUDED = ("name", "score", "compliance_reasons")


def _check(by: str) -> None:
    if by not in GROUPINGS:
        raise InvalidInputError(
            f"未知的排行分组 {by!r}；可用：{', '.join(GROUPINGS)}",
            f"unknown grouping {by!r}; choose one of {', '.join(GROUPINGS)}",
        )


def platforms_of(con: duckdb.DuckDBPyConnection, run_id: str) -> list[str]:
    """Return the platforms a stored run ranks (``all`` = its organisations), sorted."""
    rows = con.execute(
        "SELECT DISTINCT platform FROM index_totals WHERE run_id = ? ORDER BY platform",
        [run_id],
    ).fetchall()
    return [str(r[0]) for r in rows]


def check_platform(con: duckdb.DuckDBPyConnection, run_id: str, platform: str) -> None:
    """Raise a bilingual InvalidInputError, listing the valid ones, unless the run ranks ``platform``.

    A platform the run does not rank would give an empty ranking that reads like "nobody
    there" (a typo such as ``tiktok``, or ``douyin`` in a WeChat-only system).
    """
    ranked = platforms_of(con, run_id)
    if platform in ranked:
        return
    choices = ", ".join(ranked) or "—"
    raise InvalidInputError(
        f"{run_id} 没有平台 {platform!r} 的排行；可用：{choices}（all = 机构跨平台排行）",
        f"{run_id} ranks no platform {platform!r}; choose one of {choices} "
        "(all = organisations across platforms)",
    )


def grouped(by: str, run: str, *, one_matrix: bool = False, entity: str | None = None) -> str:
    """Return SQL of the run's totals (param ``$<run>``) with ``group_key`` and ``group_name``.

    With ``one_matrix`` the matrix grouping reads only the members of the matrix whose id or
    name is ``$group``, and with ``entity`` (account, organization) only the rows of that
    entity (the caller filters on both anyway; this only saves work).
    """
    _check(by)
    # (``row_id``: the stored row, to fetch the wide columns of the few rows shown.)
    totals = f"(SELECT *, rowid AS row_id FROM index_totals WHERE run_id = ${run})"
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
    only = (
        f""" AND matrix_id IN (SELECT matrix_id FROM index_matrix WHERE run_id = ${run}
                 AND (CAST(matrix_id AS VARCHAR) = $group OR matrix_name = $group))"""
        if one_matrix
        else ""
    )
    members = f"(SELECT * FROM index_matrix_members WHERE run_id = ${run}{only})"
    names = f"(SELECT DISTINCT matrix_id, matrix_name FROM index_matrix WHERE run_id = ${run})"
    # (A join on "account OR organisation" would be a nested loop; two joins are hash joins.)
    accounts = f"""
        SELECT t.*, CAST(m.matrix_id AS VARCHAR) AS group_key, n.matrix_name AS group_name
        FROM {totals} t JOIN {members} m ON m.account_id = t.account_id
        JOIN {names} n ON n.matrix_id = m.matrix_id
        WHERE t.entity = 'account'"""
    organizations = f"""
        SELECT t.*, CAST(m.matrix_id AS VARCHAR) AS group_key, n.matrix_name AS group_name
        FROM {totals} t
        JOIN (SELECT DISTINCT m.matrix_id, a.organization_id
              FROM {members} m JOIN {totals} a ON a.account_id = m.account_id
              WHERE a.organization_id IS NOT NULL) m ON m.organization_id = t.organization_id
        JOIN {names} n ON n.matrix_id = m.matrix_id
        WHERE t.entity = 'organization'"""
    if entity == "account":
        return accounts
    if entity == "organization":
        return organizations
    return f"{accounts}\n        UNION ALL{organizations}"


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
    list_excluded: bool = True,
    excluded_offset: int = 0,
    excluded_limit: int | None = None,
) -> dict[str, Any]:
    """Return a ranking of run ``run_id``: groups with their rows, movement and exclusions.

    ``excluded_count`` counts the accounts failing the compliance gate (or without data);
    the key ``excluded`` lists them (group, then rank) only with ``list_excluded`` — a
    national run has ~150 000 — from ``excluded_offset``, at most ``excluded_limit`` (None:
    all).
    Without ``list_excluded`` no failing row leaves DuckDB unless ``include_failing``.
    Each row has two percentiles: ``percentile``, the run's own in the system's peer group
    (``peer_group``, the platform for zhengwu-4d), and ``group_percentile``, within the
    ranking's group (the sector, the city … ranked), failing entities counted in both.
    """
    _check(by)
    run = results.get_run(con, run_id)
    prev = previous_run(con, run_id)
    where = "platform = $platform"
    params: dict[str, Any] = {"run": run_id, "prev": prev or "", "platform": platform}
    if group is not None:
        where += " AND (group_key = $group OR group_name = $group)"
        params["group"] = group
    one = group is not None
    entity = "organization" if platform == "all" else "account"  # as the engine stores them
    rank = "group_rank_with_failing" if include_failing else "group_rank"
    shown = "true" if include_failing else "NOT c.excluded"
    if top is not None:
        shown += f" AND c.{rank} <= {int(top)}"
    # A group whose accounts all fail still appears (no rows, its counts): by its first row.
    shown = f"({shown}) OR (s.group_size = 0 AND c.group_rank_with_failing = 1)"
    # The ranks come from the narrow rows (:func:`_narrow`); the previous run's ranks are
    # looked up for the rows shown only, and so are the wide columns, by row id.
    cur = con.execute(
        f"""WITH cur AS ({
            _narrow(by, "run", where, one_matrix=one, entity=entity, percentile=True)
        }),
            sz AS (SELECT group_key, count(*) FILTER (WHERE NOT excluded) AS group_size,
                          count(*) AS group_size_with_failing FROM cur GROUP BY group_key),
            shown AS (SELECT c.group_key, c.group_name, c.account_uid, c.row_id,
                             c.{rank} AS rank, c.group_rank_with_failing, s.group_size,
                             s.group_size_with_failing, c.group_percentile
                      FROM cur c JOIN sz s USING (group_key) WHERE {shown}),
            before AS (SELECT group_key, account_uid, {rank} AS rank
                       FROM ({_narrow(by, "prev", where, one_matrix=one, entity=entity)})
                       WHERE account_uid IN (SELECT account_uid FROM shown)),
            wide AS (SELECT rowid AS row_id, {", ".join(_WIDE)} FROM index_totals
                     WHERE run_id = $run)
            SELECT c.group_key, c.group_name, c.rank, b.rank AS previous_rank,
                   b.rank - c.rank AS movement, c.account_uid, w.* EXCLUDE (row_id),
                   c.group_percentile, c.group_size, c.group_size_with_failing
            FROM shown c JOIN wide w USING (row_id)
            LEFT JOIN before b ON b.group_key = c.group_key AND b.account_uid = c.account_uid
            ORDER BY c.group_key, c.group_rank_with_failing""",
        params,
    )
    groups: dict[str, dict[str, Any]] = {}
    for row in _rows(cur):
        entry = groups.setdefault(row["group_key"], {
            "group_key": row["group_key"], "group_name": row["group_name"],
            "size": row["group_size"], "size_with_failing": row["group_size_with_failing"],
            "excluded_count": row["group_size_with_failing"] - row["group_size"], "rows": [],
        })  # fmt: skip
        for key in ("group_name", "group_size", "group_size_with_failing"):
            row.pop(key)
        if row["excluded"] and not include_failing:
            continue
        if prev is None:
            row["movement"] = None
        elif row["previous_rank"] is None:
            row["movement"] = "new"
        if top is None or row["rank"] <= top:
            kept = {k: v for k, v in row.items() if k != "group_key"}
            entry["rows"].append(export.percentiles_in_order(kept))
    out = {
        "run_id": run_id, "system": run["system"], "period": run["period"],
        "previous_run": prev, "platform": platform, "by": by,
        "include_failing": include_failing,
        "excluded_count": sum(g["excluded_count"] for g in groups.values()),
        "groups": list(groups.values()),
    }  # fmt: skip
    if list_excluded:
        out["excluded"] = excluded_rows(con, by=by, where=where, params=params,
                                        offset=excluded_offset, limit=excluded_limit)  # fmt: skip
    return out


def excluded_rows(
    con: duckdb.DuckDBPyConnection, *, by: str, where: str,
    params: dict[str, Any], offset: int = 0, limit: int | None = None,
) -> list[dict[str, Any]]:  # fmt: skip
    """Return the failing rows of a ranking (``where`` as :func:`ranking` builds it), paged.

    Each is ``{group_key, account_uid, name, score, compliance_reasons}``, in the order of
    the ranking (group, then rank with failing accounts), from ``offset``, at most ``limit``.
    """
    page = f"LIMIT {int(limit)} " if limit is not None else ""
    one = "group" in params
    entity = "organization" if params["platform"] == "all" else "account"
    # The page of failing rows from the narrow rows; their names etc. by row id.
    cur = con.execute(
        f"""WITH bad AS (
                SELECT group_key, account_uid, row_id, group_rank_with_failing
                FROM ({_narrow(by, "run", where, one_matrix=one, entity=entity)})
                WHERE excluded
                ORDER BY group_key, group_rank_with_failing {page}OFFSET {max(int(offset), 0)})
            SELECT b.group_key, b.account_uid, w.name, w.score, w.compliance_reasons
            FROM bad b JOIN (SELECT rowid AS row_id, name, score, compliance_reasons
                             FROM index_totals WHERE run_id = $run) w USING (row_id)
            ORDER BY b.group_key, b.group_rank_with_failing""",
        {k: v for k, v in params.items() if k != "prev"},
    )
    return _rows(cur)


def group_names(
    con: duckdb.DuckDBPyConnection, run_id: str, *, platform: str, by: str, limit: int = 20
) -> tuple[list[tuple[str, str]], int]:
    """Return the first ``limit`` groups ``(key, name)`` of a ranking and how many there are.

    For a clear "no such group" message that lists the groups one may ask for.
    """
    cur = con.execute(
        f"""SELECT DISTINCT group_key, group_name FROM ({grouped(by, "run")})
            WHERE platform = $platform ORDER BY group_key""",
        {"run": run_id, "platform": platform},
    )
    found = [(str(k), str(n)) for k, n in cur.fetchall()]
    return found[:limit], len(found)


def group_leaders(
    con: duckdb.DuckDBPyConnection, run_id: str, *, platforms: Sequence[str], by: str, top: int
) -> dict[str, list[dict[str, Any]]]:
    """Return per platform the Top-``top`` compliant rows of every group, ranked as :func:`ranking`.

    For reports over every group of a national run (thousands of cities and matrices): one
    query for all ``platforms``, over the narrow columns only, and only the rows shown leave
    DuckDB with their names, where :func:`ranking` also returns every failing account.
    Each platform maps to its groups (by key), each ``{group_key, group_name, size,
    excluded_count, rows}``; a row has rank, previous_rank, movement (as in
    :func:`ranking`), account_uid, name, org_name, sector, level and score.
    """
    _check(by)
    prev = previous_run(con, run_id)
    entity = None if "all" in platforms else "account"  # organisations rank on "all" only

    def narrow(run: str) -> str:
        return f"""SELECT platform, group_key, group_name, account_uid, row_id, excluded,
                          rank_with_failing
                   FROM ({grouped(by, run, entity=entity)})
                   WHERE list_contains($platforms, platform)"""

    # A compliant row's group rank is its place among the group's compliant rows in the
    # stored order (what the running count of :func:`_narrow` gives), so one row_number
    # over the compliant rows alone; the previous run's ranks are joined for the rows shown.
    cur = con.execute(
        f"""WITH g AS ({narrow("run")}),
            sz AS (SELECT platform, group_key, group_name,
                          count(*) FILTER (WHERE NOT excluded) AS size,
                          count(*) AS size_with_failing
                   FROM g GROUP BY platform, group_key, group_name),
            k AS (SELECT platform, group_key, account_uid, row_id,
                         row_number() OVER (PARTITION BY platform, group_key
                                            ORDER BY rank_with_failing) AS rank
                  FROM g WHERE NOT excluded QUALIFY rank <= {int(top)}),
            b AS (SELECT platform, group_key, account_uid,
                         row_number() OVER (PARTITION BY platform, group_key
                                            ORDER BY rank_with_failing) AS rank
                  FROM ({narrow("prev")}) WHERE NOT excluded),
            w AS (SELECT rowid AS row_id, name, org_name, sector, level, score
                  FROM index_totals WHERE run_id = $run)
            SELECT k.platform, k.group_key, sz.group_name, sz.size, sz.size_with_failing,
                   k.rank, b.rank AS previous_rank, b.rank - k.rank AS movement,
                   k.account_uid, w.name, w.org_name, w.sector, w.level, w.score
            FROM k JOIN sz USING (platform, group_key)
            JOIN w USING (row_id)
            LEFT JOIN b USING (platform, group_key, account_uid)
            ORDER BY k.platform, k.group_key, k.rank""",
        {"run": run_id, "prev": prev or "", "platforms": list(platforms)},
    )
    out: dict[str, dict[str, dict[str, Any]]] = {p: {} for p in platforms}
    for row in _rows(cur):
        groups = out[row.pop("platform")]
        entry = groups.setdefault(row["group_key"], {
            "group_key": row["group_key"], "group_name": row["group_name"],
            "size": row["size"],
            "excluded_count": row["size_with_failing"] - row["size"], "rows": [],
        })  # fmt: skip
        for key in ("group_key", "group_name", "size", "size_with_failing"):
            row.pop(key)
        if prev is None:
            row["movement"] = None
        elif row["previous_rank"] is None:
            row["movement"] = "new"
        entry["rows"].append(row)
    return {p: list(groups.values()) for p, groups in out.items()}


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


# The percentile of a score within the ranking's group, as the run's peer percentile is
# computed (:mod:`zhengwu.index.engine`): over the group's scored entities, failing ones
# included, 100 = the best score; None without a score.
_GROUP_PERCENTILE = """CASE WHEN score IS NOT NULL THEN 100 * cume_dist() OVER (
               PARTITION BY group_key, score IS NULL ORDER BY round(score, 6)) END"""


def _narrow(
    by: str, run: str, where: str, *, one_matrix: bool, entity: str, percentile: bool = False
) -> str:
    """Return SQL of a grouping's narrow rows with their group ranks (no wide columns).

    A platform's ranks are the stored ones (the run ranks per platform), so the platform
    grouping needs no window for them; the other groupings derive theirs with one window.
    With ``percentile`` each row also has its ``group_percentile`` (one more window).
    """
    cols = "group_key, group_name, account_uid, row_id, excluded, province, city, sector, level"
    extra = f", {_GROUP_PERCENTILE} AS group_percentile" if percentile else ""
    if by == "platform":
        rows = f"""
            SELECT * FROM (
                SELECT platform, platform AS group_key, platform AS group_name, account_uid,
                       rowid AS row_id, excluded, province, city, sector, level, score,
                       rank AS group_rank,
                       rank_with_failing AS group_rank_with_failing
                FROM index_totals WHERE run_id = ${run}) WHERE {where}"""
        return f"SELECT *{extra} FROM ({rows})" if percentile else rows
    return f"""
        SELECT {cols},
               CASE WHEN NOT excluded THEN sum(CASE WHEN excluded THEN 0 ELSE 1 END) OVER w
               END AS group_rank,
               row_number() OVER w AS group_rank_with_failing{extra}
        FROM (SELECT {cols}, rank_with_failing, score
              FROM ({grouped(by, run, one_matrix=one_matrix, entity=entity)}) WHERE {where})
        WINDOW w AS (PARTITION BY group_key ORDER BY rank_with_failing
                     ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)"""


def ranking_page(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    *,
    platform: str,
    by: str = "platform",
    group: str | None = None,
    include_failing: bool = False,
    filters: dict[str, str] | None = None,
    offset: int = 0,
    limit: int = 50,
    head: int = 20,
    excluded_limit: int = 100,
) -> dict[str, Any]:
    """Return one page of a ranking, with the same ranks and movement as :func:`ranking`.

    Only the rows shown leave DuckDB, and only they get their wide columns: the page
    (``offset``/``limit`` in the ranking's order: group, then rank), its first ``head``
    rows (for a Top-N chart), the number of rows, and the first ``excluded_limit`` rows
    failing the compliance gate with their count. ``filters`` (sector, level, region =
    province or city code) narrow the rows shown without changing the ranks, which stay
    those of the grouping.
    """
    _check(by)
    filters = {k: v for k, v in (filters or {}).items() if v}
    unknown = set(filters) - set(FILTERS)
    if unknown:
        raise InvalidInputError(
            f"未知的筛选条件：{', '.join(sorted(unknown))}",
            f"unknown filters: {', '.join(sorted(unknown))}",
        )
    run = results.get_run(con, run_id)
    prev = previous_run(con, run_id)
    where = "platform = $platform"
    params: dict[str, Any] = {"run": run_id, "prev": prev or "", "platform": platform}
    if group is not None:
        # A sector or level is its own name, and a region code matches its key (its name
        # is the code itself only when unnamed): then the key alone, which DuckDB pushes
        # down to the scan, selects the same rows as "key or name".
        by_key = by in ("sector", "level") or (by in ("province", "city") and group.isdigit())
        where += (
            " AND group_key = $group"
            if by_key
            else " AND (group_key = $group OR group_name = $group)"
        )
        params["group"] = group
    one = group is not None
    entity = "organization" if platform == "all" else "account"  # as the engine stores them
    rank = "group_rank_with_failing" if include_failing else "group_rank"
    shown = ["true" if include_failing else "NOT excluded"]
    for key, value in filters.items():
        params[f"f_{key}"] = value
        if key == "region":
            shown.append(f"(province = $f_{key} OR city = $f_{key})")
        else:
            shown.append(f"{key} = $f_{key}")
    first, last = max(int(offset), 0) + 1, max(int(offset), 0) + int(limit)
    # Top-N (a heap, not a sort of every row) up to the page's last row; the previous
    # run's ranks are looked up for those rows only, and so are the wide columns, by row id.
    cur = con.execute(
        f"""WITH cur AS ({
            _narrow(by, "run", where, one_matrix=one, entity=entity, percentile=True)
        }),
            upto AS (SELECT group_key, group_name, account_uid, row_id, {rank} AS rank,
                            group_percentile, row_number() OVER (ORDER BY group_key, group_rank_with_failing)
                                AS pos
                     FROM (SELECT * FROM cur WHERE {" AND ".join(shown)}
                           ORDER BY group_key, group_rank_with_failing LIMIT {last})),
            page AS (SELECT * FROM upto WHERE pos <= {int(head)} OR pos >= {first}),
            before AS (SELECT group_key, account_uid, {rank} AS rank
                       FROM ({_narrow(by, "prev", where, one_matrix=one, entity=entity)})
                       WHERE account_uid IN (SELECT account_uid FROM page))
            SELECT c.pos, (SELECT count(*) FROM cur WHERE {" AND ".join(shown)}) AS total,
                   c.group_name, c.row_id, c.rank, b.rank AS previous_rank,
                   b.rank - c.rank AS movement, c.account_uid, c.group_percentile
            FROM page c
            LEFT JOIN before b ON b.group_key = c.group_key AND b.account_uid = c.account_uid
            ORDER BY c.pos""",
        params,
    )
    narrow = _rows(cur)
    narrow_params = {k: v for k, v in params.items() if k in ("run", "platform", "group")}
    bad = _rows(
        con.execute(
            f"""WITH cur AS ({_narrow(by, "run", where, one_matrix=one, entity=entity)})
                SELECT account_uid, row_id, count(*) OVER () AS excluded_count
                FROM cur WHERE excluded
                ORDER BY group_key, group_rank_with_failing LIMIT {int(excluded_limit)}""",
            narrow_params,
        )
    ) if excluded_limit > 0 else []  # fmt: skip
    ids = sorted({r["row_id"] for r in narrow} | {r["row_id"] for r in bad})
    wide = (
        {
            r["row_id"]: r
            for r in _rows(
                con.execute(
                    f"SELECT rowid AS row_id, {', '.join(_WIDE)} FROM index_totals "
                    "WHERE rowid IN (SELECT unnest($ids))",
                    {"ids": ids},
                )
            )
        }
        if ids
        else {}
    )
    rows: list[dict[str, Any]] = []
    top: list[dict[str, Any]] = []
    total = 0
    group_name = None
    for item in narrow:
        pos, total = item["pos"], item["total"]
        group_name = group_name or item["group_name"]
        row = {k: item[k] for k in ("rank", "previous_rank", "movement", "account_uid")}
        row.update({k: wide[item["row_id"]][k] for k in _WIDE})
        row["group_percentile"] = item["group_percentile"]
        row = export.percentiles_in_order(row)
        if prev is None:
            row["movement"] = None
        elif row["previous_rank"] is None:
            row["movement"] = "new"
        if pos <= head:
            top.append(row)
        if first <= pos <= last:
            rows.append(row)
    excluded = [
        {"account_uid": b["account_uid"], **{k: wide[b["row_id"]][k] for k in _EXCLUDED}}
        for b in bad
    ]
    if excluded_limit > 0:
        excluded_count = bad[0]["excluded_count"] if bad else 0
    else:  # no failing row asked for: the count alone
        found = con.execute(
            f"""SELECT count(*) FROM ({_narrow(by, "run", where, one_matrix=one, entity=entity)})
                WHERE excluded""",
            narrow_params,
        ).fetchone()
        excluded_count = int(found[0]) if found else 0
    return {
        "run_id": run_id, "system": run["system"], "period": run["period"],
        "previous_run": prev, "platform": platform, "by": by, "group_name": group_name,
        "include_failing": include_failing, "filters": filters, "offset": first - 1,
        "limit": int(limit), "total": total, "rows": rows, "top": top,
        "excluded_count": excluded_count, "excluded": excluded,
    }  # fmt: skip
