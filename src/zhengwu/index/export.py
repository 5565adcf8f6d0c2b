"""Export a ranking — or any table of accounts — to CSV (UTF-8 with BOM, so Excel shows
Chinese) or XLSX: a row of column keys, a row of their Chinese names, then the rows, each
cell through :func:`zhengwu.sheetcells.safe_cell` (an imported account name never runs as a
formula)."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from zhengwu.sheetcells import safe_row, sheet_row

Columns = Sequence[tuple[str, str]]  # (key, Chinese name) of each column

# A ranking's two percentiles, in the one order every surface shows them (``index rank``'s
# table, its JSON/CSV/XLSX, the API's rows, the console's page and export): within the
# group ranked, then within the run's peer group (docs/index-systems.md, 两个百分位).
PERCENTILES = (("group_percentile", "组内百分位"), ("percentile", "同类百分位"))
COLUMNS = (
    ("group_key", "分组"), ("group_name", "分组名称"), ("rank", "排名"),
    ("movement", "名次变化"), ("account_uid", "账号"), ("name", "名称"),
    ("org_name", "机构"), ("sector", "系统"), ("level", "层级"), ("score", "得分"),
    *PERCENTILES, ("compliance", "合规"), ("compliance_reasons", "原因"),
)  # fmt: skip


def percentiles_in_order(row: dict[str, Any]) -> dict[str, Any]:
    """Return ``row`` with its percentiles next to each other in :data:`PERCENTILES`' order
    (where the first of them stood), the other keys as they were."""
    keys = [k for k, _ in PERCENTILES]
    if not all(k in row for k in keys):
        return row
    out: dict[str, Any] = {}
    for key, value in row.items():
        if key in keys:
            if key == next(k for k in row if k in keys):
                out.update((k, row[k]) for k in keys)
            continue
        out[key] = value
    return out


EXCLUDED_COLUMNS = (
    ("group_key", "分组"), ("account_uid", "账号"), ("name", "名称"), ("score", "得分"),
    ("compliance_reasons", "原因"),
)  # fmt: skip


def ranking_rows(ranking: dict[str, Any]) -> list[dict[str, Any]]:
    """Flatten a ranking (from ``ranking.ranking``) into one dict per row."""
    rows = []
    for group in ranking["groups"]:
        for row in group["rows"]:
            flat = {"group_key": group["group_key"], "group_name": group["group_name"], **row}
            flat["compliance_reasons"] = ";".join(row.get("compliance_reasons") or [])
            rows.append({key: flat.get(key) for key, _ in COLUMNS})
    return rows


# Decimals kept of a float cell: a score's float noise (56.49999999999999) is not shown to
# the office reading the sheet, while every published index keeps its 1e-6 precision.
CELL_DECIMALS = 6


def _cells(row: dict[str, Any], columns: Columns) -> list[Any]:
    """Return a row's cells in column order, floats rounded to :data:`CELL_DECIMALS`."""
    cells = (row[k] for k, _ in columns)
    return [round(v, CELL_DECIMALS) if isinstance(v, float) else v for v in cells]


def table_csv(columns: Columns, rows: Sequence[dict[str, Any]], path: Path) -> int:
    """Write ``rows`` (dicts by column key) to ``path`` as CSV; return the number of rows."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([key for key, _ in columns])
        writer.writerow([zh for _, zh in columns])
        for row in rows:
            writer.writerow(safe_row("" if v is None else v for v in _cells(row, columns)))
    return len(rows)


def table_sheet(
    book: Any, title: str, columns: Columns, rows: Iterable[dict[str, Any]], *, first: bool = True
) -> Any:
    """Fill the workbook's first sheet (or, ``first=False``, a new one) named ``title`` as
    :func:`table_csv` writes a file."""
    sheet = book.active if first else book.create_sheet(title)
    sheet.title = title
    sheet.append([key for key, _ in columns])
    sheet.append([zh for _, zh in columns])
    for row in rows:
        sheet.append(sheet_row(_cells(row, columns)))
    return sheet


def about_sheet(book: Any, facts: Iterable[tuple[str, object]]) -> None:
    """Add the 说明 sheet: what the export is (key, value), one fact a row."""
    about = book.create_sheet("说明")
    for key, value in facts:
        about.append(sheet_row([key, str(value)]))


def to_csv(ranking: dict[str, Any], path: Path) -> int:
    """Write the ranking to ``path`` as CSV; return the number of rows."""
    return table_csv(COLUMNS, ranking_rows(ranking), path)


def to_xlsx(ranking: dict[str, Any], path: Path) -> int:
    """Write the ranking to ``path`` as an XLSX workbook; return the number of rows."""
    from openpyxl import Workbook

    rows = ranking_rows(ranking)
    book = Workbook()
    table_sheet(book, "排行", COLUMNS, rows)
    # Headed as the 排行 sheet (keys, then Chinese names), so read_xlsx reads it too.
    excluded = [
        {key: item.get(key) for key, _ in EXCLUDED_COLUMNS}
        | {"compliance_reasons": ";".join(item["compliance_reasons"] or [])}
        for item in ranking["excluded"]
    ]
    table_sheet(book, "未纳入排行", EXCLUDED_COLUMNS, excluded, first=False)
    keys = ("run_id", "system", "period", "platform", "by", "previous_run", "excluded_count")
    about_sheet(book, [*((key, ranking.get(key)) for key in keys), *_reason_facts()])
    book.save(path)
    return len(rows)


def _reason_facts() -> list[tuple[str, object]]:
    """Return what each code of the 原因 column means (no_post 检查日前无更新 …)."""
    from zhengwu.index.compliance import reason_titles

    return [(f"原因 {code}", title) for code, title in reason_titles().items()]


def read_csv(path: Path) -> list[dict[str, str]]:
    """Read a CSV written by :func:`to_csv` back (the Chinese header row is skipped)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        return [row for i, row in enumerate(reader) if i > 0]


def read_xlsx(path: Path, sheet: str = "排行") -> list[dict[str, Any]]:
    """Read the ranking sheet (or the table ``sheet``) of an XLSX written here back."""
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    try:
        values = list(book[sheet].iter_rows(values_only=True))
    finally:
        book.close()  # read-only workbooks keep the file open until closed
    header = [str(v) for v in values[0]]
    return [dict(zip(header, row, strict=True)) for row in values[2:]]
