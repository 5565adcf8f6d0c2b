"""Rankings and the report's group leaders equal a plain-Python ranking of the stored rows.

:func:`ranking.ranking` and :func:`ranking.group_leaders` read only the narrow columns and
join the names for the rows shown; this reference ranks every stored row the slow, obvious
way (every group's rows in the stored order, a running count of the compliant ones, the
same for the previous run), so a faster query that changed a rank, a movement, a group or
a count fails here.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import duckdb
import pytest

from zhengwu.index import ranking

from .test_ranking_page import _store

RUN, PREV = "zhengwu-4d/2025-Q3", "zhengwu-4d/2025-Q2"
WIDE = ("name", "org_name", "sector", "level", "score", "percentile", "compliance",
        "compliance_reasons", "excluded", "dims_missing")  # fmt: skip
LEADER = ("rank", "previous_rank", "movement", "account_uid", "name", "org_name", "sector",
          "level", "score")  # fmt: skip
GROUPINGS = ("platform", "sector", "level", "province", "city", "matrix")


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    """The ranking tests' store, with organisations ranked across platforms (``all``)."""
    con = _store(seed=7)
    for run in (PREV, RUN):
        # An organisation: its best account's score; it fails when all its accounts fail.
        con.execute(
            """INSERT INTO index_totals (run_id, platform, entity, account_uid, organization_id,
                   name, org_name, sector, level, province, city, score, rank,
                   rank_with_failing, peer_key, peer_size, percentile, dims_missing, compliance,
                   compliance_reasons, excluded)
               WITH o AS (SELECT organization_id, max(score) AS score, bool_and(excluded) AS bad,
                                 any_value(sector) AS sector, any_value(level) AS level,
                                 any_value(province) AS province, any_value(city) AS city
                          FROM index_totals WHERE run_id = $run GROUP BY organization_id),
               r AS (SELECT *, row_number() OVER (ORDER BY score DESC, organization_id) AS rwf
                     FROM o)
               SELECT $run, 'all', 'organization', 'org:' || organization_id, organization_id,
                      '机构' || organization_id, '机构' || organization_id, sector, level,
                      province, city, score,
                      CASE WHEN NOT bad THEN sum(CASE WHEN bad THEN 0 ELSE 1 END)
                           OVER (ORDER BY rwf) END,
                      rwf, 'all', count(*) OVER (), 50.0, [], 'pass', [], bad
               FROM r""",
            {"run": run},
        )
    return con


def _groups(
    con: duckdb.DuckDBPyConnection, run: str, platform: str, by: str
) -> dict[str, tuple[str, list[dict[str, Any]]]]:
    """Return group key → (name, the group's stored rows in the platform's order)."""
    cur = con.execute(
        f"SELECT account_uid, account_id, organization_id, province, city, rank_with_failing, "
        f"{', '.join(WIDE)} FROM index_totals WHERE run_id = ? AND platform = ?",
        [run, platform],
    )
    names = [d[0] for d in cur.description or []]
    rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    regions = dict(con.execute("SELECT adcode, name FROM index_regions").fetchall())
    matrices = dict(
        con.execute(
            "SELECT DISTINCT matrix_id, matrix_name FROM index_matrix WHERE run_id = ?", [run]
        ).fetchall()
    )
    member: dict[int, set[int]] = defaultdict(set)
    for mid, account_id in con.execute(
        "SELECT matrix_id, account_id FROM index_matrix_members WHERE run_id = ?", [run]
    ).fetchall():
        member[account_id].add(mid)
    orgs: dict[int, set[int]] = defaultdict(set)  # an organisation: its accounts' matrices
    for account_id, org in con.execute(
        "SELECT account_id, organization_id FROM index_totals WHERE run_id = ? "
        "AND entity = 'account' AND organization_id IS NOT NULL",
        [run],
    ).fetchall():
        orgs[org] |= member[account_id]
    out: dict[str, tuple[str, list[dict[str, Any]]]] = {}
    for row in sorted(rows, key=lambda r: r["rank_with_failing"]):
        if by == "platform":
            keys = [(platform, platform)]
        elif by in ("sector", "level"):
            keys = [(row[by], row[by])] if row[by] is not None else []
        elif by in ("province", "city"):
            keys = [(row[by], regions.get(row[by], row[by]))] if row[by] else []
        else:
            found = member[row["account_id"]] if platform != "all" else orgs[row["organization_id"]]
            keys = [(str(m), matrices[m]) for m in found if m in matrices]
        for key, name in keys:
            out.setdefault(key, (name, []))[1].append(row)
    return dict(sorted(out.items()))


def _ranks(rows: list[dict[str, Any]]) -> dict[str, tuple[int | None, int]]:
    """Return uid → (rank among the compliant rows, rank with failing) in a group."""
    ranks, compliant = {}, 0
    for position, row in enumerate(rows, 1):
        compliant += not row["excluded"]
        ranks[row["account_uid"]] = (None if row["excluded"] else compliant, position)
    return ranks


def _expected(
    con: duckdb.DuckDBPyConnection, platform: str, by: str, top: int | None,
    include_failing: bool,
) -> list[dict[str, Any]]:  # fmt: skip
    """Return the groups of :func:`ranking.ranking` as the reference ranks them."""
    before = {k: _ranks(rows) for k, (_, rows) in _groups(con, PREV, platform, by).items()}
    which = 1 if include_failing else 0
    out = []
    for key, (name, rows) in _groups(con, RUN, platform, by).items():
        size = sum(not r["excluded"] for r in rows)
        # Percentile within the group: the share of its scored rows (failing ones too)
        # scoring at most as much.
        scored = [r["score"] for r in rows if r["score"] is not None]
        shown = []
        for row in rows:
            rank = _ranks(rows)[row["account_uid"]][which]
            if (row["excluded"] and not include_failing) or (top is not None and rank > top):
                continue
            old = before.get(key, {}).get(row["account_uid"])
            previous = old[which] if old else None
            movement = "new" if previous is None else previous - rank
            wide = {k: row[k] for k in WIDE}
            within = (
                None if row["score"] is None
                else 100 * (sum(x <= row["score"] for x in scored) / len(scored))
            )  # fmt: skip
            shown.append({"rank": rank, "previous_rank": previous, "movement": movement,
                          "account_uid": row["account_uid"], **wide,
                          "group_percentile": within})  # fmt: skip
        out.append({"group_key": key, "group_name": name, "size": size,
                    "size_with_failing": len(rows), "excluded_count": len(rows) - size,
                    "rows": shown})  # fmt: skip
    return out


@pytest.mark.parametrize("platform", ["weibo", "wechat", "all"])
@pytest.mark.parametrize("by", GROUPINGS)
@pytest.mark.parametrize(("top", "include_failing"), [(None, False), (3, False), (2, True)])
def test_ranking_equals_the_reference(
    con: duckdb.DuckDBPyConnection, platform: str, by: str, top: int | None,
    include_failing: bool,
) -> None:  # fmt: skip
    expected = _expected(con, platform, by, top, include_failing)
    assert expected and any(g["rows"] for g in expected)
    got = ranking.ranking(con, RUN, platform=platform, by=by, top=top,
                          include_failing=include_failing)  # fmt: skip
    assert got["groups"] == expected
    assert got["excluded_count"] == sum(g["excluded_count"] for g in expected)
    failing = [
        (g["group_key"], r["account_uid"])
        for g in _expected(con, platform, by, None, True) for r in g["rows"] if r["excluded"]
    ]  # fmt: skip
    assert [(e["group_key"], e["account_uid"]) for e in got["excluded"]] == failing
    # One group asked for by its key: the same group, alone.
    first = expected[0]
    one = ranking.ranking(con, RUN, platform=platform, by=by, group=first["group_key"], top=top,
                          include_failing=include_failing, list_excluded=False)  # fmt: skip
    assert one["groups"] == [first]


@pytest.mark.parametrize("by", GROUPINGS[1:])
@pytest.mark.parametrize("top", [1, 3])
def test_group_leaders_equal_the_reference(
    con: duckdb.DuckDBPyConnection, by: str, top: int
) -> None:
    platforms = ["weibo", "wechat", "all"]
    leaders = ranking.group_leaders(con, RUN, platforms=platforms, by=by, top=top)
    assert list(leaders) == platforms
    moved: set[Any] = set()
    for platform in platforms:
        expected = [
            {"group_key": g["group_key"], "group_name": g["group_name"], "size": g["size"],
             "excluded_count": g["excluded_count"],
             "rows": [{k: r[k] for k in LEADER} for r in g["rows"]]}
            for g in _expected(con, platform, by, top, False) if g["rows"]
        ]  # fmt: skip
        assert expected
        assert leaders[platform] == expected
        moved.update(r["movement"] for g in expected for r in g["rows"])
    assert "new" in moved and moved - {"new", 0}  # the leaders move, and some are new
    # The accounts' platforms alone (what a report asks for) give the same groups.
    accounts = ranking.group_leaders(con, RUN, platforms=["wechat", "weibo"], by=by, top=top)
    assert accounts == {p: leaders[p] for p in ("wechat", "weibo")}
