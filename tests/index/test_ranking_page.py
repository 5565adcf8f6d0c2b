"""A page of a ranking (what the console reads) is exactly a slice of the whole ranking."""

from __future__ import annotations

import random
from typing import Any

import duckdb
import pytest

from zhengwu.errors import InvalidInputError
from zhengwu.index import ranking, results

SECTORS = ("公安", "住建", "文旅", "交通")
LEVELS = ("省", "市", "县")
PLACES = (("410000", "410100"), ("410000", "410300"), ("440000", "440100"), ("440000", None))
PLATFORMS = ("weibo", "wechat")


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    """The store every test of this module reads."""
    return _store()


def _store(seed: int = 5) -> duckdb.DuckDBPyConnection:
    """Return an in-memory store with two quarters of stored results with ties of scores,
    failing accounts, accounts new in the second quarter, organisations and matrices."""
    rng = random.Random(seed)
    con = duckdb.connect(":memory:")
    results.ensure_tables(con)
    con.execute("INSERT INTO index_regions VALUES ('410000', '河南省'), ('410100', '郑州市'), "
                "('410300', '洛阳市'), ('440000', '广东省'), ('440100', '广州市')")  # fmt: skip
    accounts = []
    for i in range(240):
        province, city = PLACES[i % len(PLACES)]
        accounts.append({
            "id": i + 1, "platform": PLATFORMS[i % 2], "uid": f"u{i}", "org": i // 3 + 1,
            "sector": SECTORS[rng.randrange(4)], "level": LEVELS[rng.randrange(3)],
            "province": province, "city": city,
        })  # fmt: skip
    matrices = {1: "郑州矩阵", 2: "公安矩阵", 3: "广州矩阵"}
    for k, (label, start, end) in enumerate(
        (("2025-Q2", "2025-04-01", "2025-06-30"), ("2025-Q3", "2025-07-01", "2025-09-30"))
    ):
        run = results.run_id_for("zhengwu-4d", label)
        con.execute(
            "INSERT INTO index_runs (run_id, system, period, period_kind, week_start, "
            "start_date, end_date) VALUES (?, 'zhengwu-4d', ?, 'quarter', 'monday', ?, ?)",
            [run, label, start, end],
        )
        rows = []
        for a in accounts:
            if k == 0 and a["id"] % 9 == 0:
                continue  # new in Q3
            score = float(rng.randrange(0, 40))  # ties on purpose
            rows.append((a, score, rng.random() < 0.12))
        totals = []
        for platform in PLATFORMS:
            mine = sorted((r for r in rows if r[0]["platform"] == platform),
                          key=lambda r: (-r[1], r[0]["uid"]))  # fmt: skip
            compliant = 0
            for pos, (a, score, excluded) in enumerate(mine, start=1):
                compliant += not excluded
                totals.append(
                    [run, platform, a["uid"], a["id"], a["org"], f"账号{a['uid']}",
                     f"机构{a['org']}", a["sector"], a["level"], a["province"], a["city"],
                     score, None if excluded else compliant, pos, platform, len(mine),
                     100.0 * pos / len(mine), "fail" if excluded else "pass",
                     ["no_post"] if excluded else [], excluded]
                )  # fmt: skip
        con.executemany(
            "INSERT INTO index_totals (run_id, platform, entity, account_uid, account_id,"
            " organization_id, name, org_name, sector, level, province, city, score,"
            " rank, rank_with_failing, peer_key, peer_size, percentile, dims_missing,"
            " compliance, compliance_reasons, excluded) VALUES (?, ?, 'account', ?, ?,"
            " ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, [], ?, ?, ?)",
            totals,
        )
        con.executemany("INSERT INTO index_matrix_members VALUES (?, ?, ?)", [
            [run, mid, a["id"]] for a in accounts if a["id"] % 4
            for mid in sorted({1 + a["id"] % 3, 2})
        ])  # fmt: skip
        for mid, name in matrices.items():
            con.execute(
                "INSERT INTO index_matrix (run_id, matrix_id, matrix_name, platform) "
                "VALUES (?, ?, ?, 'weibo')",
                [run, mid, name],
            )
    return con


def _expected(
    con: duckdb.DuckDBPyConnection, run: str, *, platform: str, by: str, group: str | None,
    include_failing: bool, filters: dict[str, str],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:  # fmt: skip
    """Return (rows shown, failing rows) the way the console filtered the whole ranking."""
    whole = ranking.ranking(
        con, run, platform=platform, by=by, group=group, include_failing=include_failing
    )
    place = {
        r[0]: (r[1], r[2], r[3], r[4])
        for r in con.execute(
            "SELECT account_uid, sector, level, province, city FROM index_totals "
            "WHERE run_id = ? AND platform = ?",
            [run, platform],
        ).fetchall()
    }

    def keep(uid: str) -> bool:
        sector, level, province, city = place[uid]
        return (
            filters.get("sector", sector) == sector
            and filters.get("level", level) == level
            and filters.get("region", province) in (province, city)
        )

    rows = [r for g in whole["groups"] for r in g["rows"] if keep(r["account_uid"])]
    return rows, whole["excluded"]


CASES = [
    ("weibo", "platform", None, {}),
    ("wechat", "platform", None, {"sector": "公安"}),
    ("weibo", "sector", "住建", {"level": "市"}),
    ("weibo", "level", "县", {}),
    ("wechat", "province", "410000", {}),
    ("weibo", "city", "郑州市", {"sector": "文旅"}),
    ("weibo", "matrix", "2", {"region": "440000"}),
    ("wechat", "matrix", "郑州矩阵", {}),
]


@pytest.mark.parametrize(("platform", "by", "group", "filters"), CASES)
@pytest.mark.parametrize("include_failing", [False, True])
def test_pages_are_slices_of_the_whole_ranking(
    con: duckdb.DuckDBPyConnection, platform: str, by: str, group: str | None,
    filters: dict[str, str], include_failing: bool,
) -> None:  # fmt: skip
    run = "zhengwu-4d/2025-Q3"
    rows, excluded = _expected(con, run, platform=platform, by=by, group=group,
                               include_failing=include_failing, filters=filters)  # fmt: skip
    assert rows, "the case must show rows"
    assert any(r["movement"] == "new" for r in rows) or by != "platform"
    for limit in (7, 50):
        for offset in range(0, len(rows) + limit, limit):
            page = ranking.ranking_page(
                con, run, platform=platform, by=by, group=group, include_failing=include_failing,
                filters=filters, offset=offset, limit=limit, head=5, excluded_limit=4,
            )  # fmt: skip
            assert page["total"] == len(rows)
            assert page["rows"] == rows[offset : offset + limit]
            assert page["top"] == rows[:5]
            assert page["excluded_count"] == len(excluded)
            assert page["excluded"] == [
                {k: e[k] for k in ("account_uid", "name", "score", "compliance_reasons")}
                for e in excluded[:4]
            ]


def test_first_period_has_no_movement_and_bad_filters_are_refused(
    con: duckdb.DuckDBPyConnection,
) -> None:
    page = ranking.ranking_page(con, "zhengwu-4d/2025-Q2", platform="weibo", limit=10)
    assert page["previous_run"] is None
    assert [r["movement"] for r in page["rows"]] == [None] * 10
    with pytest.raises(InvalidInputError) as err:
        ranking.ranking_page(con, "zhengwu-4d/2025-Q3", platform="weibo", filters={"x": "1"})
    assert "未知的筛选条件" in err.value.message_zh


@pytest.mark.parametrize(("platform", "by", "group", "filters"), CASES)
@pytest.mark.parametrize("top", [None, 3])
def test_failing_accounts_are_counted_and_listed_only_when_asked(
    con: duckdb.DuckDBPyConnection, platform: str, by: str, group: str | None,
    filters: dict[str, str], top: int | None,
) -> None:  # fmt: skip
    run = "zhengwu-4d/2025-Q3"
    ask = {"platform": platform, "by": by, "group": group, "top": top}
    listed = ranking.ranking(con, run, **ask)
    counted = ranking.ranking(con, run, **ask, list_excluded=False)
    assert "excluded" not in counted
    assert {k: v for k, v in listed.items() if k != "excluded"} == counted
    # The list is the failing rows of the ranking that ranks them too, in its order.
    marked = ranking.ranking(con, run, **{**ask, "top": None}, include_failing=True)
    failing = [
        {"group_key": g["group_key"], **{k: r[k] for k in ("account_uid", "name", "score",
                                                          "compliance_reasons")}}
        for g in marked["groups"] for r in g["rows"] if r["excluded"]
    ]  # fmt: skip
    assert failing and listed["excluded"] == failing
    assert counted["excluded_count"] == len(failing)
    pages = [
        ranking.ranking(con, run, **ask, excluded_offset=offset, excluded_limit=5)["excluded"]
        for offset in range(0, len(failing) + 5, 5)
    ]
    assert all(len(p) <= 5 for p in pages) and pages[-1] == []
    assert [e for p in pages for e in p] == failing
    # A page without its failing rows still says how many there are.
    page = ranking.ranking_page(con, run, platform=platform, by=by, group=group, excluded_limit=0)
    assert page["excluded"] == [] and page["excluded_count"] == len(failing)


def test_a_group_failing_as_a_whole_is_still_shown_with_its_count() -> None:
    con = _store(seed=11)
    run = "zhengwu-4d/2025-Q3"
    con.execute(
        "UPDATE index_totals SET excluded = true, rank = NULL, compliance = 'fail', "
        "compliance_reasons = ['no_post'] WHERE run_id = ? AND sector = '交通'",
        [run],
    )
    for top in (None, 2):
        listed = ranking.ranking(con, run, platform="weibo", by="sector", top=top)
        counted = ranking.ranking(con, run, platform="weibo", by="sector", top=top,
                                  list_excluded=False)  # fmt: skip
        traffic = next(g for g in counted["groups"] if g["group_key"] == "交通")
        assert traffic["rows"] == [] and traffic["size"] == 0
        assert traffic["excluded_count"] == traffic["size_with_failing"] > 0
        assert counted["groups"] == listed["groups"]
        assert counted["excluded_count"] == len(listed["excluded"])


@pytest.mark.parametrize("by", ["platform", "sector", "city", "matrix"])
def test_each_row_has_its_percentile_within_the_group_ranked(
    con: duckdb.DuckDBPyConnection, by: str
) -> None:
    """``group_percentile``: the share of the group's scored entities (failing ones too, as
    the run's peer percentile) scoring at most as much, × 100; ``percentile`` stays the
    run's own (the platform, zhengwu-4d's peer group)."""
    run = "zhengwu-4d/2025-Q3"
    whole = ranking.ranking(con, run, platform="weibo", by=by, include_failing=True)
    stored = dict(
        con.execute(
            "SELECT account_uid, percentile FROM index_totals WHERE run_id = ? "
            "AND platform = 'weibo'",
            [run],
        ).fetchall()
    )
    differs = 0
    for group in whole["groups"]:
        scores = [r["score"] for r in group["rows"]]
        assert len(group["rows"]) == group["size_with_failing"]
        for row in group["rows"]:
            expected = 100 * sum(s <= row["score"] for s in scores) / len(scores)
            assert row["group_percentile"] == pytest.approx(expected), (group["group_key"], row)
            assert row["percentile"] == stored[row["account_uid"]]
            differs += row["group_percentile"] != pytest.approx(row["percentile"])
    assert differs > 0 if by != "platform" else True
    # The best of a group stands at 100 within it, whatever its place on the platform.
    sector = ranking.ranking(con, run, platform="weibo", by="sector", group="住建", top=1)
    assert sector["groups"][0]["rows"][0]["group_percentile"] == 100.0
