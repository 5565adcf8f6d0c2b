"""Published presets over stored posts: inputs with the publishers' conventions, exact values."""

from __future__ import annotations

from datetime import timedelta

import pytest

from zhengwu.index import explain
from zhengwu.index.formulas import compute
from zhengwu.index.periods import parse_period
from zhengwu.index.presets_run import qingbo_days

from .conftest import World, china


def _inputs(world: World, run_id: str, uid: str) -> dict[str, float]:
    row = world.con.execute(
        "SELECT list(indicator ORDER BY item), list(raw ORDER BY item) FROM index_score_items "
        "WHERE run_id = ? AND account_uid = ? AND dimension = 'inputs'", [run_id, uid],
    ).fetchall()[0]  # fmt: skip
    return dict(zip(row[0], row[1], strict=True))


def test_wci_v14_2_month_uses_capped_seventh_day_reads(world: World) -> None:
    world.account("wechat", "gh_zz", world.org("郑州发布"))
    day = china("2025-07-03", 9)
    world.post("wechat", "gh_zz", day, reads=1000, zaikan=10, likes=20, shares=30, is_headline=True)
    world.post(
        "wechat", "gh_zz", day, reads=250_000, zaikan=5, likes=8, shares=2, is_headline=False
    )
    later = china("2025-07-10", 9)
    for after, reads in ((2, 100), (6, 500), (20, 900)):  # the 7th-day snapshot says 500
        world.post("wechat", "gh_zz", later, post_id="late", observed=later + timedelta(days=after),
                   reads=reads, zaikan=3, likes=4, shares=5, is_headline=True)  # fmt: skip
    stored = world.con.execute("SELECT reads FROM posts WHERE post_id = 'late'").fetchall()
    assert stored == [(900,)]
    run = world.run("2025-07", "qingbo_wci_v14_2")
    assert (
        "阅读数超过 100000 的按 100001 计（10万+） / reads above 100000 counted as 100001 (10万+)"
        in run.notes
    )
    inputs = _inputs(world, run.run_id, "gh_zz")
    expected = {"R": 1000 + 100_001 + 500, "Z": 18, "L": 32, "RE": 37, "Rt": 1500, "Zt": 13,
                "Lt": 24, "REt": 35, "Rmax": 100_001, "Zmax": 10, "Lmax": 20, "REmax": 30,
                "n": 3, "d": 30}  # fmt: skip
    assert inputs == expected
    score = world.totals(run.run_id, "wechat")[0]["score"]
    assert score == pytest.approx(compute("qingbo_wci_v14_2", expected).value, rel=1e-12)
    out = explain.explain(world.con, run.run_id, "wechat:gh_zz")
    assert {d["dimension"] for d in out["dimensions"]} == {"O", "A", "H", "P"}
    assert out["contributions_total"] == pytest.approx(score)


def test_qingbo_weeks_run_sunday_to_saturday(world: World) -> None:
    world.account("wechat", "gh_w", world.org("郑州发布"))
    world.post("wechat", "gh_w", china("2025-06-29"), reads=700, likes=7)  # Sunday: in 清博 W27
    world.post("wechat", "gh_w", china("2025-07-06"), reads=900, likes=9)  # Sunday: in ISO W27
    run = world.run("2025-W27", "qingbo_wci_v2")
    assert _inputs(world, run.run_id, "gh_w") == {"R": 700, "Z": 7, "n": 1, "Rmax": 700, "Zmax": 7}
    assert qingbo_days(parse_period("2025-W27")) == 7
    assert qingbo_days(parse_period("2025-02")) == 30
    assert qingbo_days(parse_period("2025-Q1")) == 90


def test_bci_and_nri_over_stored_posts(world: World) -> None:
    org = world.org("郑州发布")
    world.account("weibo", "w1", org)
    world.account("wechat", "gh_n", org)
    world.daily("weibo", "w1", "2025-07-01", 3, reposts=10, comments=20, likes=30)
    world.daily("wechat", "gh_n", "2025-07-01", 2, reads=3500, likes=35, is_headline=True)
    bci = world.run("2025-07", "weibo_bci_simple")
    inputs = {"posts": 3, "reposts": 30, "comments": 60, "likes": 90}
    assert _inputs(world, bci.run_id, "w1") == inputs
    assert world.totals(bci.run_id, "weibo")[0]["score"] == pytest.approx(
        compute("weibo_bci_simple", inputs).value
    )
    nri = world.run("2025-07", "newrank_nri")
    expected = {"read_sum": 7000, "read_max": 3500, "read_avg": 3500, "headline_read_sum": 7000,
                "like_sum": 70, "n": 31}  # fmt: skip
    assert _inputs(world, nri.run_id, "gh_n") == expected
    assert world.totals(nri.run_id, "wechat")[0]["score"] == pytest.approx(
        compute("newrank_nri", expected).value
    )


def test_account_without_articles_scores_zero(world: World) -> None:
    org = world.org("郑州发布")
    world.account("wechat", "gh_empty", org)
    world.account("wechat", "gh_full", org)
    world.daily("wechat", "gh_full", "2025-07-01", 31, reads=100, likes=1)
    run = world.run("2025-07", "qingbo_wci_v14_2")
    rows = {r["account_uid"]: r for r in world.totals(run.run_id, "wechat")}
    assert rows["gh_empty"]["score"] == 0
    assert rows["gh_empty"]["compliance_reasons"] == ["no_post"]
    assert rows["gh_full"]["rank"] == 1
