"""``zhengwu desk import-csv`` says which columns it did not read (on SQLite and PostgreSQL).

A city's message set headed ``msg_id,label,subject,text`` (the 政务留言 train and test files)
came in with every ticket number and category dropped without a word: the desk reads
``subject`` and ``text`` but no ``msg_id`` or ``label``. The import now names such columns in
its warnings (stderr, ``--json``'s ``"warnings"``, the console's upload).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine
from typer.testing import CliRunner

from zhengwu.cli.main import app

runner = CliRunner()


def _import(path: Path, header: list[str], row: list[str]) -> tuple[dict[str, Any], str]:
    """Write a one-row CSV, import it with --json; return the summary and stderr."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerow(row)
    done = runner.invoke(app, ["desk", "import-csv", str(path), "--json"])
    assert done.exit_code == 0, done.output
    return orjson.loads(done.stdout.splitlines()[-1]), done.stderr


def test_columns_no_field_reads_are_named_in_the_warnings(
    tmp_path: Path, configured_database: str, committed_engine: Engine
) -> None:
    summary, stderr = _import(tmp_path / "test.csv", ["msg_id", "label", "subject", "text"],
                              ["154061.0", "商贸旅游", "茶叶生产许可证", "茶叶生产许可证能否简政放权"])  # fmt: skip
    assert summary["created"] == 1
    [notice] = [w for w in summary["warnings"] if "未读取的列" in w]
    assert notice.startswith("未读取的列：msg_id、label（")
    assert "columns not read: msg_id, label (" in notice
    assert "未读取的列：msg_id、label" in "".join(stderr.split())


def test_a_file_of_known_columns_and_a_desk_export_warn_of_no_column(
    tmp_path: Path, configured_database: str, committed_engine: Engine
) -> None:
    summary, _ = _import(tmp_path / "12345.csv", ["工单编号", " 受理时间 ", "诉求内容", "Phone"],
                         ["A1", "2025-07-02 10:00:00", "金水区小区物业乱收费", "13811112222"])  # fmt: skip
    assert not [w for w in summary["warnings"] if "未读取的列" in w], summary["warnings"]
    # A desk's own export: 区划名称 and 是否超期 are worked out again, not read.
    from zhengwu.servicedesk.csvimport import unread_columns

    assert unread_columns(["诉求编号", "区划名称", "是否超期", "承办单位", "反对数", ""]) == [
        "反对数"
    ]
