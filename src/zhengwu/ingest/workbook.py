"""Excel workbooks (``.xlsx``, ``.xlsm``) read like a CSV file: rows of text cells.

12345 centres and new-media offices keep their lists in Excel (工单导出.xlsx, 账号名录.xlsx),
so every sheet import that takes a CSV file (``desk import-csv``, account, organisation and
category lists, the volunteers' sheet of an incident) takes a workbook as it is, without
"save as CSV" (which on Chinese Windows writes GBK):

- the **first worksheet** is read (a workbook's other sheets — notes, pivot tables — are
  not); its cells' values as Excel last computed them (formulas are not evaluated);
- title rows above the table (a merged 标题 such as "郑州市12345工单 2025年7月", or blank
  rows) are skipped: the header is the first row with at least two filled cells (a list
  of one column, with no such row, starts at its first filled row);
- row numbers are the sheet's own, as Excel shows them, so a quarantined row is found at
  ``file.xlsx:ROW``;
- cells become text as a person reads them: whole numbers without ``.0`` (a phone number
  or a ticket number typed as a number stays ``13812345678``), dates and times as
  ``YYYY-MM-DD HH:MM:SS`` (``YYYY-MM-DD`` for a date alone), empty cells as ``""``;
- an old ``.xls`` file (Excel 97–2003) is refused with a clear message: save it as
  ``.xlsx`` or CSV.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import IO, Any

from zhengwu.errors import InvalidInputError

SUFFIXES = (".xlsx", ".xlsm")
TITLE_ROWS = 5  # rows of one cell above a table that are taken as its title


def is_workbook(path: Path | str) -> bool:
    """Tell whether ``path`` names an Excel workbook this module reads (by its suffix)."""
    return Path(path).suffix.lower() in SUFFIXES


def refuse_old_excel(path: Path | str) -> None:
    """Refuse an Excel 97–2003 ``.xls`` file with a message saying what to do instead."""
    if Path(path).suffix.lower() == ".xls":
        raise InvalidInputError(
            f"不支持旧版 Excel（.xls）文件，请另存为 .xlsx 或 CSV（UTF-8）：{path}",
            f"old Excel (.xls) files are not read; save it as .xlsx or CSV (UTF-8): {path}",
        )


def cell_text(value: Any) -> str:
    """Return a cell's value as the text a person reads in Excel."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.replace(microsecond=0).isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value)


def workbook_rows(source: Path | IO[bytes], *, name: str = "") -> Iterator[tuple[int, list[str]]]:
    """Yield ``(row number, cells)`` of the first sheet from its header row on.

    Trailing empty cells are dropped from every row; empty rows are yielded as ``[]`` so
    that the caller decides. ``name`` names an in-memory ``source`` in errors.
    """
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    shown = name or str(source)
    try:
        book = load_workbook(source, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError) as exc:
        raise InvalidInputError(
            f"无法读取 Excel 文件 {shown}（文件损坏或不是 .xlsx）：{exc}",
            f"cannot read the Excel file {shown} (damaged, or not .xlsx): {exc}",
        ) from None
    try:
        if not book.worksheets:
            return
        # Rows of one filled cell before the header: titles, or a one-column list's header
        # and first rows (then, with no wider row within TITLE_ROWS, they are the table).
        pending: list[tuple[int, list[str]]] = []
        header_seen = False
        for number, values in enumerate(book.worksheets[0].iter_rows(values_only=True), 1):
            cells = [cell_text(v) for v in values]
            while cells and not cells[-1].strip():
                cells.pop()
            if not header_seen:
                if len(cells) >= 2 and sum(1 for c in cells if c.strip()) >= 2:
                    header_seen = True
                else:
                    if cells:
                        pending.append((number, cells))
                    if len(pending) <= TITLE_ROWS:
                        continue
                    header_seen = True
                    yield from pending
                    continue
            yield number, cells
        if not header_seen:
            yield from pending  # a list of one column
    finally:
        book.close()
