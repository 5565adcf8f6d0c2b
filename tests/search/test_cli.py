"""``zhengwu search …`` after ``zhengwu import``: the worker, not the import, indexes."""

from __future__ import annotations

from pathlib import Path

import orjson
from typer.testing import CliRunner

from zhengwu.cli.main import app

runner = CliRunner()


def _json(args: list[str]) -> dict[str, object]:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    value = orjson.loads(result.stdout.splitlines()[-1])
    assert isinstance(value, dict)
    return value


def test_the_worker_makes_imported_accounts_searchable_and_reindex_rebuilds(
    configured_database: str, tmp_path: Path
) -> None:
    orgs = tmp_path / "orgs.csv"
    orgs.write_text("org_id,name,level,sector,adcode\nO1,南京市公安局,市,公安,320100\n", "utf-8")
    accounts = tmp_path / "accounts.csv"
    accounts.write_text(
        "platform,uid,name,org_id\nweibo,100,平安南京,O1\nweibo,101,南京发布,\n", "utf-8"
    )
    for fmt, path in (("zhengwu-orgs", orgs), ("zhengwu-accounts", accounts)):
        assert runner.invoke(app, ["import", fmt, str(path)]).exit_code == 0
    # The import did not index: nothing found yet, and the results say why.
    before = _json(["search", "query", "公安局", "--kind", "accounts", "--json"])
    assert before["hits"] == [] and before["stale"] == {"accounts": 2}
    assert "2 个账号" in str(before["stale_note"])
    ran = _json(["worker", "--once", "--only", "search-refresh", "--json"])
    assert ran["ok"] is True
    assert [(j["name"], j["counts"]) for j in ran["jobs"]] == [  # type: ignore[union-attr]
        ("search-refresh", {"accounts": 2, "requests": 0})
    ]
    found = _json(["search", "query", "公安局", "--kind", "accounts", "--json"])
    assert [h["title"] for h in found["hits"]] == ["平安南京"]  # type: ignore[union-attr]
    assert found["stale"] == {} and found["stale_note"] is None
    both = _json(["search", "query", "南京", "--kind", "accounts", "--json"])
    assert both["counts"] == {"accounts": 2}
    rebuilt = _json(["search", "reindex", "--json"])
    assert rebuilt["indexed"] == {"accounts": 2, "requests": 0}
    assert _json(["search", "reindex", "--refresh", "--json"])["indexed"] == {
        "accounts": 0,
        "requests": 0,
    }
    text = runner.invoke(app, ["search", "query", "平安"])
    assert text.exit_code == 0 and "平安南京" in text.stdout
    assert "搜索词 terms：平安（全部词 every term）— 账号 accounts 1" in text.stdout
    rebuilt_text = runner.invoke(app, ["search", "reindex", "--kind", "accounts"])
    assert (
        "账号 accounts：本次索引 2 条 indexed · 索引中共 2 条 in the index" in rebuilt_text.stdout
    )
    bad = runner.invoke(app, ["search", "query", "  "])
    assert bad.exit_code != 0 and "请输入搜索词" in bad.output


def test_post_hits_and_store_stats_show_china_time(
    configured_database: str, tmp_path: Path
) -> None:
    # 23:58 in China is 15:58 UTC, which is how the store keeps it.
    status = {
        "created_at": "Thu Jul 03 23:58:00 +0800 2025", "id": 5183000000000001,
        "idstr": "5183000000000001", "mid": "5183000000000001",
        "text": "暴雨预警：请市民减少外出", "reposts_count": 1, "comments_count": 2,
        "attitudes_count": 3, "user": {"id": 2803301701, "idstr": "2803301701",
                                       "screen_name": "郑州发布"},
    }  # fmt: skip
    path = tmp_path / "statuses.jsonl"
    path.write_bytes(orjson.dumps(status) + b"\n")
    assert runner.invoke(app, ["import", "weibo-api", str(path)]).exit_code == 0
    found = _json(["search", "query", "暴雨", "--kind", "posts", "--json"])
    assert [h["title"] for h in found["hits"]] == ["weibo · 2025-07-03 23:58"]  # type: ignore[union-attr]
    stats = _json(["store", "stats", "--json"])
    (row,) = stats["platforms"]  # type: ignore[misc]
    assert (row["first"], row["last"]) == ("2025-07-03T23:58:00+08:00",) * 2
    text = runner.invoke(app, ["store", "stats"])
    assert text.exit_code == 0, text.output
    assert "2025-07-03 23:58" in text.output and "UTC+8" in text.output
