"""``zhengwu search …`` and the import hook, on a fresh SQLite database of the test."""

from __future__ import annotations

from pathlib import Path

import orjson
from typer.testing import CliRunner

from zhengwu.cli.main import app
from zhengwu.db import migrate
from zhengwu.db.engine import get_engine

runner = CliRunner()


def _json(args: list[str]) -> dict[str, object]:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    value = orjson.loads(result.stdout)
    assert isinstance(value, dict)
    return value


def test_an_import_makes_accounts_searchable_and_reindex_rebuilds(tmp_path: Path) -> None:
    migrate.upgrade(get_engine())
    orgs = tmp_path / "orgs.csv"
    orgs.write_text("org_id,name,level,sector,adcode\nO1,南京市公安局,市,公安,320100\n", "utf-8")
    accounts = tmp_path / "accounts.csv"
    accounts.write_text(
        "platform,uid,name,org_id\nweibo,100,平安南京,O1\nweibo,101,南京发布,\n", "utf-8"
    )
    for fmt, path in (("zhengwu-orgs", orgs), ("zhengwu-accounts", accounts)):
        assert runner.invoke(app, ["import", fmt, str(path)]).exit_code == 0
    # No reindex was run: the import refreshed the index itself.
    found = _json(["search", "query", "公安局", "--kind", "accounts", "--json"])
    assert [h["title"] for h in found["hits"]] == ["平安南京"]  # type: ignore[union-attr]
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
    bad = runner.invoke(app, ["search", "query", "  "])
    assert bad.exit_code != 0 and "请输入搜索词" in bad.output
