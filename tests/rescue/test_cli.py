"""``zhengwu rescue …`` commands: incidents, teams, CSV import, intake, board, export, merge."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from zhengwu.cli.rescue import app
from zhengwu.simulate.helpposts import write_help_posts

from .test_spreadsheet import SHEET

runner = CliRunner()


@pytest.fixture
def database() -> None:
    """Migrate the test's own SQLite database (the CLI opens the configured one)."""
    from zhengwu.db.engine import get_engine
    from zhengwu.db.migrate import upgrade
    from zhengwu.regions.service import sync_regions

    engine = get_engine()
    upgrade(engine)
    with Session(engine) as session:
        sync_regions(session)
        session.commit()


def _json(args: list[str]) -> object:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_incident_team_import_intake_board_export(database: None, tmp_path: Path) -> None:
    created = _json(["incident", "create", "郑州暴雨", "--start", "2021-07-20T00:00+08:00",
                     "--region", "410100", "--hashtag", "#郑州暴雨互助#", "--json",
                     "--description", "被困请拨 119；安置点电话 13800002222"])  # fmt: skip
    assert isinstance(created, dict)
    assert created["hashtags"] == ["郑州暴雨互助"]
    assert created["description"] == "被困请拨 119；安置点电话 13800002222"
    listed = _json(["incident", "list", "--json"])
    assert isinstance(listed, list)
    assert [i["name"] for i in listed] == ["郑州暴雨"]
    # The table names the type and status in Chinese too, and the start in China time,
    # whole at 80 columns (it read "flood", "active", "2021-07-19T16:00:…").
    table = runner.invoke(app, ["incident", "list"], terminal_width=80).stdout
    assert all(word in table for word in ("洪涝", "flood", "进行中", "active")), table
    assert "2021-07-20" in table and "00:00" in table and "…" not in table, table
    duplicate = runner.invoke(app, ["incident", "create", "郑州暴雨", "--start", "2021-07-20"])
    assert duplicate.exit_code == 2
    team = _json(
        ["team", "create", "郑州蓝天救援队", "--capability", "boat", "--area", "410100", "--json"]
    )
    assert isinstance(team, dict)
    assert team["capabilities"] == ["boat"]

    sheet = tmp_path / "sheet.csv"
    sheet.write_text(SHEET, encoding="utf-8-sig")
    imported = _json(["import-csv", "郑州暴雨", str(sheet), "--json"])
    assert isinstance(imported, dict)
    assert (imported["new_requests"], imported["quarantined"]) == (3, 2)  # 不知道 is warned
    assert len(imported["warnings"]) == 1

    write_help_posts(tmp_path, rng=np.random.default_rng(1), city_adcode="410100",
                     start=datetime(2021, 7, 20, 8, tzinfo=UTC), n_posts=60)  # fmt: skip
    posts = tmp_path / "help" / "posts.jsonl"
    taken = _json(["intake", "郑州暴雨", "--file", str(posts), "--json"])
    assert isinstance(taken, dict)
    assert taken["read"] == 60
    assert taken["new_requests"] > 5

    board = _json(["board", "郑州暴雨", "--public", "--json"])
    assert isinstance(board, dict)
    assert board["total"] == taken["new_requests"] + 3  # the sheet's three rows
    assert all(r["masked"] for r in board["requests"])
    assert "13800001111" not in json.dumps(board, ensure_ascii=False)
    assert board["incident"]["description"] == "被困请拨 119；安置点电话 138****2222"
    assert "金水区" in board["by_area"]
    shown = runner.invoke(app, ["board", "郑州暴雨"])
    assert shown.exit_code == 0, shown.output
    lines = " ".join(shown.output.split())  # Rich may wrap at any width
    assert f"待核实 {board['by_state']['new']}" in lines and "new " not in lines
    assert "求助→核实 reported_to_verified: 件数 n=" in lines

    out = tmp_path / "export.csv"
    exported = runner.invoke(app, ["export", "郑州暴雨", "--csv", str(out)])
    assert exported.exit_code == 0, exported.output
    text = out.read_text(encoding="utf-8-sig")
    assert text.startswith("序号,求助编号,时间,姓名,地址")
    assert "13800001111" in text  # the operator's export is the full sheet


def test_merge_command_groups_a_file_without_a_database(tmp_path: Path) -> None:
    write_help_posts(tmp_path, rng=np.random.default_rng(2), city_adcode="410100",
                     start=datetime(2021, 7, 20, 8, tzinfo=UTC), n_posts=80)  # fmt: skip
    with (tmp_path / "help" / "posts.jsonl").open("a", encoding="utf-8") as handle:
        handle.write("{broken json\n")
    result = runner.invoke(
        app, ["merge", str(tmp_path / "help" / "posts.jsonl"), "--json", "--workers", "1"]
    )
    assert result.exit_code == 0, result.output
    # The line it cannot read is named on stderr (it was left out without a word).
    assert "posts.jsonl:81：JSON 无法解析 / broken JSON" in " ".join(result.stderr.split())
    clusters = [json.loads(line) for line in result.stdout.splitlines()]
    assert clusters
    assert all(
        c["members"][0]["kind"] == "original" or c["members"][0]["merged_by"] is None
        for c in clusters
    )
    assert any(len(c["members"]) > 1 for c in clusters)


def test_team_update_deactivate_reactivate(database: None) -> None:
    created = _json(["team", "create", "许昌蓝天救援队", "--capability", "boat",
                     "--contact-name", "王队长", "--contact-phone", "138 0000 3333", "--json"])  # fmt: skip
    assert isinstance(created, dict)
    assert created["contact_phone"] == "13800003333"  # stored like every other phone
    team_id = str(created["id"])
    spaced = _json(["team", "update", team_id, "--contact-phone", "139 5555 3333", "--json"])
    assert isinstance(spaced, dict) and spaced["contact_phone"] == "13955553333"
    _json(["team", "update", team_id, "--contact-phone", "13800003333", "--json"])
    hotline = runner.invoke(app, ["team", "create", "乙队", "--contact-phone", "12345"])
    assert hotline.exit_code == 2 and "not a phone number" in " ".join(hotline.output.split())
    changed = _json(["team", "update", team_id, "--capacity", "4", "--capability", "boat",
                     "--capability", "medical", "--area", "411000", "--json"])  # fmt: skip
    assert isinstance(changed, dict)
    assert (changed["capacity"], changed["capabilities"], changed["area"]) == (
        4, ["boat", "medical"], ["411000"],
    )  # fmt: skip
    assert (changed["name"], changed["contact_phone"]) == ("许昌蓝天救援队", "13800003333")
    cleared = _json(["team", "update", team_id, "--clear-contact", "--json"])
    assert isinstance(cleared, dict)
    assert (cleared["contact_name"], cleared["contact_phone"]) == (None, None)

    off = _json(["team", "deactivate", team_id, "--json"])
    assert isinstance(off, dict) and off["active"] is False
    inactive = _json(["team", "list", "--inactive", "--json"])
    assert isinstance(inactive, list) and [t["id"] for t in inactive] == [created["id"]]
    assert _json(["team", "list", "--active", "--json"]) == []
    assert "[停用 inactive]" in runner.invoke(app, ["team", "list"]).stdout
    on = _json(["team", "reactivate", team_id, "--json"])
    assert isinstance(on, dict) and on["active"] is True

    nothing = runner.invoke(app, ["team", "update", team_id])
    assert nothing.exit_code == 2 and "nothing to change" in nothing.output
    both = runner.invoke(
        app, ["team", "update", team_id, "--clear-contact", "--contact-phone", "1"]
    )
    assert both.exit_code == 2 and "--clear-contact" in both.output
    bad = runner.invoke(app, ["team", "update", team_id, "--capacity", "0"])
    assert bad.exit_code == 2
    # Worded by the shared validation text, in both languages — not pydantic's own
    # English dump with its "For further information visit https://errors.pydantic.dev".
    assert "capacity：不能小于 1" in bad.output and "greater than or equal to 1" in bad.output
    assert "pydantic" not in bad.output
    for args in (["team", "create", "A队", "--capacity", "0"],
                 ["incident", "create", "X", "--start", "2021-07-17T00:00+08:00",
                  "--reverify-hours", "0"]):  # fmt: skip
        refused = runner.invoke(app, args)
        assert refused.exit_code == 2 and "取值无效" in refused.output, refused.output
        assert "pydantic" not in refused.output
    missing = runner.invoke(app, ["team", "deactivate", "999"])
    assert missing.exit_code == 2 and "no team 999" in missing.output


def test_import_reads_a_gbk_sheet_and_export_counts_rows(database: None, tmp_path: Path) -> None:
    import csv

    _json(["incident", "create", "郑州暴雨", "--start", "2021-07-20T00:00+08:00",
           "--region", "410100", "--json"])  # fmt: skip
    # Excel on Chinese Windows saves GBK; one situation spans two lines (a quoted field).
    multiline = '6,周八,郑州市金水区经三路66号,2,"一楼进水\n老人行动不便",紧急,13500005555,否,否\n'
    sheet = tmp_path / "gbk.csv"
    sheet.write_bytes((SHEET + multiline).encode("gbk"))
    imported = _json(["import-csv", "郑州暴雨", str(sheet), "--json"])
    assert isinstance(imported, dict)
    assert (imported["new_requests"], imported["quarantined"]) == (4, 2)

    folder = runner.invoke(app, ["import-csv", "郑州暴雨", str(tmp_path)])
    assert folder.exit_code == 2
    assert "这是一个目录" in folder.output and "is a directory" in folder.output
    unreadable = tmp_path / "binary.csv"
    unreadable.write_bytes(b"\x81\x30\xff\xfe\x00 not text")
    refused = runner.invoke(app, ["import-csv", "郑州暴雨", str(unreadable)])
    assert refused.exit_code == 2
    assert "not a UTF-8 or GBK CSV" in refused.output

    out = tmp_path / "export.csv"
    exported = runner.invoke(app, ["export", "郑州暴雨", "--csv", str(out)])
    assert exported.exit_code == 0, exported.output
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))[1:]
    assert len(rows) == 4
    assert "张建国" in out.read_text(encoding="utf-8-sig")  # decoded, not mojibake
    assert out.read_text(encoding="utf-8-sig").count("\n") > len(rows) + 1  # a multi-line field
    assert "已导出 exported 4 条" in exported.output
    missing = runner.invoke(app, ["export", "郑州暴雨", "--csv", str(tmp_path / "no" / "x.csv")])
    assert missing.exit_code == 2
    assert "--csv: directory does not exist" in missing.output


def test_import_prints_the_warnings_of_rows_taken_in_unsure(database: None, tmp_path: Path) -> None:
    """A row whose 是否核实 / 时间 cannot be read is imported; the CLI names row and cell."""
    from .test_spreadsheet import UNSURE

    runner.invoke(app, ["incident", "create", "郑州暴雨", "--start", "2021-07-20T00:00+08:00",
                        "--region", "410100"])  # fmt: skip
    sheet = tmp_path / "名单.csv"
    sheet.write_text(UNSURE.format(verified="[待定]", rescued="否", time="昨天下午"), "utf-8")
    result = runner.invoke(app, ["import-csv", "郑州暴雨", str(sheet)])
    assert result.exit_code == 0, result.output
    assert "新求助 new 1" in result.output and "隔离 quarantined 0" in result.output
    printed = "".join(result.output.split())  # however wrapped at the terminal's width
    for said in ("名单.csv 第 2 行：是否核实「[待定]」无法识别，按未核实导入",
                 "verified '[待定]' not understood, taken in as not verified",
                 "名单.csv 第 2 行：时间「昨天下午」无法识别"):  # fmt: skip
        assert "".join(said.split()) in printed, result.output


def test_board_prints_the_closing_notices_its_help_names(database: None, tmp_path: Path) -> None:
    """``rescue board --help`` says it shows notices: it prints the closing statements
    (newest first, as the public board), or says there is none yet."""
    from zhengwu.db.engine import get_engine
    from zhengwu.rescue import dispatch
    from zhengwu.rescue import service as rescue_service

    _json(["incident", "create", "郑州暴雨", "--start", "2021-07-20T00:00+08:00",
           "--region", "410100", "--json"])  # fmt: skip
    sheet = tmp_path / "sheet.csv"
    sheet.write_text(SHEET, encoding="utf-8-sig")
    imported = _json(["import-csv", "郑州暴雨", str(sheet), "--json"])
    assert isinstance(imported, dict)
    before = runner.invoke(app, ["board", "郑州暴雨"])
    assert before.exit_code == 0, before.output
    assert "结束说明 closing notices: 0" in " ".join(before.output.split())
    closed = imported["request_ids"][0]
    with Session(get_engine()) as session:
        request = rescue_service.get_request(session, request_id=closed)
        dispatch.resolve(
            session, request=request, outcome="unreachable", actor=rescue_service.SYSTEM
        )
        session.commit()
    shown = runner.invoke(app, ["board", "郑州暴雨", "--public"])
    assert shown.exit_code == 0, shown.output
    lines = " ".join(shown.output.split())
    assert "结束说明 closing notices: 1" in lines
    assert f"#{closed}" in lines and "【联系不上】" in lines and "（可能仍有人待救）" in lines


def test_close_refuses_open_requests_unless_forced_with_a_reason(
    database: None, tmp_path: Path
) -> None:
    """``zhengwu rescue close`` closes as the API's PATCH does: open requests refuse it (their
    counts by state), --force needs --reason, and the forced closure is audited."""
    from sqlalchemy import select

    from zhengwu.audit.models import AuditEntry
    from zhengwu.db.engine import get_engine

    created = _json(["incident", "create", "郑州暴雨", "--start", "2021-07-20T00:00+08:00",
                     "--region", "410100", "--json"])  # fmt: skip
    assert isinstance(created, dict)
    sheet = tmp_path / "名单.csv"
    sheet.write_text(SHEET, "utf-8")
    assert runner.invoke(app, ["import-csv", "郑州暴雨", str(sheet)]).exit_code == 0
    refused = runner.invoke(app, ["close", "郑州暴雨"])
    assert refused.exit_code == 2
    said = "".join(refused.output.split())
    assert "还有3件求助未结束" in said and "stillhas3openhelprequests" in said, refused.output
    as_json = runner.invoke(app, ["close", "郑州暴雨", "--json"])
    error = json.loads(as_json.stdout.strip().splitlines()[-1])
    assert (as_json.exit_code, error["status"]) == (2, 409)
    assert sum(error["open_requests"].values()) == 3
    no_reason = runner.invoke(app, ["close", "郑州暴雨", "--force"])
    assert no_reason.exit_code == 2 and "needs a reason" in no_reason.output
    closed = _json(
        ["close", str(created["id"]), "--force", "--reason", "转交 12345 热线跟进", "--json"]
    )
    assert isinstance(closed, dict)
    assert (closed["status"], sum(closed["left_open"].values())) == ("closed", 3)
    again = runner.invoke(app, ["close", "郑州暴雨"])
    assert again.exit_code == 2 and "is already closed" in again.output
    with Session(get_engine()) as session:
        entry = session.scalars(select(AuditEntry).where(
            AuditEntry.entity_type == "rescue_incident", AuditEntry.action == "update")).one()  # fmt: skip
        assert (entry.to_state, entry.reason) == ("closed", "转交 12345 热线跟进")
        assert entry.data["forced"] is True
