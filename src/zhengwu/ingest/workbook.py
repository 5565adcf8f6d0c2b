"""Excel workbooks (``.xlsx``, ``.xlsm``) read like a CSV file: rows of text cells.

12345 centres and new-media offices keep their lists in Excel (工单导出.xlsx, 账号名录.xlsx),
so every sheet import that takes a CSV file (``desk import-csv``, account, organisation and
category lists, the volunteers' sheet of an incident, a matrix's member list) takes a
workbook as it is, without "save as CSV" (which on Chinese Windows writes GBK):

- every worksheet that holds the **same table** is read, in the workbook's order: the first
  sheet with rows sets the header, and each later sheet whose header is the same (the same
  cells in the same order, spaces around them aside) goes on with its rows — a 12345
  centre's export of one sheet per month (一月, 二月 …) or per district, or a 诉求 export
  that ``zhengwu desk export`` continued past Excel's row limit in 诉求 (2), 诉求 (3) …;
- a sheet whose header differs (a 汇总 pivot or summary, a 填表说明 notes sheet) and a chart
  sheet are **not read, and said**: :class:`SheetLeft` names each with its reason, for the
  caller's warnings (:func:`workbook_rows`'s ``left``, or :func:`sheets_left` alone);
  an empty sheet (Excel's blank Sheet2) holds nothing and is passed over without a word;
- cells' values are the ones Excel last computed (formulas are not evaluated); hidden
  sheets are read like the others;
- title rows above a table (a merged 标题 such as "郑州市12345工单 2025年7月", or blank
  rows) are skipped, sheet by sheet: the header is the first row with at least two filled
  cells (a list of one column, with no such row, starts at its first filled row);
- row numbers are the sheet's own, as Excel shows them (:class:`RowNo`): a quarantined row
  is found at ``file.xlsx:ROW`` in a workbook of one sheet and at ``file.xlsx!SHEET:ROW``
  (``工单.xlsx!三月:12``) in a workbook of several;
- cells become text as a person reads them: whole numbers without ``.0`` (a phone number
  or a ticket number typed as a number stays ``13812345678``), dates and times as
  ``YYYY-MM-DD HH:MM:SS`` (``YYYY-MM-DD`` for a date alone), empty cells as ``""``;
- an old ``.xls`` file (Excel 97–2003) is refused with a clear message: save it as
  ``.xlsx`` or CSV;
- a workbook is a zip archive, so it is held to the limits of every compressed input
  (:mod:`zhengwu.ingest.packed`, ``ZHENGWU_UNPACK_MAX_MEMBERS`` / ``_BYTES`` / ``_RATIO``)
  before openpyxl reads it: its parts are counted, and each is decompressed as a stream and
  its bytes counted (never taken from the zip's headers, which can lie); a workbook past a
  limit (a "zip bomb" in a sheet's XML or in its shared strings, which openpyxl would hold
  in memory) is refused with the limit named, and nothing of it is read. Every opening
  checks it again (an importer that reads the header, then the rows, decompresses it a few
  times: a small cost next to openpyxl's parsing of the XML);
- in the same pass its XML parts are parsed by expat as they stream by (:class:`_XmlPart`):
  a part that declares a DTD or entities is refused (Office Open XML never does; it is how
  an "XML bomb" of nested entities, "billion laughs", is built — expat would stop one only
  after ~2.5 s and 130 MB), and so is damaged XML in a part openpyxl reads for the rows
  (the workbook, its relationships, the worksheets, the shared strings and styles), so a
  damaged sheet is refused before any of its rows is imported rather than halfway. XML that
  openpyxl still fails on while reading the rows is the same bilingual refusal, never a
  traceback.
"""

from __future__ import annotations

import pyexpat
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import IO, Any
from xml.etree.ElementTree import ParseError

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


@dataclass(frozen=True, slots=True)
class RowNo:
    """Where a row is, as a person finds it: its number (a CSV file's line, a worksheet's
    row as Excel shows it) and, in a workbook of several sheets, the sheet's name.

    ``raw`` is the row as it was read, for its quarantine record (an operator fixes it and
    imports it again): a CSV row's line or lines as they are in the file, a worksheet row's
    cells as a CSV line; cut at :data:`zhengwu.ingest.files.RAW_CHARS` characters. It takes
    no part in comparing rows.

    ``cells`` is how many cells a CSV row had as read (before :func:`~zhengwu.ingest.files.
    iter_csv_rows` fills a short row up to the header): fewer than the header's usually
    means a comma or a quote went wrong. None for a worksheet row, whose empty cells at the
    end are not kept, and for a row that could not be read.
    """

    number: int
    sheet: str = ""  # "" in a CSV file and in a workbook of one sheet
    raw: str = field(default="", compare=False, repr=False)
    cells: int | None = field(default=None, compare=False, repr=False)

    def in_file(self, shown: object) -> str:
        """Return ``shown`` (how people see the file), with ``!SHEET`` when there is one."""
        return f"{shown}!{self.sheet}" if self.sheet else str(shown)

    def at(self, shown: object) -> str:
        """Return the row's location: ``file.csv:12``, ``工单.xlsx!三月:12``."""
        return f"{self.in_file(shown)}:{self.number}"

    def __str__(self) -> str:
        """The row within its file, for "第 … 行" / "line …": ``12``, ``三月:12``."""
        return f"{self.sheet}:{self.number}" if self.sheet else str(self.number)


@dataclass(frozen=True, slots=True)
class SheetLeft:
    """A worksheet that was not read, and why (bilingual)."""

    sheet: str
    reason_zh: str
    reason_en: str

    def warning(self, shown: object) -> str:
        """Return the warning people read about it, naming the file as ``shown``."""
        return (
            f"{shown}!{self.sheet}：工作表「{self.sheet}」未读取，{self.reason_zh} / "
            f"sheet {self.sheet!r} of {shown} was not read: {self.reason_en}"
        )


SHOWN_HEADER = 6  # header cells a warning quotes


def _quoted(header: list[str]) -> str:
    cells = ", ".join(header[:SHOWN_HEADER])
    return cells + (", …" if len(header) > SHOWN_HEADER else "") if header else "—"


def workbook_rows(
    source: Path | IO[bytes], *, name: str = "", left: list[SheetLeft] | None = None
) -> Iterator[tuple[RowNo, list[str]]]:
    """Yield ``(row, cells)`` of the workbook's table: its header row first, then the rows
    of every sheet that has that header, sheet after sheet (each sheet's own title rows
    and header row are not yielded again).

    Trailing empty cells are dropped from every row; empty rows are yielded as ``[]`` so
    that the caller decides. The sheets not read go into ``left`` (when given) as they are
    met. ``name`` names an in-memory ``source`` in errors.
    """
    book = _open(source, name)
    try:
        yield from _tables(book, [] if left is None else left, rows=True)
    except ParseError as exc:  # what the checks before opening let through
        raise _damaged_xml(name or str(source), "", exc) from None
    finally:
        book.close()


def sheets_left(source: Path | IO[bytes], *, name: str = "") -> list[SheetLeft]:
    """Return the worksheets :func:`workbook_rows` does not read, and why; reading only
    each sheet's first rows (the importers that read the rows elsewhere warn with it)."""
    book = _open(source, name)
    left: list[SheetLeft] = []
    try:
        for _ in _tables(book, left, rows=False):
            continue
    except ParseError as exc:
        raise _damaged_xml(name or str(source), "", exc) from None
    finally:
        book.close()
    return left


# What a workbook of more parts than ZHENGWU_UNPACK_MAX_MEMBERS is (Excel writes tens).
_BOMB = (
    "Excel 文件不会有这么多部件，疑为压缩炸弹",
    "no Excel workbook has that many parts — a decompression bomb?",
)


def _open(source: Path | IO[bytes], name: str) -> Any:
    """Open a workbook for reading, within the unpack limits (see the module's docstring)."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    from zhengwu.ingest.packed import ZIP_DAMAGE, check_zip_contents

    shown = name or str(source)
    try:
        check_zip_contents(source, shown, _BOMB, inspect=lambda part: _XmlPart.of(shown, part))
        return load_workbook(source, read_only=True, data_only=True)
    except ParseError as exc:
        raise _damaged_xml(shown, "", exc) from None
    except (*ZIP_DAMAGE, InvalidFileException, KeyError, ValueError) as exc:
        raise InvalidInputError(
            f"无法读取 Excel 文件 {shown}（文件损坏或不是 .xlsx）：{exc}",
            f"cannot read the Excel file {shown} (damaged, or not .xlsx): {exc}",
        ) from None


# The parts openpyxl reads to give the rows: damaged XML in one of them is a damaged file.
_READ_PARTS = ("[Content_Types].xml", "xl/workbook.xml", "xl/sharedStrings.xml", "xl/styles.xml")


def _damaged_xml(shown: str, part: str, exc: Exception) -> InvalidInputError:
    where = f"{shown}!{part}" if part else shown
    return InvalidInputError(
        f"无法读取 Excel 文件 {where}（XML 已损坏）：{exc}，该文件未读取",
        f"cannot read the Excel file {where} (damaged XML): {exc}; the file was not read",
    )


class _XmlPart:
    """Parse one XML part of a workbook with expat as it is decompressed (nothing kept).

    A DTD or entity declaration refuses the file at once; a syntax error refuses it when the
    part is one openpyxl reads for the rows (:data:`_READ_PARTS`, the worksheets, the
    relationships), and is left to openpyxl in any other part (a custom XML part it never
    opens need not stop the import).
    """

    def __init__(self, shown: str, part: str) -> None:
        self.shown, self.part = shown, part
        self.needed = (
            part in _READ_PARTS or part.endswith(".rels")
            or (part.startswith("xl/worksheets/") and part.endswith(".xml"))
        )  # fmt: skip
        self.parser = pyexpat.ParserCreate()
        self.parser.StartDoctypeDeclHandler = self._declared
        self.parser.EntityDeclHandler = self._declared
        self.broken = False

    @classmethod
    def of(cls, shown: str, part: str) -> _XmlPart | None:
        """Return the check of ``part`` when it is XML (not an image or a binary part)."""
        return cls(shown, part) if part.endswith((".xml", ".rels")) else None

    def _declared(self, *_: object) -> None:
        raise InvalidInputError(
            f"Excel 文件 {self.shown}!{self.part} 声明了 DTD 或实体（Office Open XML 从不如此，"
            "疑为 XML 炸弹），该文件未读取",
            f"the Excel file {self.shown}!{self.part} declares a DTD or entities (Office Open "
            "XML never does: an XML bomb?); the file was not read",
        )

    def feed(self, data: bytes, *, final: bool = False) -> None:
        """Parse the next block of the part."""
        if self.broken:
            return
        try:
            self.parser.Parse(data, final)
        except pyexpat.ExpatError as exc:
            if self.needed:
                raise _damaged_xml(self.shown, self.part, exc) from None
            self.broken = True  # openpyxl may never read this part


def _tables(book: Any, left: list[SheetLeft], *, rows: bool) -> Iterator[tuple[RowNo, list[str]]]:
    """Yield the header and (with ``rows``) the rows of the sheets of the first table's
    header; put the other sheets with rows into ``left``."""
    several = len(book.sheetnames) > 1
    header: list[str] | None = None
    first = ""
    for title in book.sheetnames:
        sheet = book[title]
        if not hasattr(sheet, "iter_rows"):
            left.append(SheetLeft(title, "它是图表，不是表格", "it is a chart, not a table"))
            continue
        table = _table(sheet)
        top = next(table, None)
        if top is None:
            continue  # an empty sheet: nothing in it to read or to lose
        label = title if several else ""
        cells = [c.strip() for c in top[1]]
        if header is None:
            header, first = cells, title
            yield RowNo(top[0], label), top[1]
        elif cells != header:
            left.append(SheetLeft(
                title,
                f"其表头（{_quoted(cells)}）与第一个表格「{first}」的表头（{_quoted(header)}）不同",
                f"its header ({_quoted(cells)}) differs from that of the first table, "
                f"{first!r} ({_quoted(header)})",
            ))  # fmt: skip
            continue
        if rows:
            for number, row in table:
                yield RowNo(number, label), row


def _table(sheet: Any) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(row number, cells)`` of one worksheet from its header row on."""
    # Rows of one filled cell before the header: titles, or a one-column list's header
    # and first rows (then, with no wider row within TITLE_ROWS, they are the table).
    pending: list[tuple[int, list[str]]] = []
    header_seen = False
    for number, values in enumerate(sheet.iter_rows(values_only=True), 1):
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
