"""Cells of a spreadsheet people open in Excel or WPS: no formula injection (CSV/公式注入).

A help post is written by anyone, and its text, name or address ends up in the cells of an
export a coordinator opens. A cell that begins with ``=`` ``+`` ``-`` ``@`` (or a tab or a
carriage return, or their full-width forms, or any of these after leading spaces) is read
as a formula: ``=HYPERLINK("http://…","点我")`` or ``=cmd|' /C calc'!A0`` would run on the
coordinator's machine. :func:`safe_cell` prefixes such a text with an apostrophe, which
spreadsheets show as text and do not evaluate (the OWASP advice). Numbers stay numbers.
"""

from __future__ import annotations

from collections.abc import Iterable

FORMULA_STARTS = frozenset("=+-@\t\r＝＋－＠")


def safe_cell(value: object) -> object:
    """Return ``value`` as a spreadsheet may hold it: a formula-like text gets a leading '."""
    if isinstance(value, str) and value.lstrip(" ")[:1] in FORMULA_STARTS:
        return "'" + value
    return value


def safe_row(values: Iterable[object]) -> list[object]:
    """Return a row with every cell passed through :func:`safe_cell`."""
    return [safe_cell(value) for value in values]
