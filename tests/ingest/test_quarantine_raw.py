"""A quarantined sheet row keeps its raw text — its line(s) as they are in the file, a
worksheet row's cells as a CSV line — so an operator can fix it and import it again: the
hotline export (``desk import-csv``), the category tree, the account lists and the
platforms' crawler CSVs; ``zhengwu quarantine --raw`` and ``--json`` show it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from zhengwu.cli import common
from zhengwu.cli.main import app
from zhengwu.ingest import files
from zhengwu.ingest.files import RAW_CHARS, iter_csv_rows
from zhengwu.ingest.models import QuarantineEntry

runner = CliRunner()
HEADER = "工单编号,受理时间,诉求内容,联系电话"
GOOD = "2025080100001,2025-08-01 09:00,金水区花园路井盖松动，车辆经过响声很大,13800000001"
BAD_TIME = "2025080100002,下周三,二七区路灯不亮,13800000002"
QUOTED = '2025080100003,昨天,"经三路小区门口\r\n积水严重，无法通行",13800000003'  # two lines
TOO_MANY = "2025080100004,2025-08-01 10:00,管城区噪音扰民,13800000004,多余,又多余"
NUL_ROW = "2025080100005,2025-08-01 11:00,惠济区\x00占道经营,13800000005"
GBK_ROW = "2025080100006,不是时间,郑东新区施工扰民,13800000006"  # saved as GBK


def _export(path: Path) -> Path:
    lines = [HEADER, GOOD, BAD_TIME, QUOTED, "", TOO_MANY, NUL_ROW]
    data = "\r\n".join(lines).encode() + b"\r\n" + GBK_ROW.encode("gb18030") + b"\r\n"
    path.write_bytes(b"\xef\xbb\xbf" + data)
    return path


def _entries(engine: Engine, run: int | None = None) -> dict[str, tuple[str, str | None]]:
    with Session(engine) as session:
        stmt = select(QuarantineEntry).order_by(QuarantineEntry.id)
        if run is not None:
            stmt = stmt.where(QuarantineEntry.run_id == run)
        return {e.source: (e.reason, e.raw) for e in session.scalars(stmt)}


@pytest.mark.parametrize("block", [1 << 24, 16], ids=["whole", "16-byte-blocks"])
def test_each_row_carries_its_lines_as_read(
    tmp_path: Path, block: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(files, "CSV_BLOCK", block)
    rows = {
        n.number: (n.raw, problem)
        for n, _, problem in iter_csv_rows(_export(tmp_path / "x.csv"), gbk=True)
    }
    assert rows == {
        2: (GOOD, None), 3: (BAD_TIME, None), 4: (QUOTED, None),
        7: (TOO_MANY, "字段数 6 多于表头 4 / 6 fields but header has 4"),
        8: (NUL_ROW, rows[8][1]), 9: (GBK_ROW, None),  # GB18030 read as text
    }  # fmt: skip
    assert "NUL" in (rows[8][1] or "")


def test_a_long_row_is_cut_and_a_worksheet_row_is_its_cells(tmp_path: Path) -> None:
    long = tmp_path / "long.csv"
    long.write_text(f"{HEADER}\n1,2025-08-01,{'长' * (RAW_CHARS + 50)},138\n", encoding="utf-8")
    [(number, row, _)] = iter_csv_rows(long)
    assert (
        row is not None
        and len(number.raw) == RAW_CHARS
        and number.raw.startswith("1,2025-08-01,长")
    )
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER.split(","))
    sheet.append([2025080100007, "2025-08-01 12:00", '中原区"建设路",夜间施工', 13800000007])
    book.save(tmp_path / "工单.xlsx")
    [(number, _, _)] = iter_csv_rows(tmp_path / "工单.xlsx")
    assert number.raw == '2025080100007,2025-08-01 12:00,"中原区""建设路"",夜间施工",13800000007'


def test_desk_import_quarantines_rows_with_their_raw_text_to_fix_and_import_again(
    tmp_path: Path, configured_database: str, committed_engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    path = _export(tmp_path / "12345导出.csv")
    result = runner.invoke(app, ["desk", "import-csv", str(path), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert (summary["created"], summary["quarantined"]) == (1, 5)
    run = summary["run_id"]
    entries = _entries(committed_engine, run)
    assert {source: raw for source, (_, raw) in entries.items()} == {
        f"{path}:3": BAD_TIME, f"{path}:4": QUOTED, f"{path}:7": TOO_MANY,
        f"{path}:8": NUL_ROW.replace("\x00", "\\u0000"), f"{path}:9": GBK_ROW,
    }  # fmt: skip
    listed = runner.invoke(app, ["quarantine", "--run", str(run), "--json"])
    listed_raw = [json.loads(line)["raw"] for line in listed.stdout.splitlines()]
    assert listed_raw == [raw for _, raw in entries.values()]
    # A table wide enough for the raw text: Rich fixes the console's width when the CLI is
    # imported if COLUMNS is set then (pytest-xdist's workers set it to 80).
    monkeypatch.setattr(common.console, "width", 400)
    table = runner.invoke(app, ["quarantine", "--run", str(run), "--raw"])
    assert table.exit_code == 0 and "二七区路灯不亮" in table.output and "raw" in table.output
    assert "二七区路灯不亮" not in runner.invoke(app, ["quarantine", "--run", str(run)]).output
    # The operator fixes the raw rows and imports them: each one a request now.
    fixed = tmp_path / "fixed.csv"
    fixed.write_text(
        "\n".join([HEADER, BAD_TIME.replace("下周三", "2025-08-06 09:00"),
                   QUOTED.replace("昨天", "2025-08-01 13:00"), ",".join(TOO_MANY.split(",")[:4]),
                   NUL_ROW.replace("\x00", ""), GBK_ROW.replace("不是时间", "2025-08-01 14:00")]),
        encoding="utf-8",
    )  # fmt: skip
    again = runner.invoke(app, ["desk", "import-csv", str(fixed), "--json"])
    assert json.loads(again.stdout.strip().splitlines()[-1])["created"] == 5, again.output


def test_category_and_account_lists_and_crawler_csvs_keep_the_row(
    tmp_path: Path, configured_database: str, committed_engine: Engine, shared_data: Path
) -> None:
    tree = tmp_path / "分类.csv"
    bad_tree = "城乡建设,,abc"
    tree.write_text(f"一级分类,二级分类,办结时限\n城乡建设,道路,15\n{bad_tree}\n", encoding="utf-8")
    assert runner.invoke(app, ["desk", "categories", "import", str(tree)]).exit_code == 0
    accounts = tmp_path / "accounts.csv"
    bad_account = "weibo,,无名账号,,,"
    accounts.write_text(f"platform,uid,name,org_id,verified_type,created_at\n{bad_account}\n",
                        encoding="utf-8")  # fmt: skip
    assert runner.invoke(app, ["import", "zhengwu-accounts", str(accounts)]).exit_code == 0
    sample = (shared_data / "weibo-cov" / "weibo_cov_v2_readme_sample.csv").read_text("utf-8")
    header, first, *_ = sample.splitlines()
    # A long row (its last column past the 500 characters platform imports used to keep).
    bad_post = first.replace("2020-12-01 00:00", "某天", 1) + "长" * 3000
    posts = tmp_path / "cov.csv"
    posts.write_text(f"{header}\n{first}\n{bad_post}\n", encoding="utf-8")
    assert runner.invoke(app, ["import", "weibo-cov-csv", str(posts)]).exit_code == 0
    entries = _entries(committed_engine)
    assert entries[f"{tree}:3"][1] == bad_tree
    assert entries[f"{accounts}:2"][1] == bad_account
    assert entries[f"{posts}:3"][1] == bad_post  # whole, as a sheet's row


def test_a_platforms_long_bad_line_is_kept_whole_up_to_the_limit(
    tmp_path: Path, configured_database: str, committed_engine: Engine
) -> None:
    """A Weibo status of long text (a 长微博: ~9,000 characters of JSON) that cannot be
    imported keeps its line whole, as a sheet's row does; a longer line keeps RAW_CHARS."""

    def status(text: str, reposts: int) -> str:
        return json.dumps(
            {"created_at": "Sun Jul 30 09:12:40 +0800 2023", "id": 4929003466384131 + reposts,
             "text": text, "user": {"id": 1288915263, "screen_name": "平安北京"},
             "reposts_count": reposts, "comments_count": 0, "attitudes_count": 0},
            ensure_ascii=False, separators=(",", ":"),
        )  # fmt: skip

    long_bad, longer = status("长" * 9000, -1), status("长" * (RAW_CHARS + 10), -2)
    path = tmp_path / "statuses.jsonl"
    path.write_text(f"{status('短', 1)}\n{long_bad}\n{longer}\n", encoding="utf-8")
    result = runner.invoke(app, ["import", "weibo-api", str(path), "--json"])
    assert result.exit_code == 0, result.output
    entries = _entries(committed_engine)
    assert len(long_bad) > 9000 and entries[f"{path}:2"][1] == long_bad
    assert entries[f"{path}:3"][1] == longer[:RAW_CHARS]
