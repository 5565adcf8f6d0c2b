"""``zhengwu desk import-csv`` of a file refused whole keeps its run in the history (0 read,
the file and why), as ``zhengwu import`` does: nothing else of it is written, and the error
names the run (on SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import orjson
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from zhengwu.cli.main import app
from zhengwu.servicedesk.models import ServiceRequest

runner = CliRunner()


def test_a_file_refused_whole_is_kept_in_the_history_with_why(
    tmp_path: Path, configured_database: str, committed_engine: Engine
) -> None:
    path = tmp_path / "no-text.csv"
    path.write_text("工单编号,受理时间\nA1,2025-07-02 10:00:00\n", encoding="utf-8")
    checked = runner.invoke(app, ["desk", "import-csv", str(path), "--dry-run", "--json"])
    assert checked.exit_code == 2, checked.output
    assert runner.invoke(app, ["imports", "--json"]).stdout.strip() == ""  # a check: no run

    result = runner.invoke(app, ["desk", "import-csv", str(path), "--json"])
    assert result.exit_code == 2, result.output
    refused = orjson.loads(result.stdout.splitlines()[-1])
    assert (refused["error"], refused["status"], refused["read"]) == ("InvalidInputError", 422, 0)
    run_id = refused["run_id"]
    assert isinstance(run_id, int)
    assert "缺少诉求内容列" in refused["message_zh"]
    assert f"已记入导入记录，第 {run_id} 次导入" in refused["message_zh"]
    assert f"recorded in the import history as run {run_id}" in refused["message_en"]
    assert f"已记入导入记录，第{run_id}次导入" in "".join(result.stderr.split())  # the table form

    listed = runner.invoke(app, ["imports", "--json"]).stdout
    [run] = [orjson.loads(line) for line in listed.splitlines()]
    assert (run["id"], run["format"], run["files"]) == (run_id, "desk-12345-csv", [str(path)])
    assert (run["read"], run["imported"], run["quarantined"]) == (0, 0, 0)
    [why] = run["refused"]
    assert (why["file"], why["error"]) == (str(path), "InvalidInputError")
    assert "no request text column" in why["message_en"] and "已记入" not in why["message_zh"]
    with Session(committed_engine) as session:
        assert session.scalar(select(func.count()).select_from(ServiceRequest)) == 0
