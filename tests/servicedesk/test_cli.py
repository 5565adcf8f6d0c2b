"""``zhengwu desk …`` commands on a fresh SQLite database in the test's data directory."""

from __future__ import annotations

import csv
from pathlib import Path

import orjson
from typer.testing import CliRunner

from zhengwu.cli.desk_requests import app
from zhengwu.db import migrate
from zhengwu.db.engine import get_engine

runner = CliRunner()


def _json(args: list[str]) -> object:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return orjson.loads(result.stdout.splitlines()[-1])


def test_desk_commands_end_to_end(tmp_path: Path) -> None:
    migrate.upgrade(get_engine())
    path = tmp_path / "export.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["工单编号", "受理时间", "诉求内容", "联系电话"])
        writer.writerow(["A1", "2025-07-02 10:00:00", "金水区小区物业乱收费", "13811112222"])
        writer.writerow(["A2", "2025-07-03 10:00:00", "", ""])
    summary = _json(["import-csv", str(path), "--json"])
    assert summary == {
        "run_id": 1,
        "read": 2,
        "created": 1,
        "merged": 0,
        "existing": 0,
        "quarantined": 1,
    }
    rows = _json(["rates", "--period", "2025-07", "--by", "category", "--json"])
    assert isinstance(rows, list)
    assert rows[0]["key"] == "01"
    assert rows[0]["n"] == 1
    # Received in July 2025 and never handled: long overdue, supervised once.
    first = _json(["escalate", "--json"])
    assert isinstance(first, dict)
    assert len(first["supervised"]) == 1
    assert _json(["escalate", "--json"]) == {"supervised": []}
    tree = _json(["categories", "list", "--json"])
    assert isinstance(tree, dict)
    assert len(tree["categories"]) == 32
    assert _json(["routing", "list", "--json"]) == {"version": 0, "rules": []}
    out = runner.invoke(app, ["rates", "--period", "2025-07", "--xlsx", str(tmp_path / "r.xlsx")])
    assert out.exit_code == 0
    assert (tmp_path / "r.xlsx").stat().st_size > 0
    bad = runner.invoke(app, ["rates", "--period", "July"])
    assert bad.exit_code == 2
    assert "unreadable period" in bad.output
    assert "import-csv" in runner.invoke(app, ["--help"]).output
