"""Excel workbooks (.xlsx) wherever a CSV sheet is imported: the same rows as the CSV, Excel's
row numbers, title rows above the table skipped, cells as a person reads them; every sheet of
the first table's header read (一月, 二月 …), the others (a 汇总 pivot, notes) said."""

from __future__ import annotations

import csv
import json
from datetime import date, datetime, time
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from tests.ingest.test_cli_import import _summary
from typer.testing import CliRunner

from zhengwu.cli.main import app
from zhengwu.errors import InvalidInputError
from zhengwu.ingest.files import iter_csv_rows, sheet_header
from zhengwu.ingest.models import QuarantineEntry
from zhengwu.ingest.workbook import RowNo, SheetLeft, cell_text, sheets_left, workbook_rows

runner = CliRunner()


def _book(path: Path, rows: list[list[object]], *, extra_sheet: bool = False) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    if extra_sheet:
        book.create_sheet("说明").append(["填表说明", "本表由系统导出"])
    book.save(path)
    return path


def _csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""), ("平安郑州", "平安郑州"), (13812345678, "13812345678"),
        (13812345678.0, "13812345678"), (20250701000002, "20250701000002"), (2.5, "2.5"),
        (datetime(2025, 7, 1, 23, 5, 38), "2025-07-01 23:05:38"),
        (datetime(2025, 7, 1, 23, 5, 38, 999), "2025-07-01 23:05:38"),
        (datetime(2025, 7, 1), "2025-07-01"), (date(2025, 7, 1), "2025-07-01"),
        (time(8, 30), "08:30:00"), (True, "是"), (False, "否"),
    ],
)  # fmt: skip
def test_cells_read_as_a_person_reads_them(value: object, text: str) -> None:
    assert cell_text(value) == text


def test_a_workbook_gives_the_rows_of_the_same_csv_with_excels_row_numbers(
    tmp_path: Path,
) -> None:
    header = ["工单编号", "受理时间", "诉求内容", "联系电话", "备注"]
    data = [
        [20250701000002, datetime(2025, 7, 1, 23, 5, 38), "魏都区农业路井盖丢失", 18669410303, None],
        [None, None, None, None, None],  # an empty row: skipped, like a blank CSV line
        [20250702000010, datetime(2025, 7, 2, 18, 54, 8), "路面塌陷", None, "夜间"],
        ["x", "y", "z", "w", "v", "one too many"],
    ]  # fmt: skip
    book = _book(
        tmp_path / "工单.xlsx",
        [["郑州市12345工单导出 2025年7月"], [], header, *data],  # a title and a blank row above
        extra_sheet=True,
    )
    plain = _csv(tmp_path / "工单.csv", [header, *[[cell_text(c) for c in row] for row in data]])
    left: list[SheetLeft] = []
    from_book = list(iter_csv_rows(book, left=left))
    from_csv = list(iter_csv_rows(plain))
    # As Excel shows them (header on row 3), named by their sheet: the workbook has two.
    assert [n.at("工单.xlsx") for n, _, _ in from_book] == [
        "工单.xlsx!Sheet:4", "工单.xlsx!Sheet:6", "工单.xlsx!Sheet:7",
    ]  # fmt: skip
    assert [n.number for n, _, _ in from_csv] == [2, 4, 5]
    assert [sheet.sheet for sheet in left] == ["说明"]  # the notes sheet: another header
    assert [(row, problem) for _, row, problem in from_book] == [
        (row, problem) for _, row, problem in from_csv
    ]
    first = from_book[0][1]
    assert first is not None
    assert first["联系电话"] == "18669410303" and first["受理时间"] == "2025-07-01 23:05:38"
    assert first["备注"] == ""  # a trailing empty cell: the header's column, empty
    assert from_book[2][1] is None and "6 fields but header has 5" in str(from_book[2][2])
    assert sheet_header(book) == header == sheet_header(plain)


def test_a_list_of_one_column_starts_at_its_first_row(tmp_path: Path) -> None:
    book = _book(tmp_path / "名单.xlsx", [["账号名称"], ["平安郑州"], ["郑州发布"]])
    assert list(workbook_rows(book)) == [
        (RowNo(1), ["账号名称"]), (RowNo(2), ["平安郑州"]), (RowNo(3), ["郑州发布"]),
    ]  # fmt: skip
    longer = _book(tmp_path / "长名单.xlsx", [["账号名称"], *[[f"账号{i}"] for i in range(9)]])
    assert [n.number for n, _ in workbook_rows(longer)] == list(range(1, 11))
    assert [str(n) for n, _ in workbook_rows(longer)][:2] == ["1", "2"]  # one sheet: no name


def test_old_excel_and_broken_workbooks_are_refused_clearly(tmp_path: Path) -> None:
    old = tmp_path / "工单.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    with pytest.raises(InvalidInputError) as caught:
        list(iter_csv_rows(old))
    assert "另存为 .xlsx 或 CSV" in caught.value.message_zh and ".xls" in caught.value.message_en
    broken = tmp_path / "工单.xlsx"
    broken.write_text("工单编号,诉求内容\n1,井盖丢失\n", encoding="utf-8")  # a CSV renamed
    with pytest.raises(InvalidInputError) as caught:
        list(iter_csv_rows(broken))
    assert "无法读取 Excel 文件" in caught.value.message_zh
    assert str(broken) in caught.value.message_en


def test_desk_import_of_a_workbook_stores_what_the_csv_stores(
    tmp_path: Path, shared_data: Path, configured_database: str
) -> None:
    """The real city messages as a 12345 Excel export: imported, then the same rows as CSV
    find every ticket already there."""
    source = shared_data / "citizen-messages" / "messages_with_replies.csv"
    with source.open(encoding="utf-8-sig", newline="") as fh:
        messages = list(csv.DictReader(fh))[:40]
    text_column = next(k for k in messages[0] if "详情" in k or "内容" in k)
    header = ["工单编号", "受理时间", "诉求内容", "联系电话"]
    rows: list[list[object]] = [
        [20250701000000 + i, datetime(2025, 7, 1, 8, i),
         m[text_column], 13800000000 + i]
        for i, m in enumerate(messages)
    ]  # fmt: skip
    book = _book(tmp_path / "工单导出.xlsx", [["郑州市12345热线工单"], header, *rows])
    plain = _csv(tmp_path / "工单导出.csv", [header, *[[cell_text(c) for c in r] for r in rows]])
    first = runner.invoke(app, ["desk", "import-csv", str(book), "--json"])
    assert first.exit_code == 0, first.output
    assert '"created":40' in first.stdout.replace(" ", "")
    again = runner.invoke(app, ["desk", "import-csv", str(plain), "--json"])
    assert again.exit_code == 0, again.output
    assert '"existing":40' in again.stdout.replace(" ", "")


def test_account_and_organisation_lists_from_excel_equal_their_csv(
    tmp_path: Path, configured_database: str
) -> None:
    """Numbers typed as numbers (uids, division codes) read back as the CSV's text: the CSV
    imported afterwards finds every record unchanged."""
    orgs = [["org_id", "name", "level", "sector", "adcode", "parent_id"],
            ["o1", "郑州市人民政府", "市", "政府", "410100", ""],
            ["o2", "郑州市公安局", "市", "公安", "410100", "o1"]]  # fmt: skip
    accounts = [["platform", "uid", "name", "org_id", "verified_type", "created_at"],
                ["weibo", "2176235777", "平安郑州", "o2", "1", "2011-06-13"],
                ["weibo", "1000000001", "郑州发布", "o1", "1", "2012-01-01"]]  # fmt: skip

    def typed(rows: list[list[str]]) -> list[list[object]]:
        return [[int(c) if c.isdigit() else c for c in row] for row in rows]

    for name, rows, fmt in (
        ("orgs", orgs, "zhengwu-orgs"),
        ("accounts", accounts, "zhengwu-accounts"),
    ):
        book = _book(tmp_path / f"{name}.xlsx", typed(rows))
        first = runner.invoke(app, ["import", fmt, str(book), "--json"])
        assert first.exit_code == 0, first.output
        assert _summary(first.stdout)["imported"] == 2
        again = runner.invoke(
            app, ["import", fmt, str(_csv(tmp_path / f"{name}.csv", rows)), "--json"]
        )
        assert _summary(again.stdout)["duplicates"] == 2, again.output


def test_desk_import_of_a_csv_that_excel_saved_as_gbk(
    tmp_path: Path, shared_data: Path, configured_database: str
) -> None:
    """Excel's "CSV (逗号分隔)" on Chinese Windows is GBK: the desk reads it as it is (it used
    to refuse the file, its header unreadable as UTF-8)."""
    source = shared_data / "citizen-messages" / "messages_with_replies.csv"
    with source.open(encoding="utf-8-sig", newline="") as fh:
        messages = list(csv.DictReader(fh))[:30]
    text_column = next(k for k in messages[0] if "详情" in k or "内容" in k)
    rows = [["工单编号", "受理时间", "诉求内容"]] + [
        [str(20250801000000 + i), f"2025-08-01 09:{i:02d}:00", m[text_column]]
        for i, m in enumerate(messages)
    ]
    gbk = tmp_path / "工单-gbk.csv"
    with gbk.open("w", encoding="gbk", errors="replace", newline="") as fh:
        csv.writer(fh).writerows(rows)
    first = runner.invoke(app, ["desk", "import-csv", str(gbk), "--json"])
    assert first.exit_code == 0, first.output
    summary = json.loads(first.stdout.strip().splitlines()[-1])
    assert (summary["created"], summary["quarantined"]) == (30, 0)
    export = runner.invoke(
        app, ["desk", "export", "--format", "json", "--out", str(tmp_path / "out.json")]
    )
    assert export.exit_code == 0, export.output
    texts = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    stored = json.dumps(texts, ensure_ascii=False)
    assert messages[0][text_column][:12] in stored  # read as Chinese, not as mojibake


# ---- workbooks of several sheets -------------------------------------------------------------

HEADER = ["工单编号", "受理时间", "诉求内容", "联系电话"]


def _month(month: int, count: int, *, start: int = 0) -> list[list[object]]:
    return [
        [20250000000000 + month * 100000000 + start + i, datetime(2025, month, 1 + i, 9, 30),
         f"{month}月第{start + i}号：金水区农业路第{i}个路灯不亮，晚上行人看不清", 13800000000 + i]
        for i in range(count)
    ]  # fmt: skip


def _months(path: Path, *, bad_row: bool = False) -> Path:
    """A 12345 centre's export: 一月 under a title row, 二月 with the same header (spaces
    around its cells), an empty sheet, and a 汇总 pivot of another header."""
    book = Workbook()
    first = book.active
    assert first is not None
    first.title = "一月"
    for row in [["郑州市12345工单导出 2025年1月"], [], HEADER, *_month(1, 3)]:
        first.append(row)
    second = book.create_sheet("二月")
    for row in [[f" {h} " for h in HEADER], *_month(2, 4)]:
        second.append(row)
    if bad_row:  # a ticket without its text, on 二月's row 6
        second.append([20250200009999, datetime(2025, 2, 9, 9, 0), None, 13900000000])
    book.create_sheet("Sheet3")  # Excel's blank sheet: nothing to read or to lose
    summary = book.create_sheet("汇总")
    for row in [["区域", "一月", "二月"], ["金水区", 3, 4]]:
        summary.append(row)
    book.save(path)
    return path


def test_every_sheet_of_the_first_tables_header_is_read_in_order(tmp_path: Path) -> None:
    path = _months(tmp_path / "工单导出.xlsx")
    left: list[SheetLeft] = []
    rows = list(iter_csv_rows(path, left=left))
    assert [n.at("工单导出.xlsx") for n, _, _ in rows] == [
        "工单导出.xlsx!一月:4", "工单导出.xlsx!一月:5", "工单导出.xlsx!一月:6",
        "工单导出.xlsx!二月:2", "工单导出.xlsx!二月:3", "工单导出.xlsx!二月:4",
        "工单导出.xlsx!二月:5",
    ]  # fmt: skip
    assert all(problem is None for _, _, problem in rows)
    second = rows[3][1]
    assert second is not None and list(second) == HEADER  # read under the first header
    assert second["诉求内容"].startswith("2月第0号") and second["联系电话"] == "13800000000"
    # The pivot is said, with both headers; the empty sheet is not (nothing in it).
    assert [sheet.sheet for sheet in left] == ["汇总"]
    warning = left[0].warning("工单导出.xlsx")
    assert warning.startswith("工单导出.xlsx!汇总：")
    assert "未读取" in warning and "区域, 一月, 二月" in warning and "工单编号, 受理时间" in warning
    assert "was not read" in warning and "differs from that of the first table, '一月'" in warning
    assert sheets_left(path) == left  # the survey alone finds the same
    assert sheet_header(path) == HEADER


def test_a_sheet_with_its_columns_in_another_order_or_a_chart_is_not_read(
    tmp_path: Path,
) -> None:
    from openpyxl.chart import BarChart, Reference

    book = Workbook()
    first = book.active
    assert first is not None
    first.title = "金水区"
    for row in [HEADER, *_month(3, 2)]:
        first.append(row)
    other = book.create_sheet("二七区")  # the same columns, in another order: not taken
    for row in [HEADER[::-1], *[r[::-1] for r in _month(3, 2, start=50)]]:
        other.append(row)
    chart = BarChart()
    chart.add_data(Reference(first, min_col=4, min_row=1, max_row=3))
    book.create_chartsheet("图表").add_chart(chart)
    book.save(tmp_path / "分区.xlsx")
    left: list[SheetLeft] = []
    rows = list(workbook_rows(tmp_path / "分区.xlsx", left=left))
    assert [str(n) for n, _ in rows] == ["金水区:1", "金水区:2", "金水区:3"]
    assert [(s.sheet, "不同" in s.reason_zh) for s in left] == [("二七区", True), ("图表", False)]
    assert left[1].reason_en == "it is a chart, not a table"


def test_an_empty_first_sheet_leaves_the_table_to_the_next(tmp_path: Path) -> None:
    book = Workbook()
    assert book.active is not None
    book.active.title = "空白"
    table = book.create_sheet("工单")
    for row in [HEADER, *_month(4, 2)]:
        table.append(row)
    book.save(tmp_path / "工单.xlsx")
    left: list[SheetLeft] = []
    rows = list(iter_csv_rows(tmp_path / "工单.xlsx", left=left))
    assert [str(n) for n, _, _ in rows] == ["工单:2", "工单:3"]
    assert left == [] and sheet_header(tmp_path / "工单.xlsx") == HEADER


def test_desk_import_reads_every_monthly_sheet_and_says_which_it_did_not(
    tmp_path: Path, configured_database: str, committed_engine: Engine
) -> None:
    """One sheet per month and a 汇总 pivot: both months' tickets are created (the second
    sheet used to be dropped without a word), the pivot is named on stderr with its reason,
    a bad row is quarantined at ``file!sheet:row``, and a second import adds nothing."""
    path = _months(tmp_path / "工单导出.xlsx", bad_row=True)
    first = runner.invoke(app, ["desk", "import-csv", str(path), "--json"])
    assert first.exit_code == 0, first.output
    summary = json.loads(first.stdout.strip().splitlines()[-1])
    assert (summary["read"], summary["created"], summary["quarantined"]) == (8, 7, 1)
    said = "".join(first.stderr.split())
    assert f"{path}!汇总：工作表「汇总」未读取" in said
    assert "wasnotread" in said and "differsfromthatofthefirsttable" in said
    assert "Sheet3" not in said  # an empty sheet is passed over without a word
    with Session(committed_engine) as session:
        sources = session.scalars(select(QuarantineEntry.source)).all()
    assert sources == [f"{path}!二月:6"]
    again = runner.invoke(app, ["desk", "import-csv", str(path), "--json"])
    assert again.exit_code == 0, again.output
    summary = json.loads(again.stdout.strip().splitlines()[-1])
    assert (summary["created"], summary["existing"], summary["quarantined"]) == (0, 7, 1)


def test_an_organisation_list_over_two_sheets_and_a_notes_sheet(
    tmp_path: Path, configured_database: str, committed_engine: Engine
) -> None:
    """``zhengwu import zhengwu-orgs``: a 区县 sheet's rows name a parent on the 市级 sheet;
    the 填表说明 sheet is a warning in the JSON; a bad row is found by its sheet."""
    header = ["org_id", "name", "level", "sector", "adcode", "parent_id"]
    book = Workbook()
    city = book.active
    assert city is not None
    city.title = "市级"
    for row in [header, ["o1", "郑州市人民政府", "市", "政府", 410100, ""],
                ["o2", "郑州市公安局", "市", "公安", 410100, "o1"]]:  # fmt: skip
        city.append(row)
    county = book.create_sheet("区县")
    for row in [header, ["o3", "金水区人民政府", "县", "政府", 410105, "o1"],
                ["o4", "无层级单位", "", "政府", 410105, "o1"]]:  # fmt: skip
        county.append(row)
    book.create_sheet("填表说明").append(["level 填 中央/省/市/县/乡", "parent_id 填上级编号"])
    path = tmp_path / "orgs.xlsx"
    book.save(path)
    first = runner.invoke(app, ["import", "zhengwu-orgs", str(path), "--json"])
    assert first.exit_code == 0, first.output
    summary = json.loads(first.stdout.strip().splitlines()[-1])
    assert (summary["imported"], summary["quarantined"]) == (3, 1)
    [warning] = [w for w in summary["warnings"] if "填表说明" in w]
    assert warning.startswith(f"{path}!填表说明：") and "was not read" in warning
    with Session(committed_engine) as session:
        assert session.scalars(select(QuarantineEntry.source)).all() == [f"{path}!区县:3"]
    again = runner.invoke(app, ["import", "zhengwu-orgs", str(path), "--json"])
    assert _summary(again.stdout)["duplicates"] == 3  # nothing new the second time
