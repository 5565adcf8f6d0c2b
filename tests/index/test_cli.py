"""`zhengwu index …` commands end to end on the configured database and store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

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


def _setup() -> None:
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
    out = _json(["explain", "weibo:8002", "--period", "2025-07", "--json"])
    assert out["above"]["name"] == "平安郑州"
    assert out["rank"] == 2
    text = runner.invoke(app, ["explain", "郑州消防", "--period", "2025-07", "--platform", "weibo"])
    assert text.exit_code == 0
    assert "next above" in text.stdout
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
    missing = runner.invoke(app, ["publish", "zhengwu-4d", "2025-06"])
    assert missing.exit_code != 0 and "2025-06" in missing.output
    done = runner.invoke(app, ["publish", "zhengwu-4d", "2025-07", "--by", "王五"])
    assert done.exit_code == 0, done.output
    with unit_of_work() as session:
        published = session.get(PublishedRun, "zhengwu-4d/2025-07")
        assert published is not None and published.published_by == "王五"
        with store.open_store(read_only=True) as con:
            latest = access.latest_published(session, con)
            assert latest is not None and latest.run_id == "zhengwu-4d/2025-07"
    gone = runner.invoke(app, ["publish", "zhengwu-4d", "2025-07", "--withdraw"])
    assert gone.exit_code == 0, gone.output
    with unit_of_work() as session:
        assert session.get(PublishedRun, "zhengwu-4d/2025-07") is None
    again = runner.invoke(app, ["publish", "zhengwu-4d", "2025-07", "--withdraw"])
    assert again.exit_code != 0 and "未发布" in again.output


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
    assert "zhengwu index run" in missing.output
    bad = runner.invoke(app, ["run", "--period", "July"])
    assert bad.exit_code == 2
    assert "people-2025" in bad.output


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
