"""``zhengwu desk import-csv --dry-run``: the same import, rolled back — the counts, warnings
and refused rows of an import now, and nothing written (on SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
from pathlib import Path

import orjson
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from zhengwu.audit.models import AuditEntry
from zhengwu.cli.main import app
from zhengwu.ingest.models import ImportRun, QuarantineEntry
from zhengwu.servicedesk.models import ServiceRequest

runner = CliRunner()
COUNTED = (ServiceRequest, QuarantineEntry, ImportRun, AuditEntry)


def _export(path: Path) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["工单编号", "受理时间", "诉求内容", "联系电话"])
        writer.writerow(["A1", "2025-07-02 10:00:00", "金水区小区物业乱收费", "13811112222"])
        writer.writerow(["A2", "2025-07-03 10:00:00", "", ""])  # no text: refused
        writer.writerow(["A3", "2025-07-04 10:00:00", "中原区路灯不亮", ""])
    return path


def _counts(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        return {
            m.__name__: session.scalar(select(func.count()).select_from(m)) or 0 for m in COUNTED
        }


def test_dry_run_counts_as_the_import_would_and_writes_nothing(
    tmp_path: Path, configured_database: str, committed_engine: Engine
) -> None:
    path = _export(tmp_path / "export.csv")
    before = _counts(committed_engine)
    checked = runner.invoke(app, ["desk", "import-csv", str(path), "--dry-run", "--json"])
    assert checked.exit_code == 0, checked.output
    plan = orjson.loads(checked.stdout.splitlines()[-1])
    assert plan["dry_run"] is True and plan["run_id"] is None
    assert (plan["read"], plan["created"], plan["quarantined"]) == (3, 2, 1)
    assert [r["source"] for r in plan["refused"]] == [f"{path}:3"]
    assert "没有路由规则" in checked.stderr  # the import's own warnings, as they would be
    assert _counts(committed_engine) == before
    # The table form says it is a dry run and lists the refused row.
    shown = runner.invoke(app, ["desk", "import-csv", str(path), "--dry-run"])
    assert shown.exit_code == 0, shown.output
    flat = "".join(shown.stdout.split())
    assert "试运行，未写入任何内容/dryrun:nothingwaswritten" in flat
    assert "新建created2" in flat and "quarantine--run" not in flat
    assert f"{path}:3".replace(" ", "") in flat
    assert _counts(committed_engine) == before
    # The import then does what the check said.
    done = runner.invoke(app, ["desk", "import-csv", str(path), "--json"])
    assert done.exit_code == 0, done.output
    summary = orjson.loads(done.stdout.splitlines()[-1])
    assert (summary["read"], summary["created"], summary["quarantined"]) == (3, 2, 1)
    assert summary["run_id"] is not None and "dry_run" not in summary
    after = _counts(committed_engine)
    assert after["ServiceRequest"] == before["ServiceRequest"] + 2
    assert after["QuarantineEntry"] == before["QuarantineEntry"] + 1


def test_the_table_lists_the_first_refused_rows_and_json_every_one(
    tmp_path: Path, configured_database: str, committed_engine: Engine
) -> None:
    from zhengwu.servicedesk.upload import QUARANTINE_SHOWN

    path = tmp_path / "bad.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["工单编号", "受理时间", "诉求内容"])
        for i in range(QUARANTINE_SHOWN + 5):
            writer.writerow([f"B{i}", "2025-07-02 10:00:00", ""])  # no text: refused
    shown = runner.invoke(app, ["desk", "import-csv", str(path), "--dry-run"])
    assert shown.exit_code == 0, shown.output
    assert shown.stdout.count("  · ") == QUARANTINE_SHOWN
    assert "另有 5 行 and 5 more rows (--json lists every one)" in " ".join(shown.stdout.split())
    listed = runner.invoke(app, ["desk", "import-csv", str(path), "--dry-run", "--json"])
    assert len(orjson.loads(listed.stdout.splitlines()[-1])["refused"]) == QUARANTINE_SHOWN + 5
