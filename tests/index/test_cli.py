"""`zhengwu index …` commands end to end on the configured database and store."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from tests.web.test_console_world import build_console_world
from typer.testing import CliRunner

from zhengwu.accounts.models import Account, Organization
from zhengwu.cli.index import app
from zhengwu.content import store
from zhengwu.db import migrate
from zhengwu.db.engine import get_engine, unit_of_work
from zhengwu.ingest.collect import Collector
from zhengwu.ingest.registry import ImportItem
from zhengwu.platforms.records import PostRecord

from .conftest import china

runner = CliRunner()


def _setup(*, silent: bool = False) -> None:
    """Two accounts posting daily in July 2025; with ``silent`` a third that never posts."""
    migrate.upgrade(get_engine())
    with unit_of_work() as session:
        police = Organization(name="郑州市公安局", level="市", sector="公安", adcode="410100")
        fire = Organization(name="郑州消防", level="市", sector="消防", adcode="410100")
        session.add_all([police, fire])
        session.flush()
        session.add_all([
            Account(platform="weibo", uid="8001", name="平安郑州", organization_id=police.id, is_government=True),
            Account(platform="weibo", uid="8002", name="郑州消防", organization_id=fire.id, is_government=True),
        ])  # fmt: skip
        if silent:
            session.add(Account(platform="weibo", uid="8003", name="沉默账号",
                                organization_id=police.id, is_government=True))  # fmt: skip
    collector = Collector(observed_at=china("2025-08-05"))
    for day in range(31):
        when = china("2025-07-01").replace(day=1 + day)
        for uid, likes in (("8001", 100), ("8002", 10)):
            collector.add(ImportItem(primary=PostRecord(
                platform="weibo", post_id=f"{uid}-{day}", account_uid=uid, created_at=when,
                text="发布", reposts=likes // 10, comments=likes // 5, likes=likes,
            )))  # fmt: skip
    with store.open_store() as con:
        store.write_posts(con, collector.posts_table())


def _json(args: list[str]) -> Any:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_run_rank_explain_matrix_coverage(tmp_path: Path) -> None:
    _setup()
    summary = _json(["run", "--period", "2025-07", "--json"])
    assert (summary["run_id"], summary["accounts"], summary["failing"]) == (
        "zhengwu-4d/2025-07",
        2,
        0,
    )
    ranked = _json(
        ["rank", "--period", "2025-07", "--platform", "weibo", "--by", "sector", "--json"]
    )
    assert {g["group_key"] for g in ranked["groups"]} == {"公安", "消防"}
    top = _json(["rank", "--period", "2025-07", "--top", "1", "--json"])
    assert [r["name"] for r in top["groups"][0]["rows"]] == ["平安郑州"]
    table = runner.invoke(app, ["rank", "--period", "2025-07", "--csv", str(tmp_path / "r.csv")])
    assert table.exit_code == 0
    assert (tmp_path / "r.csv").read_text(encoding="utf-8-sig").count("\n") == 4
    # Organisations: named org:<id> in the table (what `explain` takes), not all:org:<id>.
    orgs = _json(["rank", "--period", "2025-07", "--platform", "all", "--json"])
    first = orgs["groups"][0]["rows"][0]
    assert first["account_uid"].startswith("org:"), first
    org_table = _text(["rank", "--period", "2025-07", "--platform", "all"])
    assert "机构" in org_table and first["account_uid"] in org_table, org_table
    assert "all:org:" not in org_table, org_table
    assert _json(["explain", first["account_uid"], "--period", "2025-07", "--json"])
    # How the organisation's platforms combine: one line a language, not a Python tuple.
    org_text = runner.invoke(app, ["explain", first["account_uid"], "--period", "2025-07"])
    assert "('" not in org_text.stdout
    assert "\ncross-platform score = " in org_text.stdout and "；合计 " in org_text.stdout
    out = _json(["explain", "weibo:8002", "--period", "2025-07", "--json"])
    assert out["above"]["name"] == "平安郑州"
    assert out["rank"] == 2
    text = runner.invoke(app, ["explain", "郑州消防", "--period", "2025-07", "--platform", "weibo"])
    assert text.exit_code == 0
    assert "next above" in text.stdout
    # Dimensions by their names in the system, and the contributions' total.
    flat = re.sub(r"[\s│┃]+", " ", text.stdout)
    assert "互动力 engagement 日均评论" in flat and "传播力 reach 维度合计 dimension" in flat
    assert f"得分贡献合计 contributions total {out['contributions_total']:.2f}" in flat
    assert _json(["matrix", "--period", "2025-07", "--json"]) == []  # no matrices defined
    coverage = _json(["coverage", "--period", "2025-07", "--json"])
    overall = next(
        r
        for r in coverage
        if r["sector"] == "全部" and r["level"] == "全部" and r["platform"] == "weibo"
    )
    assert (overall["organizations"], overall["open_rate"], overall["active_rate"]) == (2, 1.0, 1.0)
    assert [r["run_id"] for r in _json(["runs", "--json"])] == ["zhengwu-4d/2025-07"]


def test_publish_and_withdraw_a_run(tmp_path: Path) -> None:
    from zhengwu.index import access
    from zhengwu.index.models import PublishedRun

    _setup()
    _json(["run", "--period", "2025-07", "--json"])
    missing = runner.invoke(app, ["publish", "--period", "2025-06"])
    assert missing.exit_code == 2
    # Says which command stores the run, in both languages, one per line.
    command = "zhengwu index run --system zhengwu-4d --period 2025-06"
    zh, en = missing.output.strip().splitlines()
    assert zh.startswith("错误") and command in zh and en.startswith("Error") and command in en
    old_form = runner.invoke(app, ["publish", "zhengwu-4d", "2025-07"])
    assert old_form.exit_code == 2 and "--period PERIOD --system SYSTEM" in old_form.output
    done = runner.invoke(
        app, ["publish", "--period", "2025-07", "--system", "zhengwu-4d", "--by", "王五"]
    )
    assert done.exit_code == 0, done.output
    with unit_of_work() as session:
        published = session.get(PublishedRun, "zhengwu-4d/2025-07")
        assert published is not None and published.published_by == "王五"
        with store.open_store(read_only=True) as con:
            latest = access.latest_published(session, con)
            assert latest is not None and latest.run_id == "zhengwu-4d/2025-07"
    gone = runner.invoke(app, ["publish", "--period", "2025-07", "--withdraw"])
    assert gone.exit_code == 0, gone.output
    with unit_of_work() as session:
        assert session.get(PublishedRun, "zhengwu-4d/2025-07") is None
    again = runner.invoke(app, ["publish", "--period", "2025-07", "--withdraw"])
    assert again.exit_code != 0 and "未发布" in again.output


def test_withdraw_a_publication_whose_run_was_deleted() -> None:
    from zhengwu.index import results
    from zhengwu.index.models import PublishedRun

    _setup()
    _json(["run", "--period", "2025-07", "--json"])
    done = runner.invoke(app, ["publish", "--period", "2025-07"])
    assert done.exit_code == 0, done.output
    with store.open_store() as con:
        results.delete_run(con, "zhengwu-4d/2025-07")
    gone = runner.invoke(app, ["publish", "--period", "2025-07", "--withdraw"])
    assert gone.exit_code == 0, gone.output
    assert "已撤回 withdrawn: zhengwu-4d/2025-07" in gone.output
    with unit_of_work() as session:
        assert session.get(PublishedRun, "zhengwu-4d/2025-07") is None
    # Nothing published: said, with what is published (nothing).
    again = runner.invoke(app, ["publish", "--period", "2025-07", "--withdraw"])
    assert again.exit_code != 0
    assert "zhengwu-4d/2025-07 未发布（已发布的：—）" in again.output
    assert "is not published (published: —)" in again.output


def test_compliance_flags_and_systems(tmp_path: Path) -> None:
    _setup()
    report = _json(["compliance", "--date", "2025-08-20", "--json"])
    assert report["failing"] == 2
    assert report["by_reason"] == {"no_post": 2}
    flagged = runner.invoke(app, ["flag", "weibo:8001", "--kind", "coerced_likes",
                                  "--reason", "强制下属点赞", "--by", "督查组", "--at", "2025-07-20"])  # fmt: skip
    assert flagged.exit_code == 0, flagged.output
    flags = _json(["flags", "--json"])
    assert [(f["kind"], f["flagged_by"]) for f in flags] == [("coerced_likes", "督查组")]
    report = _json(["compliance", "--date", "2025-07-31", "--failing-only", "--json"])
    assert [(r["uid"], r["reasons"]) for r in report["rows"]] == [("8001", ["flag:coerced_likes"])]
    # The table says each reason in Chinese too, as the console does.
    table = _text(["compliance", "--date", "2025-07-31", "--failing-only"])
    assert "强制点赞 / 刷量 flag:coerced_likes" in table
    # … and the platform and the result (not "weibo", "fail"), the last post to the minute.
    out = runner.invoke(app, ["compliance", "--date", "2025-07-31", "--failing-only"]).stdout
    cells = [line.split("│")[1:-1] for line in out.splitlines() if line.startswith("│")]
    columns = ("".join(c).replace(" ", "") for c in zip(*cells, strict=True))
    platform, _, _, _, _, last, result, _ = columns
    assert (platform, result) == ("微博", "未通过fail"), out
    assert re.fullmatch(r"20\d\d-\d\d-\d\d\d\d:\d\d", last), out
    assert "按原因 by reason: 强制点赞 / 刷量 flag:coerced_likes 1" in table
    lifted = runner.invoke(
        app, ["unflag", str(flags[0]["id"]), "--reason", "整改完成", "--by", "督查组"]
    )
    assert lifted.exit_code == 0
    again = runner.invoke(app, ["unflag", str(flags[0]["id"]), "--reason", "x", "--by", "y"])
    assert again.exit_code == 2
    assert "already lifted" in again.output
    systems = _json(["systems", "--json"])
    assert {"zhengwu-4d", "qingbo_wci_v14_2"} <= {s["name"] for s in systems}
    assert any(m["name"] == "own_replies" for m in _json(["systems", "--metrics", "--json"]))
    method = runner.invoke(app, ["methodology", "zhengwu-4d", "--period", "2025-Q3"])
    assert method.exit_code == 0
    assert "## 合规门槛" in method.stdout
    missing = runner.invoke(app, ["rank", "--period", "2024-01"])
    assert missing.exit_code == 2
    assert "zhengwu index run --system zhengwu-4d --period 2024-01" in missing.output
    bad = runner.invoke(app, ["run", "--period", "July"])
    assert bad.exit_code == 2
    assert "people-2025" in bad.output


def _text(args: list[str]) -> str:
    """Run a command that must succeed; return its output with table borders and wraps removed."""
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return re.sub(r"[\s│┃]+", " ", result.stdout)


def _fails(args: list[str]) -> str:
    """Run a command that must fail cleanly (exit 2, no traceback); return its output."""
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    return result.output


def test_rank_with_failing_accounts_and_an_unknown_group() -> None:
    _setup(silent=True)
    assert _json(["run", "--period", "2025-07", "--json"])["failing"] == 1
    default = _text(["rank", "--period", "2025-07"])
    # A period typed otherwise than the stored one: the error lists the stored periods.
    other = _fails(["rank", "--period", "2025-06"])
    assert "zhengwu-4d 已有的期间：2025-07；或先运行" in other
    assert "zhengwu-4d has the periods 2025-07; or run" in other
    assert "(2 ranked, 1 excluded)" in default
    included = _text(["rank", "--period", "2025-07", "--include-failing"])
    assert "(3 ranked, 1 of them failing ✗)" in included
    assert "2 ranked, 1 excluded" not in included
    assert "failing the compliance gate or without data, ranked and marked ✗: 1" in included
    unknown = _fails(["rank", "--period", "2025-07", "--group", "不存在"])
    assert "没有这个分组：'不存在'" in unknown and "no such group: '不存在'" in unknown
    assert "Groups: weibo" in unknown
    by_sector = _fails(["rank", "--period", "2025-07", "--by", "sector", "--group", "不存在"])
    assert "Groups: 公安, 消防" in by_sector
    assert _json(["rank", "--period", "2025-07", "--by", "sector", "--group", "公安", "--json"])
    # JSON counts the excluded; it lists them (a national run has ~150 000) only when asked.
    counted = _json(["rank", "--period", "2025-07", "--json"])
    assert counted["excluded_count"] == 1 and "excluded" not in counted
    listed = _json(["rank", "--period", "2025-07", "--json", "--show-excluded"])
    assert [e["compliance_reasons"] for e in listed["excluded"]] == [["no_post"]]
    assert listed["groups"] == counted["groups"]
    shown = _text(["rank", "--period", "2025-07", "--show-excluded"])
    assert "未纳入 / excluded" in shown and "no_post" in shown


def test_rank_by_sector_shows_the_percentile_within_the_sector(tmp_path: Path) -> None:
    """Each sector holds one account: each is the best of its group (组内百分位 100), while
    on the platform the fire brigade's lower score stands at 50 (同类百分位)."""
    import csv

    from openpyxl import load_workbook

    _setup()
    _json(["run", "--period", "2025-07", "--json"])
    out = _json(["rank", "--period", "2025-07", "--by", "sector", "--json"])
    rows = {r["name"]: r for g in out["groups"] for r in g["rows"]}
    assert {n: (r["group_percentile"], r["percentile"]) for n, r in rows.items()} == {
        "平安郑州": (100.0, 100.0), "郑州消防": (100.0, 50.0)}  # fmt: skip
    # In the order of the table, the files, the API and the console's page (组内, then 同类).
    assert [k for k in rows["郑州消防"] if k.endswith("percentile")] == [
        "group_percentile", "percentile"]  # fmt: skip
    table = _text(["rank", "--period", "2025-07", "--by", "sector"])
    assert "组内百分位" in table and "同类百分位" in table
    assert re.search(r"郑州消防 [\d.]+ 100\.00 50\.00 ", table), table
    csv_path, xlsx_path = tmp_path / "rank.csv", tmp_path / "rank.xlsx"
    _text(["rank", "--period", "2025-07", "--by", "sector", "--csv", str(csv_path),
           "--xlsx", str(xlsx_path)])  # fmt: skip
    with csv_path.open(encoding="utf-8-sig") as fh:
        keys, names, *body = list(csv.reader(fh))
    at = keys.index("group_percentile")
    assert (names[at], names[keys.index("percentile")]) == ("组内百分位", "同类百分位")
    assert sorted(r[at] for r in body) == ["100.0", "100.0"]
    sheet = load_workbook(xlsx_path).worksheets[0]
    head = [c.value for c in sheet[1]]
    assert [row[head.index("group_percentile")].value for row in sheet.iter_rows(min_row=3)] == [
        100, 100]  # fmt: skip


def test_explain_counts_the_ranked_apart_from_the_peer_group() -> None:
    _setup(silent=True)
    _json(["run", "--period", "2025-07", "--json"])
    out = _json(["explain", "weibo:8002", "--period", "2025-07", "--json"])
    assert (out["rank"], out["ranked_count"], out["excluded_count"], out["peer_size"]) == (
        2, 2, 1, 3,
    )  # fmt: skip
    text = _text(["explain", "weibo:8002", "--period", "2025-07"])
    assert (
        "rank 2 of 2 ranked (3 in weibo, 1 excluded by the compliance gate or for lack of data)"
        in text
    )
    assert "in peer group weibo (3)" in text
    assert "排行第 2 / 2 名（weibo 共 3 个，其中 1 个因合规门槛或缺数据未纳入）" in text
    assert "（同组 weibo，3 个），合规通过；缺数据的维度" in text
    assert "compliance pass; missing" in text
    silent = _text(["explain", "weibo:8003", "--period", "2025-07"])
    assert "not ranked (excluded by the compliance gate or for lack of data; 3 of 3" in silent
    assert "未纳入排行（合规门槛或缺数据；连同未通过者排第 3 / 3）" in silent
    # The gate's verdict and its reason read apart: not 合规未通过检查日前无更新.
    assert "合规未通过：检查日前无更新 no_post；" in silent
    assert "compliance fail: 检查日前无更新 no_post;" in silent


def test_explain_says_an_account_without_counts_passed_the_gate_but_is_not_ranked() -> None:
    """A WeChat article list carries no counts: the account passes the gate and is left out
    for no data, which the explanation says apart (not 合规通过无数据, "compliance pass 无数据")."""
    _setup()
    with unit_of_work() as session:
        org = session.query(Organization).filter_by(name="郑州消防").one()
        session.add(Account(platform="wechat", uid="w9", name="郑州消防微信",
                            organization_id=org.id, is_government=True))  # fmt: skip
    collector = Collector(observed_at=china("2025-08-05"))
    for day in range(1, 32):
        collector.add(ImportItem(primary=PostRecord(
            platform="wechat", post_id=f"w9-{day}", account_uid="w9",
            created_at=china("2025-07-01").replace(day=day), text="推送",
        )))  # fmt: skip
    with store.open_store() as con:
        store.write_posts(con, collector.posts_table())
    _json(["run", "--period", "2025-07", "--json"])
    out = _json(["explain", "wechat:w9", "--period", "2025-07", "--json"])
    assert (out["compliance"], out["compliance_reasons"], out["rank"]) == (
        "pass",
        ["no_data"],
        None,
    )
    text = _text(["explain", "wechat:w9", "--period", "2025-07"])
    assert "合规通过；未纳入排行：无数据 no_data；缺数据的维度" in text
    assert "compliance pass; not ranked: 无数据 no_data; missing" in text
    assert "合规通过无数据" not in text and "pass 无数据" not in text


def test_explain_an_organisation_prints_its_accounts_and_their_parts() -> None:
    _setup(silent=True)
    _json(["run", "--period", "2025-07", "--json"])
    out = _json(["explain", "郑州市公安局", "--period", "2025-07", "--json"])
    # Two police accounts on Weibo: the best compliant one stands for the platform.
    assert [(p["account_uid"], p["weight"]) for p in out["combine"]["platforms"]] == [("8001", 1)]
    assert out["contributions_total"] == out["score"]
    text = _text(["explain", "郑州市公安局", "--period", "2025-07"])
    assert "各平台账号 / accounts by platform" in text
    assert re.search(r"weibo 8001 平安郑州 [\d.]+ 1 1\.00 [\d.]+", text), text
    assert re.search(r"weibo 8003 沉默账号 [\d.]+ — — —", text), text
    assert "the mean of the best 2 platform scores" in text
    assert f"合计 {out['score']:.2f}" in text and f"total {out['score']:.2f}" in text


def test_bad_dates_are_bilingual_errors_naming_the_option() -> None:
    _setup()
    for args, option in (
        (["run", "--period", "2025-07", "--check-date", "2025-02-30"], "--check-date"),
        (["run", "--period", "2025-07", "--check-date", "garbage"], "--check-date"),
        (["compliance", "--date", "2025-02-30"], "--date"),
        (["flags", "--active-on", "2025-02-30"], "--active-on"),
    ):
        output = _fails(args)
        assert f"{option} 不是有效日期" in output
        assert f"{option}: invalid date" in output


def test_compliance_table_lists_failing_first_up_to_a_limit() -> None:
    _setup(silent=True)
    table = _text(["compliance", "--date", "2025-07-31", "--limit", "1"])
    assert "8003" in table and "8001" not in table and "8002" not in table
    assert "showing 1 of 3 rows" in table
    assert "1 / 3 未通过 failing; 按原因 by reason: 检查日前无更新 no_post 1" in table
    everything = _text(["compliance", "--date", "2025-07-31", "--all"])
    assert all(uid in everything for uid in ("8001", "8002", "8003"))
    assert "showing" not in everything
    assert len(_json(["compliance", "--date", "2025-07-31", "--limit", "1", "--json"])["rows"]) == 3
    failing = _text(["compliance", "--date", "2025-07-31", "--failing-only", "--limit", "5"])
    assert "8003" in failing and "8001" not in failing and "showing" not in failing


def test_compliance_of_one_matrix(configured_database: str, committed_engine: Engine) -> None:
    """--matrix checks a matrix's accounts and those of the matrices below it, on both DBs."""
    world = build_console_world(committed_engine, with_index=False)
    every = ["compliance", "--date", "2025-07-31", "--json"]

    def names(*matrix: str) -> set[str]:
        report = _json([*every, *matrix])
        assert report["accounts"] == report["total"] == len(report["rows"])
        return {r["name"] for r in report["rows"]}

    zz = {"平安郑州", "郑州警方", "金水住建", "郑州12345", "中原文旅"}
    assert names() == zz | {"洛阳住建"}
    assert names("--matrix", "郑州政务新媒体矩阵") == zz  # with the police matrix below it
    assert names("--matrix", str(world.matrices["zz_police"])) == {"平安郑州", "郑州警方"}
    assert names("--matrix", f"#{world.matrices['ly']}") == {"洛阳住建"}
    table = _text(["compliance", "--date", "2025-07-31", "--matrix", "郑州公安新媒体矩阵"])
    assert "0 / 2 未通过 failing" in table

    def matrices(*matrix: str) -> dict[str, list[str]]:
        rows = _json([*every, *matrix])["rows"]
        assert all(r["org_name"] for r in rows), rows  # the page's rows are named after
        return {r["name"]: [m["name"] for m in r["matrices"]] for r in rows}

    # Each --json row names its account's matrices (by name), below --matrix or among
    # every matrix, as GET /api/index/compliance's rows do.
    police = ["郑州公安新媒体矩阵"]
    assert matrices()["平安郑州"] == [*police, "郑州政务新媒体矩阵"]  # by name
    assert matrices()["洛阳住建"] == ["洛阳政务新媒体矩阵"]
    assert matrices("--matrix", "郑州公安新媒体矩阵") == {"平安郑州": police, "郑州警方": police}
    output = _fails([*every, "--matrix", "没有这个矩阵"])
    assert "找不到矩阵" in output and "no matrix" in output


def test_flags_name_the_account() -> None:
    _setup()
    flagged = runner.invoke(app, ["flag", "weibo:8001", "--kind", "coerced_likes",
                                  "--reason", "强制点赞", "--by", "督查组"])  # fmt: skip
    assert flagged.exit_code == 0, flagged.output
    [row] = _json(["flags", "--json"])
    assert (row["account"], row["account_name"]) == ("weibo:8001", "平安郑州")
    table = _text(["flags"])
    assert "平安郑州" in table and "weibo:" in table


def test_rank_export_paths_are_checked_before_any_work(tmp_path: Path) -> None:
    _setup()
    _json(["run", "--period", "2025-07", "--json"])
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    missing = _fails(["rank", "--period", "2025-07", "--csv", str(tmp_path / "no" / "r.csv")])
    assert "--csv: directory does not exist" in missing
    assert not (tmp_path / "no").exists()
    assert "--xlsx: not a directory" in _fails(
        ["rank", "--period", "2025-07", "--xlsx", str(blocker / "r.xlsx")]
    )
    assert "--csv is a directory" in _fails(["rank", "--period", "2025-07", "--csv", str(tmp_path)])


def test_run_says_when_the_check_date_is_after_the_data(tmp_path: Path) -> None:
    _setup()  # posts up to 2025-07-31
    result = runner.invoke(app, ["run", "--period", "2025-08"])
    assert result.exit_code == 0, result.output
    text = "".join(result.output.split())  # the console wraps long lines anywhere in CJK
    assert "检查日2025-08-31晚于最新数据2025-07-31" in text
    assert "use--check-date2025-07-31" in text
    result = runner.invoke(app, ["run", "--period", "2025-07"])
    assert result.exit_code == 0, result.output
    assert "晚于最新数据" not in result.output


def test_methodology_of_a_stored_run_prints_the_text_it_stored() -> None:
    """`index methodology --run SYSTEM/PERIOD` prints the text stored with the run, with the
    rules that run used (its check date, window and reply check), not today's system text."""
    _setup()
    _json(["run", "--period", "2025-07", "--compliance-days", "7", "--no-reply-check",
           "--check-date", "2025-07-25", "--json"])  # fmt: skip
    result = runner.invoke(app, ["methodology", "--run", "zhengwu-4d/2025-07"])
    assert result.exit_code == 0, result.output
    with store.open_store(read_only=True) as con:
        stored = con.execute(
            "SELECT methodology FROM index_runs WHERE run_id = 'zhengwu-4d/2025-07'"
        ).fetchone()
    assert stored is not None and result.stdout == stored[0] + "\n"
    assert "在 2025-07-25（本次运行指定的检查日）检查" in result.stdout
    assert "本次运行为截至检查日的 7 天" in result.stdout
    assert "（本次运行关闭了自身回复检查）" in result.stdout
    assert "统计周期：2025-07（月）" in result.stdout
    missing = _fails(["methodology", "--run", "zhengwu-4d/2024-01"])
    assert "错误：没有计算结果 zhengwu-4d/2024-01；zhengwu-4d 已有的期间：2025-07" in missing
    assert "Error: no stored run zhengwu-4d/2024-01; zhengwu-4d has the periods 2025-07" in missing
    assert "--run must be SYSTEM/PERIOD" in _fails(["methodology", "--run", "2025-07"])
    # A text an older generator wrote may not state the run's rules: a note on stderr does.
    with store.open_store() as con:
        con.execute(
            "UPDATE index_runs SET methodology = '# 旧文本' WHERE run_id = 'zhengwu-4d/2025-07'"
        )
    old = runner.invoke(app, ["methodology", "--run", "zhengwu-4d/2025-07"])
    assert (old.exit_code, old.stdout) == (0, "# 旧文本\n"), old.output
    assert "check date 2025-07-25, window 7 days, own-reply check off" in old.stderr
    assert "检查日 2025-07-25，窗口 7 天，自身回复检查关" in old.stderr
    # What a stored text cannot honour is refused, not silently ignored.
    assert "--run cannot be given with --period" in _fails(
        ["methodology", "--run", "zhengwu-4d/2025-07", "--period", "2025-08"]
    )
    assert "a run stores its text in Chinese only" in _fails(
        ["methodology", "--run", "zhengwu-4d/2025-07", "--lang", "en"]
    )
