"""The engine over small realistic data: scores, re-normalisation, gate, ranks, matrices."""

from __future__ import annotations

import tomllib
from datetime import timedelta
from typing import Any

import pyarrow as pa
import pytest

from zhengwu.index import explain, methodology, ranking, results
from zhengwu.index.compliance import ComplianceRules
from zhengwu.index.dimensions import load_dimensions
from zhengwu.index.engine import run_index
from zhengwu.index.matrix import matrix_index
from zhengwu.index.periods import parse_period
from zhengwu.index.service_source import SERVICE_RATES_SCHEMA
from zhengwu.index.system import BUILTIN_DIR, load_system, parse_system

from .conftest import World, china


def _city(world: World) -> dict[str, Any]:
    """Three bodies on Weibo (one dormant at the end of July) and one on WeChat."""
    police = world.org("郑州市公安局", sector="公安", level="市")
    fire = world.org("金水区消防救援大队", sector="消防", level="县", adcode="410105")
    tourism = world.org("郑州市文化广电和旅游局", sector="文旅", level="市")
    a1 = world.account("weibo", "1001", police, name="平安郑州", followers=500_000)
    a2 = world.account("weibo", "1002", fire, name="金水消防")
    a3 = world.account("weibo", "1003", tourism, name="郑州文旅")
    a4 = world.account("wechat", "gh_police", police, name="郑州公安微信")
    world.daily("weibo", "1001", "2025-07-01", 31, reposts=40, comments=30, likes=300, reads=9000,
                topics=["马上办"])  # fmt: skip
    world.daily("weibo", "1002", "2025-07-01", 31, reposts=5, comments=4, likes=40, reads=1500)
    world.daily("weibo", "1003", "2025-07-01", 5, reposts=2, comments=1, likes=10, reads=800)
    world.daily("wechat", "gh_police", "2025-07-01", 20, reads=3000, likes=30, zaikan=10, shares=20)
    world.followers("weibo", "1001", [("2025-06-20", 480_000), ("2025-07-31", 500_000)])
    world.followers("weibo", "1002", [("2025-06-20", 10_000), ("2025-07-31", 10_500)])
    matrix = world.matrix("郑州政务矩阵", [a1, a2, a3, a4])
    return {"a1": a1, "a2": a2, "a3": a3, "a4": a4, "police": police, "matrix": matrix}


def _items(world: World, run_id: str, uid: str) -> list[dict[str, Any]]:
    cur = world.con.execute(
        "SELECT * FROM index_score_items WHERE run_id = ? AND account_uid = ? ORDER BY item",
        [run_id, uid],
    )
    names = [d[0] for d in cur.description or []]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def test_scores_ranks_and_the_compliance_gate(world: World) -> None:
    _city(world)
    run = world.run("2025-07")
    assert (run.accounts, run.failing, run.organizations) == (4, 1, 3)
    weibo = world.totals(run.run_id, "weibo")
    assert [r["account_uid"] for r in weibo] == ["1001", "1002", "1003"]
    assert [r["rank"] for r in weibo] == [1, 2, None]
    dormant = weibo[2]
    assert dormant["excluded"]
    assert dormant["compliance_reasons"] == ["no_post"]
    assert all(0 <= r["score"] <= 100 for r in weibo)
    assert weibo[0]["percentile"] == 100
    assert weibo[0]["peer_size"] == 3
    listing = ranking.ranking(world.con, run.run_id, platform="weibo")
    assert listing["excluded_count"] == 1
    assert listing["excluded"][0]["name"] == "郑州文旅"
    assert [r["account_uid"] for r in listing["groups"][0]["rows"]] == ["1001", "1002"]
    with_failing = ranking.ranking(world.con, run.run_id, platform="weibo", include_failing=True)
    rows = with_failing["groups"][0]["rows"]
    assert [(r["rank"], r["excluded"]) for r in rows] == [(1, False), (2, False), (3, True)]


def test_contributions_add_up_to_the_score(world: World) -> None:
    _city(world)
    run = world.run("2025-07")
    for row in world.totals(run.run_id, "weibo") + world.totals(run.run_id, "wechat"):
        items = _items(world, run.run_id, row["account_uid"])
        indicators = [i for i in items if i["indicator"]]
        dimensions = [i for i in items if not i["indicator"]]
        assert sum(i["contribution"] for i in indicators) == pytest.approx(row["score"], abs=1e-9)
        assert sum(i["contribution"] for i in dimensions) == pytest.approx(row["score"], abs=1e-9)
        assert sum(d["weight"] for d in dimensions) == pytest.approx(1)


def test_missing_dimension_reweights_and_is_recorded(world: World) -> None:
    _city(world)
    run = world.run("2025-07")
    by_uid = {r["account_uid"]: r for r in world.totals(run.run_id, "weibo")}
    # 平安郑州 posts #马上办#: the service fallback has data; 金水消防 has none.
    assert "service" not in by_uid["1001"]["dims_missing"]
    assert by_uid["1002"]["dims_missing"] == ["service"]
    weights = {d.key: d.weight for d in load_system().dimensions}
    dims = {i["dimension"]: i for i in _items(world, run.run_id, "1002") if not i["indicator"]}
    assert dims["service"]["weight"] == 0
    assert dims["service"]["normalised"] is None
    present = 1 - weights["service"]
    assert dims["reach"]["weight"] == pytest.approx(weights["reach"] / present)
    # Own replies: nobody shows one, so the indicator carries no information and is left out.
    own = next(
        i for i in _items(world, run.run_id, "1001") if i["indicator"] == "own_replies_per_day"
    )
    assert own["raw"] == 0
    assert own["normalised"] is None
    assert own["weight"] == 0


def test_service_desk_rates_take_precedence_over_the_fallback(world: World) -> None:
    made = _city(world)
    rates = pa.Table.from_pylist(
        [{"organization_id": made["police"].id, "response_rate": 0.9, "resolution_rate": 0.8,
          "ontime_rate": 0.7, "satisfaction_rate": 0.95, "n": 120}],
        schema=SERVICE_RATES_SCHEMA,
    )  # fmt: skip
    system = load_system()
    run = run_index(world.con, system, parse_period("2025-07"), load_dimensions(world.session),
                    service_rates=rates)  # fmt: skip
    items = {(i["indicator"] or i["dimension"]): i for i in _items(world, run.run_id, "1001")}
    assert items["satisfaction_rate"]["normalised"] == pytest.approx(95)
    assert items["service_posts_per_day"]["weight"] == 0  # fallback unused
    expected = 0.25 * 90 + 0.25 * 80 + 0.2 * 70 + 0.3 * 95
    assert items["service"]["normalised"] == pytest.approx(expected)


def test_organisations_combine_their_best_platforms(world: World) -> None:
    _city(world)
    run = world.run("2025-07")
    accounts = {
        r["account_uid"]: r["score"]
        for r in world.totals(run.run_id, "weibo") + world.totals(run.run_id, "wechat")
    }
    orgs = {r["name"]: r for r in world.totals(run.run_id, "all")}
    police = orgs["郑州市公安局"]
    assert police["score"] == pytest.approx((accounts["1001"] + accounts["gh_police"]) / 2)
    assert police["tie_value"] == 2  # platforms scored
    tourism = orgs["郑州市文化广电和旅游局"]
    assert tourism["excluded"]
    assert tourism["compliance_reasons"] == ["no_compliant_account"]


def test_rank_movement_against_the_previous_period(world: World) -> None:
    police = world.org("郑州市公安局")
    fire = world.org("郑州消防")
    world.account("weibo", "A", police)
    world.account("weibo", "B", fire)
    world.daily("weibo", "A", "2025-06-01", 30, reposts=1, comments=1, likes=1, reads=100)
    world.daily("weibo", "B", "2025-06-01", 30, reposts=50, comments=50, likes=500, reads=9000)
    world.daily("weibo", "A", "2025-07-01", 31, reposts=80, comments=60, likes=900, reads=20000)
    world.daily("weibo", "B", "2025-07-01", 31, reposts=3, comments=2, likes=20, reads=300)
    june = world.run("2025-06")
    first = ranking.ranking(world.con, june.run_id, platform="weibo")
    assert first["previous_run"] is None
    assert first["groups"][0]["rows"][0]["movement"] is None
    world.account("weibo", "C", world.org("新来的"))
    world.daily("weibo", "C", "2025-07-01", 31, reposts=2, comments=1, likes=10, reads=200)
    july = world.run("2025-07")
    result = ranking.ranking(world.con, july.run_id, platform="weibo")
    assert result["previous_run"] == june.run_id
    moves = {r["account_uid"]: r["movement"] for r in result["groups"][0]["rows"]}
    assert moves == {"A": 1, "B": -1, "C": "new"}


def _tie_system() -> Any:
    data = tomllib.loads((BUILTIN_DIR / "zhengwu-4d.toml").read_text(encoding="utf-8"))
    data["name"] = "originality"
    data["dimensions"] = [{"key": "original", "name": "原创", "weight": 1.0, "indicators": [
        {"metric": "original_ratio", "weight": 1.0, "scale": "rate"}]}]  # fmt: skip
    return parse_system(data)


def test_ties_break_by_posts_then_uid(world: World) -> None:
    org = world.org("郑州发布")
    for uid in ("zz", "aa", "mm"):
        world.account("weibo", uid, org)
    world.daily("weibo", "zz", "2025-07-01", 31)
    world.daily("weibo", "aa", "2025-07-01", 31)
    world.daily("weibo", "mm", "2025-07-01", 31)
    world.daily("weibo", "mm", "2025-07-10", 5)  # same score (all original), more posts
    run = world.run("2025-07", _tie_system())
    rows = world.totals(run.run_id, "weibo")
    assert {r["score"] for r in rows} == {100.0}
    assert [r["account_uid"] for r in rows] == ["mm", "aa", "zz"]
    assert [r["rank"] for r in rows] == [1, 2, 3]
    again = world.run("2025-07", _tie_system())
    assert [r["account_uid"] for r in world.totals(again.run_id, "weibo")] == ["mm", "aa", "zz"]


def test_rankings_by_sector_level_region_and_matrix(world: World) -> None:
    made = _city(world)
    run = world.run("2025-07")
    by_sector = ranking.ranking(world.con, run.run_id, platform="weibo", by="sector")
    groups = {g["group_key"]: g for g in by_sector["groups"]}
    ranks = {k: [r["rank"] for r in g["rows"]] for k, g in groups.items()}
    assert ranks == {"公安": [1], "消防": [1], "文旅": []}  # 文旅 only has a failing account
    assert groups["文旅"]["excluded_count"] == 1
    assert by_sector["excluded_count"] == 1
    by_city = ranking.ranking(world.con, run.run_id, platform="weibo", by="city", top=1)
    assert [g["group_name"] for g in by_city["groups"]] == ["郑州市"]
    assert [r["account_uid"] for r in by_city["groups"][0]["rows"]] == ["1001"]
    by_matrix = ranking.ranking(world.con, run.run_id, platform="weibo", by="matrix")
    assert by_matrix["groups"][0]["group_key"] == str(made["matrix"].id)
    assert [r["account_uid"] for r in by_matrix["groups"][0]["rows"]] == ["1001", "1002"]
    lists = ranking.top_lists(world.con, run.run_id, top=1)
    level = next(
        x
        for x in lists
        if x["platform"] == "weibo" and x["grouping"] == "level" and x["group_key"] == "县"
    )
    assert level["top"] == ["1002"]


def test_matrix_index_top_mean_coverage_and_activity(world: World) -> None:
    _city(world)
    run = world.run("2025-07")
    rows = {r["platform"]: r for r in matrix_index(world.con, run.run_id)}
    scores = {r["account_uid"]: r["score"] for r in world.totals(run.run_id, "weibo")}
    weibo = rows["weibo"]
    assert weibo["members"] == 3
    assert weibo["coverage"] == 1
    assert weibo["activity"] == 1
    assert weibo["top_mean"] == pytest.approx((scores["1001"] + scores["1002"]) / 2)  # 1003 fails
    assert weibo["score"] == pytest.approx(0.6 * weibo["top_mean"] + 0.2 * 100 + 0.2 * 100)
    assert rows["wechat"]["coverage"] == pytest.approx(1 / 3)  # only the police have WeChat
    assert rows["all"]["coverage"] == pytest.approx((1 + 1 / 3 + 0) / 3)
    douyin = rows["douyin"]  # no body of the matrix is on Douyin
    assert (douyin["organizations"], douyin["organizations_on_platform"]) == (3, 0)
    assert (douyin["coverage"], douyin["members"]) == (0, 0)
    assert (rows["wechat"]["organizations"], rows["wechat"]["organizations_on_platform"]) == (3, 1)
    assert rows["all"]["organizations_on_platform"] == 3


def test_explain_an_organisation_shows_the_platform_parts_of_its_score(world: World) -> None:
    city = _city(world)
    run = world.run("2025-07")
    out = explain.explain(world.con, run.run_id, f"org:{city['police'].id}")
    assert out["entity"] == "organization"
    assert (out["indicators"], out["dimensions"]) == ([], [])
    combine = out["combine"]
    assert (combine["method"], combine["top"]) == ("mean_top", 2)
    parts = {p["platform"]: p for p in combine["platforms"]}
    assert set(parts) == {"weibo", "wechat"}
    assert all(p["counted"] and p["weight"] == 0.5 for p in parts.values())
    # The parts add up to the score (it was 0: no dimensions), and each platform's part is
    # half its best account's score.
    assert out["contributions_total"] == pytest.approx(out["score"])
    scores = {r["account_uid"]: r["score"] for r in world.totals(run.run_id, "weibo")}
    assert parts["weibo"]["contribution"] == pytest.approx(scores["1001"] / 2)
    # A body whose only account fails the gate is scored on it, and excluded.
    dormant = explain.explain(world.con, run.run_id, "郑州市文化广电和旅游局")
    assert dormant["excluded"]
    assert [p["account_uid"] for p in dormant["combine"]["platforms"]] == ["1003"]
    assert dormant["contributions_total"] == pytest.approx(dormant["score"])
    zh, en = explain.combination_text(combine)
    assert "最高的 2 个平台得分的平均" in zh
    assert "the mean of the best 2 platform scores" in en


def test_explain_shows_parts_and_the_gap_to_the_rank_above(world: World) -> None:
    _city(world)
    run = world.run("2025-07")
    out = explain.explain(world.con, run.run_id, "金水消防")
    assert (out["uid"], out["rank"], out["peer_size"]) == ("1002", 2, 3)
    # The rank counts the ranked accounts of the platform, apart from those the gate excludes.
    weibo = world.totals(run.run_id, "weibo")
    assert out["ranked_count"] == sum(1 for r in weibo if not r["excluded"])
    assert out["excluded_count"] == sum(1 for r in weibo if r["excluded"])
    assert out["contributions_total"] == pytest.approx(out["score"])
    above = out["above"]
    assert above["uid"] == "1001"
    assert above["gap_points"] > 0
    gaps = [g["gap_points"] for g in above["largest_gaps"]]
    assert gaps == sorted(gaps, reverse=True)
    assert all(g > 0 for g in gaps)
    assert {g["dimension"] for g in above["dimension_gaps"]} >= {"reach", "engagement"}
    assert explain.explain(world.con, run.run_id, "weibo:1001")["above"] is None
    org = explain.explain(world.con, run.run_id, "郑州市公安局")
    assert org["entity"] == "organization"
    assert {p["platform"] for p in org["platforms"]} == {
        "weibo",
        "wechat",
    }


def test_rerun_replaces_results_and_peer_groups_by_sector(world: World) -> None:
    _city(world)
    first = world.run("2025-07")
    second = world.run("2025-07")
    assert first.run_id == second.run_id
    count = world.con.execute("SELECT count(*) FROM index_runs").fetchone()
    assert count == (1,)
    data = tomllib.loads((BUILTIN_DIR / "zhengwu-4d.toml").read_text(encoding="utf-8"))
    data |= {"name": "by-sector", "peer_group": ["platform", "sector"]}
    run = world.run("2025-07", parse_system(data))
    peers = {
        r["account_uid"]: (r["peer_key"], r["peer_size"]) for r in world.totals(run.run_id, "weibo")
    }
    assert peers["1001"] == ("weibo|公安", 1)
    assert peers["1002"] == ("weibo|消防", 1)
    assert results.get_run(world.con, run.run_id)["methodology"].count("平台×系统（行业）") == 1


def test_compliance_window_and_check_date_options(world: World) -> None:
    world.account("weibo", "quiet", world.org("郑州气象"))
    world.post("weibo", "quiet", china("2025-07-20"))
    fourteen = world.run("2025-07")
    assert world.totals(fourteen.run_id, "weibo")[0]["compliance"] == "pass"
    seven = world.run("2025-07", window_days=7, replace=True)
    assert world.totals(seven.run_id, "weibo")[0]["compliance_reasons"] == ["no_post"]
    earlier = world.run(
        "2025-07", window_days=7, check_date=china("2025-07-25").date(), replace=True
    )
    assert world.totals(earlier.run_id, "weibo")[0]["compliance"] == "pass"
    rules = ComplianceRules(window_days=7)
    assert rules.reply_platforms == ("weibo",)


def _gate(text: str) -> str:
    """Return the compliance section of a Chinese methodology text."""
    return text[text.index("## 合规门槛") : text.index("## 排名与并列")]


def test_a_runs_methodology_states_the_rules_the_run_used(world: World) -> None:
    """A run with --no-reply-check, --compliance-days 7 and --check-date stores a text that
    says so, not the system's own reply_check and the default window."""
    world.account("weibo", "quiet", world.org("郑州气象"))
    world.post("weibo", "quiet", china("2025-07-20"))
    default = _gate(results.get_run(world.con, world.run("2025-07").run_id)["methodology"])
    assert "在 2025-07-31（统计周期最后一天）检查" in default
    assert "本次运行为截至检查日的 14 天" in default
    assert "在微博上窗口内没有自身回复" in default
    run = world.run("2025-07", reply_check=False, window_days=7,
                    check_date=china("2025-07-25").date(), replace=True)  # fmt: skip
    stored = results.get_run(world.con, run.run_id)
    assert (stored["reply_check"], stored["compliance_window_days"]) == (False, 7)
    gate = _gate(stored["methodology"])
    assert "自身回复（" not in gate and "在微博上" not in gate
    assert "（本次运行关闭了自身回复检查）" in gate
    assert "本次运行为截至检查日的 7 天" in gate
    assert "在 2025-07-25（本次运行指定的检查日）检查" in gate
    system, period = load_system("zhengwu-4d"), parse_period("2025-07")
    rules = ComplianceRules(window_days=7, reply_check=False)
    english = methodology.render(system, period=period, lang="en", rules=rules,
                                 check_date=china("2025-07-25").date())  # fmt: skip
    assert "Checked on 2025-07-25, the check date given for this run." in english
    assert "this run: the 7 days ending with the check date" in english
    assert "(the own-reply check is off: this run turned it off)" in english
    assert "no own reply" not in english
    # Today's text of an older run's configuration states that run's rules too.
    world.con.execute(
        "UPDATE index_runs SET methodology = 'old text' WHERE run_id = ?", [run.run_id]
    )
    current = methodology.of_run(results.get_run(world.con, run.run_id)).current
    assert current is not None
    assert "（本次运行关闭了自身回复检查）" in _gate(current)
    assert "本次运行为截至检查日的 7 天" in _gate(current)


def test_a_runs_methodology_names_where_the_reply_check_was_skipped(world: World) -> None:
    """The gate skips the own-reply check on a platform where the store shows nobody's own
    reply in the window; the text says that rule, and a run's text the platforms it skipped."""
    org = world.org("郑州发布")
    world.account("weibo", "plain", org)
    world.daily("weibo", "plain", "2025-07-01", 31)
    run = world.run("2025-07")
    assert world.totals(run.run_id, "weibo")[0]["compliance"] == "pass"  # skipped, not failed
    skipped = _gate(results.get_run(world.con, run.run_id)["methodology"])
    assert "数据无法区分从不回复的账号和回复未被采集的账号，该平台跳过此项检查" in skipped
    assert "本次运行在微博上跳过了此项检查。" in skipped
    world.account("weibo", "talker", org)
    world.daily("weibo", "talker", "2025-07-01", 31, text="回复@网友：收到")
    run = world.run("2025-07", replace=True)
    reasons = {r["account_uid"]: r["compliance_reasons"] for r in world.totals(run.run_id, "weibo")}
    assert reasons == {"plain": ["no_replies"], "talker": []}
    checked = _gate(results.get_run(world.con, run.run_id)["methodology"])
    assert "本次运行在微博上进行了此项检查，没有跳过的平台。" in checked
    assert "跳过了此项检查" not in checked
    # A system's text (no run) states the rule alone; English says the same.
    system, period = load_system("zhengwu-4d"), parse_period("2025-07")
    plain = _gate(methodology.render(system))
    assert "该平台跳过此项检查" in plain and "本次运行" not in plain
    english = methodology.render(system, period=period, lang="en",
                                 rules=ComplianceRules(), check_date=period.end,
                                 reply_skipped=("weibo",))  # fmt: skip
    assert "so the check is skipped on that platform and no account fails it there" in english
    assert "This run skipped it on weibo." in english
    # With the check off there is nothing to skip.
    off = world.run("2025-07", reply_check=False, replace=True)
    assert "跳过" not in _gate(results.get_run(world.con, off.run_id)["methodology"])


def test_own_replies_count_when_observable(world: World) -> None:
    org = world.org("郑州发布")
    world.account("weibo", "talker", org)
    world.account("weibo", "silent", org)
    days = [china("2025-07-01") + timedelta(days=d) for d in range(31)]
    world.posts("weibo", "talker", days, text="回复@市民小王：已转交属地派出所处理。", reposts=1)
    world.posts("weibo", "silent", days, reposts=1)
    run = world.run("2025-07")
    rows = {r["account_uid"]: r for r in world.totals(run.run_id, "weibo")}
    assert rows["silent"]["compliance_reasons"] == ["no_replies"]
    assert rows["talker"]["compliance"] == "pass"
    own = next(
        i for i in _items(world, run.run_id, "talker") if i["indicator"] == "own_replies_per_day"
    )
    assert own["raw"] == pytest.approx(1.0)
    assert own["normalised"] == 100
    off = world.run("2025-07", reply_check=False, replace=True)
    assert all(r["compliance"] == "pass" for r in world.totals(off.run_id, "weibo"))
