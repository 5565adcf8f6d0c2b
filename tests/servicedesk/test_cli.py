"""``zhengwu desk …`` commands on a fresh SQLite database in the test's data directory."""

from __future__ import annotations

import csv
from pathlib import Path

import orjson
from sqlalchemy import select
from typer.testing import CliRunner

from zhengwu.accounts.models import Organization
from zhengwu.cli.desk_requests import app
from zhengwu.db import migrate
from zhengwu.db.engine import get_engine, unit_of_work

runner = CliRunner()


def _json(args: list[str]) -> object:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return orjson.loads(result.stdout.splitlines()[-1])


def _export(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    """Write a 12345 export (UTF-8 CSV) of ``header`` and ``rows`` at ``path``."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([header, *rows])
    return path


def test_desk_commands_end_to_end(tmp_path: Path) -> None:
    migrate.upgrade(get_engine())
    path = _export(tmp_path / "export.csv", ["工单编号", "受理时间", "诉求内容", "联系电话"], [
        ["A1", "2025-07-02 10:00:00", "金水区小区物业乱收费", "13811112222"],
        ["A2", "2025-07-03 10:00:00", "", ""],
    ])  # fmt: skip
    imported = runner.invoke(app, ["import-csv", str(path), "--json"])
    assert imported.exit_code == 0, imported.output
    summary = orjson.loads(imported.stdout)
    # The warnings of stderr are in the JSON too, for a script reading it.
    warnings = summary.pop("warnings")
    assert len(warnings) == 2 and all(w in imported.stderr for w in warnings), warnings
    assert "no routing rules" in warnings[0] and "past their resolve deadline" in warnings[1]
    assert summary == {
        "run_id": 1,
        "read": 2,
        "created": 1,
        "merged": 0,
        "existing": 0,
        "quarantined": 1,
        "replies": 0,
        "closed": 0,
        # Received in July 2025: past its resolve deadline when taken in.
        "overdue_at_intake": 1,
        "returned": 0,  # returns applied to requests on file
        # The keys of `zhengwu import --json`, alongside: read = imported + updated +
        # duplicates + quarantined.
        "imported": 1,
        "updated": 0,
        "duplicates": 0,
    }
    # No routing rule at all: the new request stays unassigned, and the command says so.
    assert "no routing rules: requests stay unassigned — run `zhengwu desk routing derive`" in (
        imported.stderr
    )
    assert "没有路由规则" in imported.stderr
    again = runner.invoke(app, ["import-csv", str(path)])
    assert again.exit_code == 0
    assert "已有 existing 1" in again.stdout
    assert "routing" not in again.stderr  # nothing came in
    rows = _json(["rates", "--period", "2025-07", "--by", "category", "--json"])
    assert isinstance(rows, list)
    assert rows[0]["key"] == "01"
    assert rows[0]["n"] == 1
    assert "1 new request(s) were past their resolve deadline when taken in" in imported.stderr
    # Received in July 2025 and overdue before it was taken in: the sweep leaves it to the
    # office (it shows as overdue), however often it runs.
    assert _json(["escalate", "--json"]) == {"supervised": []}
    assert _json(["escalate", "--json"]) == {"supervised": []}
    none = runner.invoke(app, ["escalate"]).stdout
    assert (
        none.strip()
        == "督办 supervised 0（没有待督办的超期诉求 / no overdue request to supervise）"
    )
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


def test_import_csv_refuses_a_file_with_wrong_headers(tmp_path: Path) -> None:
    migrate.upgrade(get_engine())
    path = tmp_path / "wrong.csv"
    path.write_text("ticket,when,body\nT1,2025-07-01,路灯不亮\n", encoding="utf-8")
    result = runner.invoke(app, ["import-csv", str(path)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    said = "".join(result.stderr.split())  # the console wraps long lines
    assert "缺少诉求内容列（需要其中之一：诉求内容、反映内容" in said
    assert "文件中的列：ticket、when、body" in said
    assert "norequesttextcolumn" in said


def test_import_csv_takes_a_hotline_source_only(tmp_path: Path) -> None:
    """Before: --source weibo (or form, open311) was taken, and the calls counted as posts."""
    migrate.upgrade(get_engine())
    path = tmp_path / "calls.csv"
    path.write_text("工单编号,受理时间,诉求内容\nT1,2025-07-01,路灯不亮\n", encoding="utf-8")
    result = runner.invoke(app, ["import-csv", str(path), "--source", "weibo"])
    assert result.exit_code == 2
    said = "".join(result.stderr.split())
    assert "--source无效：'weibo'（可选：12345、csv）" in said
    assert "invalid--source'weibo'(oneof:12345,csv)" in said


def test_import_csv_warns_only_without_routing_rules(tmp_path: Path) -> None:
    migrate.upgrade(get_engine())
    first = tmp_path / "first.csv"
    first.write_text("工单编号,诉求内容\nA1,金水区经三路路灯不亮\n", encoding="utf-8")
    unrouted = runner.invoke(app, ["import-csv", str(first)])
    assert "新建 created 1" in unrouted.stdout
    assert "run `zhengwu desk routing derive`" in unrouted.stderr
    with unit_of_work() as session:
        session.add(Organization(name="金水区住建局", level="县", sector="住建", adcode="410105"))
        session.flush()
        org_id = session.scalar(select(Organization.id))
    assert runner.invoke(app, ["routing", "add", "--org", str(org_id)]).exit_code == 0
    later = tmp_path / "later.csv"
    later.write_text("工单编号,诉求内容\nA2,金水区文化路井盖丢失\n", encoding="utf-8")
    routed = runner.invoke(app, ["import-csv", str(later)])
    assert "新建 created 1" in routed.stdout
    assert "routing" not in routed.stderr  # a rule exists: no warning


def test_due_soon_shows_the_deadline_that_is_near_and_the_body(tmp_path: Path) -> None:
    import re
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    from sqlalchemy import select

    from zhengwu.accounts.models import Organization
    from zhengwu.db.engine import unit_of_work
    from zhengwu.servicedesk.models import ServiceRequest

    migrate.upgrade(get_engine())
    china = ZoneInfo("Asia/Shanghai")
    received = (datetime.now(UTC) - timedelta(hours=1)).astimezone(china)
    at = received.strftime("%Y-%m-%d %H:%M:%S")
    path = _export(tmp_path / "export.csv", ["工单编号", "受理时间", "诉求内容", "联系电话"],
                   [["B1", at, "金水区小区物业乱收费", ""], ["B2", at, "二七区路灯不亮", ""]])  # fmt: skip
    imported = _json(["import-csv", str(path), "--json"])
    assert isinstance(imported, dict)
    assert any("no routing rules" in w for w in imported.pop("warnings"))
    assert imported == {
        "run_id": 1, "read": 2, "created": 2, "merged": 0, "existing": 0, "quarantined": 0,
        "replies": 0, "closed": 0, "overdue_at_intake": 0, "returned": 0, "imported": 2,
        "updated": 0, "duplicates": 0,
    }  # fmt: skip
    with unit_of_work() as session:
        requests = list(session.scalars(select(ServiceRequest).order_by(ServiceRequest.id)))
        body = Organization(name="金水区住建局", level="区", sector="住建", adcode="410105")
        session.add(body)
        session.flush()
        requests[0].organization_id = body.id
        dues = {r.public_id: (r.response_due, r.resolve_due) for r in requests}
        assigned = requests[0].public_id
    assert all(resp and resolve and resp < resolve for resp, resolve in dues.values())
    latest_response = max(resp for resp, _ in dues.values() if resp)
    hours = (latest_response - datetime.now(UTC)).total_seconds() / 3600 + 1
    rows = _json(["due-soon", "--hours", f"{hours:.2f}", "--json"])
    assert isinstance(rows, list)
    assert {r["due_kind"] for r in rows} == {"response"}
    assert {r["public_id"]: r["organization"] for r in rows}[assigned] == "金水区住建局"
    text = runner.invoke(app, ["due-soon", "--hours", f"{hours:.2f}"]).stdout
    for public_id, (response_due, _) in dues.items():
        line = next(x for x in text.splitlines() if x.startswith(public_id))
        assert (
            "响应期限 response due " + response_due.astimezone(china).strftime("%Y-%m-%d %H:%M")
            in line
        )
        assert "办结期限" not in line and "None" not in line
        assert ("金水区住建局" if public_id == assigned else "未派单") in line
    assert not re.search(r"机构 None", text)


def test_rates_refuse_an_unusable_export_path(tmp_path: Path) -> None:
    migrate.upgrade(get_engine())
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    for option, path, english in (
        ("--csv", tmp_path / "no" / "r.csv", "--csv: directory does not exist"),
        ("--xlsx", blocker / "r.xlsx", "--xlsx: not a directory"),
    ):
        result = runner.invoke(app, ["rates", "--period", "2025-07", option, str(path)])
        assert result.exit_code == 2, result.output
        assert isinstance(result.exception, SystemExit)
        assert "错误" in result.output and english in result.output
    assert not (tmp_path / "no").exists()


def test_tables_show_ids_and_names_whole_at_80_columns(tmp_path: Path) -> None:
    # `desk find` cut the public id and the ticket ("SR250701MWMD…", "20250701123…"), the
    # two things a caller reads out or copies, and `desk rates` the names ("劳动和社会保…",
    # four bodies as "许昌市建安区…"): they fold over lines instead.
    migrate.upgrade(get_engine())
    path = _export(tmp_path / "export.csv", ["工单编号", "受理时间", "诉求内容", "问题分类"], [
        ["2025070212345678", "2025-07-02 10:00:00",
         "金水区花园路8号院小区物业乱收停车费，每月涨到500元，业委会也不管", "05"],
    ])  # fmt: skip
    assert runner.invoke(app, ["import-csv", str(path)]).exit_code == 0
    found = runner.invoke(app, ["find", "--ticket", "2025070212345678"], terminal_width=80)
    assert found.exit_code == 0, found.output
    [public_id] = [
        r["public_id"] for r in _json(["find", "--ticket", "2025070212345678", "--json"])
    ]  # type: ignore[union-attr]
    assert public_id in found.stdout and "2025070212345678" in found.stdout, found.stdout
    assert _column(found.stdout, "│", 5).startswith("金水区花园路8号院小区物业乱收停车费")
    rates = runner.invoke(app, ["rates", "--period", "2025-07", "--by", "category"])
    assert rates.exit_code == 0, rates.output
    assert "…" not in rates.stdout, rates.stdout
    assert _column(rates.stdout, "│", 0) == "劳动和社会保障", rates.stdout
    assert _column(rates.stdout, "┃", 6) == "平均用时(工作日)", rates.stdout


def _column(table: str, border: str, n: int) -> str:
    """Return column ``n`` of a one-row Rich table (body ``│`` or header ``┃``), its lines joined."""
    return "".join(
        line.split(border)[n + 1].strip() for line in table.splitlines() if line.startswith(border)
    )
