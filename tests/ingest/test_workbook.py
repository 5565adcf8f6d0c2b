"""Excel workbooks (.xlsx) wherever a CSV sheet is imported: the same rows as the CSV, Excel's
row numbers, title rows above the table skipped, cells as a person reads them."""

from __future__ import annotations

import csv
import json
from datetime import date, datetime, time
from pathlib import Path

import pytest
from openpyxl import Workbook
from tests.ingest.test_cli_import import _summary
from typer.testing import CliRunner

from zhengwu.cli.main import app
from zhengwu.errors import InvalidInputError
from zhengwu.ingest.files import iter_csv_rows, sheet_header
from zhengwu.ingest.workbook import cell_text, workbook_rows

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
    from_book = list(iter_csv_rows(book))
    from_csv = list(iter_csv_rows(plain))
    assert [n for n, _, _ in from_book] == [4, 6, 7]  # as Excel shows them (header on row 3)
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
    assert list(workbook_rows(book)) == [(1, ["账号名称"]), (2, ["平安郑州"]), (3, ["郑州发布"])]
    longer = _book(tmp_path / "长名单.xlsx", [["账号名称"], *[[f"账号{i}"] for i in range(9)]])
    assert [n for n, _ in workbook_rows(longer)] == list(range(1, 11))


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
