"""Export a ranking to CSV (UTF-8 with BOM, so Excel shows Chinese) or XLSX."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from zhengwu.sheetcells import sheet_cell

COLUMNS = (
    ("group_key", "分组"), ("group_name", "分组名称"), ("rank", "排名"),
    ("movement", "名次变化"), ("account_uid", "账号"), ("name", "名称"),
    ("org_name", "机构"), ("sector", "系统"), ("level", "层级"), ("score", "得分"),
    ("percentile", "百分位"), ("compliance", "合规"), ("compliance_reasons", "原因"),
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


def to_csv(ranking: dict[str, Any], path: Path) -> int:
    """Write the ranking to ``path`` as CSV; return the number of rows."""
    rows = ranking_rows(ranking)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([key for key, _ in COLUMNS])
        writer.writerow([zh for _, zh in COLUMNS])
        for row in rows:
            writer.writerow(["" if row[k] is None else row[k] for k, _ in COLUMNS])
    return len(rows)


def to_xlsx(ranking: dict[str, Any], path: Path) -> int:
    """Write the ranking to ``path`` as an XLSX workbook; return the number of rows."""
    from openpyxl import Workbook

    rows = ranking_rows(ranking)
    book = Workbook()
    sheet = book.active
    sheet.title = "排行"
    sheet.append([key for key, _ in COLUMNS])
    sheet.append([zh for _, zh in COLUMNS])
    # Account names come from the platforms as they were: a control character in one
    # would stop the workbook (sheet_cell leaves it out of the cell).
    for row in rows:
        sheet.append([sheet_cell(row[k]) for k, _ in COLUMNS])
    excluded = book.create_sheet("未纳入排行")
    excluded.append(["group_key", "account_uid", "name", "score", "compliance_reasons"])
    for item in ranking["excluded"]:
        excluded.append([sheet_cell(v) for v in (
            item["group_key"], item["account_uid"], item["name"], item["score"],
            ";".join(item["compliance_reasons"] or []))])  # fmt: skip
    about = book.create_sheet("说明")
    for key in ("run_id", "system", "period", "platform", "by", "previous_run", "excluded_count"):
        about.append([key, str(ranking.get(key))])
    book.save(path)
    return len(rows)


def read_csv(path: Path) -> list[dict[str, str]]:
    """Read a CSV written by :func:`to_csv` back (the Chinese header row is skipped)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        return [row for i, row in enumerate(reader) if i > 0]


def read_xlsx(path: Path) -> list[dict[str, Any]]:
    """Read the ranking sheet of an XLSX written by :func:`to_xlsx` back."""
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    try:
        values = list(book["排行"].iter_rows(values_only=True))
    finally:
        book.close()  # read-only workbooks keep the file open until closed
    header = [str(v) for v in values[0]]
    return [dict(zip(header, row, strict=True)) for row in values[2:]]
