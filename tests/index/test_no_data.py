"""Accounts without usable counts: no score (NULL, not 0), excluded with ``no_data``, noted.

The real 共青团中央 article list (Sept 2019) has no read, 在看, like or share counts: the
store holds NULL for them, and an index must not score that as a row of zeros.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from zhengwu.content import store
from zhengwu.index import explain, ranking
from zhengwu.ingest.collect import Collector
from zhengwu.platforms.wechat.importers import WechatArticlesImporter

from .conftest import World, china

SAMPLE = (
    Path(__file__).resolve().parents[3]
    / "shared" / "data" / "wechat" / "wnma3mz_gongqingtuan_zhongyang_article_list.jsonl"
)  # fmt: skip
GQT = "MzA3NTE5MzQzMA=="  # 共青团中央's biz, the uid of its posts


def _import_real_sample(world: World) -> None:
    """Store the 73 real articles as the WeChat importer reads them (counts NULL)."""
    collector = Collector(observed_at=datetime(2019, 10, 10, tzinfo=UTC))
    for item in WechatArticlesImporter().read(SAMPLE):
        collector.add(item)
    store.write_posts(world.con, collector.posts_table())
    uids = world.con.execute("SELECT DISTINCT account_uid FROM posts").fetchall()
    assert uids == [(GQT,)]
    counts = world.con.execute(
        "SELECT count(*), count(reads), count(likes), count(zaikan), count(shares) FROM posts"
    ).fetchall()
    assert counts == [(73, 0, 0, 0, 0)]


def test_real_article_list_without_counts_is_not_scored_as_zero(world: World) -> None:
    world.account("wechat", GQT, world.org("共青团中央"), name="共青团中央")
    world.account("wechat", "gh_quiet", world.org("某县发布"))  # no post in Sept 2019
    _import_real_sample(world)
    run = world.run("2019-09", "qingbo_wci_v14_2")
    rows = {r["account_uid"]: r for r in world.totals(run.run_id, "wechat")}
    gqt = rows[GQT]
    assert gqt["score"] is None
    assert gqt["excluded"] is True
    assert gqt["rank"] is None and gqt["percentile"] is None
    assert gqt["compliance_reasons"] == ["no_data"]
    assert gqt["dims_missing"] == ["O", "A", "H", "P"]
    assert gqt["posts"] == 73
    # It is listed after the accounts that have a score, not first on its 73 posts.
    assert gqt["rank_with_failing"] == 2
    quiet = rows["gh_quiet"]
    assert quiet["score"] == 0  # 清博: no article in the window → 0
    assert quiet["rank_with_failing"] == 1 and quiet["percentile"] == 100
    assert run.failing == 1  # gh_quiet fails the gate (no post); no data is not a failure
    assert any(
        n.startswith("1 个账号在 2019-09 没有可用的计数（未报告，非 0）")
        and "/ 1 account had no usable counts in 2019-09 (not reported" in n
        for n in run.notes
    )
    # Nobody in the peer group has usable data: the notes say its ranking says nothing.
    assert any("peer group wechat: none of its 2 accounts" in n for n in run.notes)
    stored = world.con.execute(
        "SELECT notes FROM index_runs WHERE run_id = ?", [run.run_id]
    ).fetchall()[0][0]
    assert stored == run.notes
    result = ranking.ranking(world.con, run.run_id, platform="wechat")
    excluded = {e["account_uid"]: e["compliance_reasons"] for e in result["excluded"]}
    assert excluded[GQT] == ["no_data"]
    out = explain.explain(world.con, run.run_id, f"wechat:{GQT}")
    assert out["score"] is None and out["excluded"] is True
    assert out["compliance_reasons"] == ["no_data"]
    assert out["above"] is not None and out["above"]["gap_points"] is None


def test_unreported_counts_beside_reported_ones(world: World) -> None:
    for uid in ("gh_a", "gh_b", "gh_null"):
        world.account("wechat", uid, world.org(f"{uid}-org"))
    world.daily("wechat", "gh_a", "2025-07-01", 3, reads=900, likes=9, is_headline=True)
    world.daily("wechat", "gh_b", "2025-07-01", 3, reads=100, likes=1, is_headline=True)
    world.daily("wechat", "gh_null", "2025-07-01", 20, is_headline=True)  # counts unreported
    # A partly reported account keeps its score: the NULL post counts as 0 beside the others.
    world.post("wechat", "gh_b", china("2025-07-05"), is_headline=False)
    run = world.run("2025-07", "qingbo_wci_v14_2", check_date=date(2025, 7, 5))
    rows = world.totals(run.run_id, "wechat")
    assert [(r["account_uid"], r["rank"]) for r in rows] == [
        ("gh_a", 1), ("gh_b", 2), ("gh_null", None),
    ]  # fmt: skip
    assert rows[1]["score"] > 0 and rows[1]["posts"] == 4
    assert rows[2]["score"] is None and rows[2]["compliance"] == "pass"
    assert rows[2]["compliance_reasons"] == ["no_data"] and rows[2]["excluded"]
    assert rows[2]["peer_size"] == 2  # the scored accounts
    assert [r["percentile"] for r in rows] == [100, 50, None]
    assert not any("peer group" in n for n in run.notes)
    assert any("/ 1 account had no usable counts" in n for n in run.notes)
    org = world.totals(run.run_id, "all")
    reasons = {r["name"]: r["compliance_reasons"] for r in org}
    assert reasons == {"gh_a-org": [], "gh_b-org": [], "gh_null-org": ["no_data"]}


def test_zhengwu_4d_account_with_every_dimension_missing_is_excluded(world: World) -> None:
    world.account("wechat", GQT, world.org("共青团中央"), name="共青团中央")
    _import_real_sample(world)
    run = world.run("2019-09-24..2019-09-30", "zhengwu-4d")
    (row,) = world.totals(run.run_id, "wechat")
    assert row["score"] is None
    assert sorted(row["dims_missing"]) == sorted(["engagement", "reach", "recognition", "service"])
    assert row["excluded"] is True and row["rank"] is None
    assert "no_data" in row["compliance_reasons"]
    assert any("/ 1 account had no usable counts" in n for n in run.notes)
    # Not "none of its 1 accounts has usable data (1 without counts, the rest score 0)".
    assert (
        "同组 wechat 唯一的账号在 2019-09-24..2019-09-30 没有可用数据（无数据）：该组排名没有意义"
        " / peer group wechat: its one account has no usable data in 2019-09-24..2019-09-30"
        " (no counts): its ranking says nothing"
    ) in run.notes


def test_notes_count_one_in_the_singular() -> None:
    import duckdb

    from zhengwu.index.engine import no_data_notes
    from zhengwu.index.periods import parse_period

    con = duckdb.connect()
    con.execute("CREATE TABLE index_totals (run_id TEXT, entity TEXT, peer_key TEXT, score DOUBLE)")
    groups = [f"weibo|g{i}" for i in range(6)]  # six peer groups, each of one unscored account
    con.executemany(
        "INSERT INTO index_totals VALUES ('r', 'account', ?, NULL)", [[g] for g in groups]
    )
    notes = no_data_notes(con, "r", parse_period("2025-07"))
    assert notes[0].endswith(
        "/ 6 accounts had no usable counts in 2025-07 (not reported, which is not 0): "
        "no score, not ranked (reason no_data)"
    )
    assert notes[1].endswith("/ peer group weibo|g0: its one account has no usable data in "
                             "2025-07 (no counts): its ranking says nothing")  # fmt: skip
    assert notes[-1] == "另有 1 个同组也没有可用数据 / 1 more peer group has no usable data"
