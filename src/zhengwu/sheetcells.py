"""Cells of a spreadsheet people open in Excel or WPS: no formula injection (CSV/公式注入).

A help post is written by anyone, and its text, name or address ends up in the cells of an
export a coordinator opens. A cell that begins with ``=`` ``+`` ``-`` ``@`` (or a tab or a
carriage return, or their full-width forms, or any of these after leading spaces) is read
as a formula: ``=HYPERLINK("http://…","点我")`` or ``=cmd|' /C calc'!A0`` would run on the
coordinator's machine. :func:`safe_cell` prefixes such a text with an apostrophe, which
spreadsheets show as text and do not evaluate (the OWASP advice). Numbers stay numbers.

The apostrophe is also what people type before a number a spreadsheet must keep as text
(``'13800138000``, ``'0371…``). Every sheet import reads a cell through :func:`read_cell`,
which takes one leading apostrophe off, so an export of ours read back gives the texts and
phones that were exported. A text that itself begins with an apostrophe is exported with
a second one, so that round trip is exact too. This module is the only place that writes
or reads the mark: the rescue and service-desk exports and imports all go through it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# Control characters an Excel cell cannot hold (C0 but tab, newline, carriage return; as
# openpyxl's ILLEGAL_CHARACTERS_RE): openpyxl refuses the value and the workbook with it.
_NOT_IN_CELL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")

FORMULA_STARTS = frozenset("=+-@\t\r＝＋－＠")
TEXT_MARK = "'"  # the spreadsheet's "this cell is text" prefix


def safe_text(value: str) -> str:
    """Return a text as a spreadsheet may hold it: a formula-like text gets a leading '
    (and so does a text that begins with ' itself, which :func:`read_cell` would eat)."""
    if value.lstrip(" ")[:1] in FORMULA_STARTS or value.startswith(TEXT_MARK):
        return TEXT_MARK + value
    return value


def safe_cell(value: object) -> object:
    """Return ``value`` as a spreadsheet may hold it: texts through :func:`safe_text`,
    numbers unchanged."""
    return safe_text(value) if isinstance(value, str) else value


def safe_row(values: Iterable[object]) -> list[object]:
    """Return a row with every cell passed through :func:`safe_cell`."""
    return [safe_cell(value) for value in values]


def sheet_cell(value: object) -> object:
    """Return ``value`` as an Excel cell can hold it: a text without the control characters
    no cell may contain (a text sent with \x01 or \x0b in it), anything else unchanged.

    Every workbook zhengwu writes passes its texts through here; the operational databases
    keep those characters (zhengwu.storable), only the sheet leaves them out.
    """
    return _NOT_IN_CELL.sub("", value) if isinstance(value, str) else value


def sheet_row(values: Iterable[object]) -> list[object]:
    """Return a row as an Excel sheet holds it: every cell formula-safe (:func:`safe_cell`)
    and without the control characters no cell may contain (:func:`sheet_cell`)."""
    return [sheet_cell(safe_cell(value)) for value in values]


def read_cell(value: str) -> str:
    """Return a cell read from a sheet without its text mark: ``'13800138000`` →
    ``13800138000``, ``'=1+1`` → ``=1+1`` (the text as it was; exporting it again
    neutralises it again). Spaces before the mark go with it; other cells are unchanged."""
    stripped = value.lstrip(" ")
    return stripped[1:] if stripped.startswith(TEXT_MARK) else value
