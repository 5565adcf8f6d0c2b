"""Loading a deployment's category tree from a level CSV (``zhengwu desk categories import``).

The file is what 12345 systems and the 政务留言 data export (``taxonomy.csv``): a header
with one column per level (一级分类, 二级分类, 三级分类 … or level1, level2 …), one row per
leaf. Optional columns 回应时限 / response_days and 办结时限 / resolve_days (working days)
set the deadlines of the row's last category, and 系统 / sectors (one or several, separated
by ``;`` ``、`` or ``,``: 住建;城管) the 系统 that handle it — what ``zhengwu desk routing
derive`` routes by. A new category without a 系统 of its own takes its parent's.

A node is matched to the tree on file by its parent and name, so existing categories keep
their codes — and the routing rules, requests and rates that reference them by code stay
valid. A new category gets the next free code below its parent (``01`` → ``0108``), takes
its parent's deadlines unless the row gives its own, and is active; an inactive one named
by the file is made active again. Nothing is removed: a category absent from the file stays
as it is (deactivate it with ``zhengwu desk categories edit CODE --inactive``). Importing
the same file twice changes nothing the second time.

Rows that cannot be used are quarantined with their reason (in the import run, like every
import, see ``zhengwu quarantine --run``): a gap between levels, a name too long or with a
``/``, a deadline out of range, a sector over 32 characters, or a leaf repeated with other
deadlines or other sectors. Every created or
edited category is audited (``category`` create/update) and the import itself is audited
on its run (``import_run`` / ``categories-import``).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhengwu.auth.principal import Principal
from zhengwu.errors import InvalidInputError
from zhengwu.ingest.files import iter_csv_rows
from zhengwu.ingest.runs import record_sheet_run
from zhengwu.ingest.workbook import RowNo, SheetLeft
from zhengwu.platforms.records import QuarantineRecord
from zhengwu.servicedesk.category import service as category_service
from zhengwu.servicedesk.category.models import Category, CategoryCreate, CategoryUpdate
from zhengwu.storable import shown

FORMAT = "desk-categories"
_LEVEL = re.compile(r"^(?:([一二三四五六七八九十])级(?:分类|类别)?|(?:level|l)\s*(\d+))$", re.I)
_DIGITS = "一二三四五六七八九十"
_DAYS = {
    "response_days": ("回应时限", "response_days", "回应期限"),
    "resolve_days": ("办结时限", "resolve_days", "办结期限"),
}
_SECTORS = ("系统", "所属系统", "主管系统", "sectors", "sector")
_SECTOR_SPLIT = re.compile(r"[;；、,，|]")
_MAX_NAME = 64
_MAX_CODE = 32
_MAX_SECTOR = 32


@dataclass(slots=True)
class TreeImportSummary:
    """Counts of one category-tree import: per row (read = imported + updated + duplicates
    + quarantined), and the categories created (a row may create its parents too)."""

    run_id: int | None = None
    read: int = 0
    imported: int = 0
    updated: int = 0
    duplicates: int = 0
    quarantined: int = 0
    created: int = 0
    quarantines: list[QuarantineRecord] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # the sheets of a workbook not read

    def to_dict(self) -> dict[str, Any]:
        """Return the summary as JSON-ready data (quarantines with source and reason)."""
        data = asdict(self)
        data["quarantines"] = [{"source": q.source, "reason": q.reason} for q in self.quarantines]
        return data


@dataclass(frozen=True, slots=True)
class _Row:
    line: RowNo
    names: tuple[str, ...]
    days: dict[str, int]
    sectors: tuple[str, ...] | None = None  # None: the row gives none


def level_columns(header: list[str]) -> list[str]:
    """Return the level columns of a header, top level first ([] when there is none)."""
    levels: list[tuple[int, str]] = []
    for name in header:
        match = _LEVEL.match(name.strip())
        if match:
            number = _DIGITS.index(match[1]) + 1 if match[1] else int(match[2])
            levels.append((number, name))
    return [name for _, name in sorted(levels)]


def _clash(first: _Row, item: _Row) -> tuple[str, str] | None:
    """Return what a repeated category row says otherwise than its first row (in Chinese
    and English), or None when it is the first row or says the same."""
    if first is item:
        return None
    if first.days != item.days:
        return "时限", "deadlines"
    if first.sectors != item.sectors:
        return "系统", "sectors"
    return None


def _parse(row: dict[str, str], levels: list[str], line: RowNo) -> _Row:
    """Return the row's path and deadlines, or raise ValueError with the reason."""
    cells = [row.get(c, "").strip() for c in levels]
    while cells and not cells[-1]:
        cells.pop()
    if not cells:
        raise ValueError(f"缺少{levels[0]} / missing first-level category ({levels[0]})")
    if "" in cells:
        gap = levels[cells.index("")]
        raise ValueError(f"{gap} 为空但下级不为空 / empty level {gap!r} above a filled one")
    for name in cells:
        if len(name) > _MAX_NAME:
            raise ValueError(
                f"分类名称超过 {_MAX_NAME} 字：{name[:20]}… / category name longer than {_MAX_NAME}"
            )
        if "/" in name:
            raise ValueError(f"分类名称不能含 /：{name} / category name contains '/': {name!r}")
    days: dict[str, int] = {}
    for key, names in _DAYS.items():
        raw = next((row[c].strip() for c in names if row.get(c, "").strip()), "")
        if raw:
            try:
                days[key] = int(raw)
            except ValueError:
                raise ValueError(
                    f"{names[0]}应为整数 / {key} must be a whole number: {raw!r}"
                ) from None
    try:
        CategoryUpdate.model_validate(days)
    except ValidationError as exc:
        problems = "; ".join(f"{e['loc'][0]}: {e['msg']}" for e in exc.errors())
        raise ValueError(f"时限无效 / invalid deadline: {problems}") from None
    return _Row(line, tuple(cells), days, _sectors(row))


def _sectors(row: dict[str, str]) -> tuple[str, ...] | None:
    """Return the 系统 of a row's sector cell, in order and each once (None: no cell).

    Raises ValueError for a sector longer than an organisation's sector may be.
    """
    raw = next((row[c].strip() for c in _SECTORS if (row.get(c) or "").strip()), "")
    if not raw:
        return None
    found: list[str] = []
    for part in _SECTOR_SPLIT.split(raw):
        sector = " ".join(part.split())
        if len(sector) > _MAX_SECTOR:
            raise ValueError(
                f"系统名称超过 {_MAX_SECTOR} 字：{sector[:20]}… / sector longer than {_MAX_SECTOR}"
            )
        if sector and sector not in found:
            found.append(sector)
    return tuple(found) or None


class _Tree:
    """The tree on file, indexed by (parent code, name), with code allocation."""

    def __init__(self, session: Session) -> None:
        rows = list(session.scalars(select(Category).order_by(Category.sort_order, Category.id)))
        self.codes = {c.code for c in rows}
        self.by_key: dict[tuple[str | None, str], Category] = {}
        self.children: dict[str | None, int] = {}
        for cat in rows:
            self.by_key.setdefault((cat.parent_code, cat.name), cat)
            self.children[cat.parent_code] = self.children.get(cat.parent_code, 0) + 1
        self.next_sort = max((c.sort_order for c in rows), default=0) + 1

    def new_code(self, parent: str | None) -> str:
        """Return the next free code below ``parent``: its code plus a 2-digit number."""
        prefix = parent or ""
        n = self.children.get(parent, 0) + 1
        while True:
            code = f"{prefix}{n:02d}"
            if code not in self.codes:
                break
            n += 1
        if len(code) > _MAX_CODE:
            raise ValueError(f"分类层级过深（编码超过 {_MAX_CODE} 位） / tree too deep for codes")
        self.codes.add(code)
        self.children[parent] = self.children.get(parent, 0) + 1
        return code


def import_tree(
    session: Session, path: Path, *, actor: Principal, dry_run: bool = False
) -> TreeImportSummary:
    """Load or update the category tree from a level CSV; quarantine the rows it cannot use.

    A file without level columns is refused (InvalidInputError) before anything is read.
    With ``dry_run`` the counts and quarantines are the same but nothing is written.
    """
    summary = TreeImportSummary()
    parsed: list[_Row] = []
    levels: list[str] | None = None
    left: list[SheetLeft] = []
    for line, row, problem in iter_csv_rows(path, gbk=True, left=left):
        summary.read += 1
        if row is None:
            _refuse(summary, line.at(path), problem or "CSV 行无法读取 / unreadable row", line.raw)
            continue
        if levels is None:
            levels = level_columns(list(row))
            if not levels:
                raise InvalidInputError(
                    f"{path} 没有分类层级列（一级分类、二级分类…）",
                    f"{path} has no level columns (一级分类, 二级分类 … or level1, level2 …)",
                )
        try:
            parsed.append(_parse(row, levels, line))
        except ValueError as exc:
            _refuse(summary, line.at(path), str(exc), line.raw)
    summary.warnings.extend(sheet.warning(path) for sheet in left)
    tree = _Tree(session)
    leaves: dict[tuple[str, ...], _Row] = {}
    for item in parsed:
        first = leaves.setdefault(item.names, item)
        clash = _clash(first, item)
        if clash is not None:
            zh, en = clash
            _refuse(
                summary, item.line.at(path),
                f"与第 {first.line} 行同一分类但{zh}不同 / same category as line {first.line} "
                f"with other {en}", item.line.raw,
            )  # fmt: skip
            continue
        try:
            outcome = _apply(session, tree, item, summary, actor=actor, dry_run=dry_run)
        except ValueError as exc:
            _refuse(summary, item.line.at(path), str(exc), item.line.raw)
            continue
        setattr(summary, outcome, getattr(summary, outcome) + 1)
    if not dry_run:
        _record_run(session, path, summary, actor)
    return summary


def _refuse(summary: TreeImportSummary, source: str, reason: str, raw: str) -> None:
    """Quarantine a row: where, why, and its text as read (a NUL kept as \\u0000)."""
    summary.quarantined += 1
    summary.quarantines.append(QuarantineRecord(source=source, reason=reason, raw=shown(raw)))


def _apply(
    session: Session, tree: _Tree, item: _Row, summary: TreeImportSummary, *,
    actor: Principal, dry_run: bool,
) -> str:  # fmt: skip
    """Create the row's missing categories; return the outcome of its last one."""
    parent: Category | None = None
    outcome = "duplicates"
    for depth, name in enumerate(item.names):
        leaf = depth == len(item.names) - 1
        parent_code = parent.code if parent is not None else None
        found = tree.by_key.get((parent_code, name))
        if found is None:
            days = item.days if leaf else {}
            # The row's 系统 for its last category; else the parent's (the 系统 that handle
            # a class handle its subclasses), so routing and rates by sector reach it.
            given = item.sectors if leaf else None
            sectors = list(given) if given else list(parent.sectors or []) if parent else []
            data = CategoryCreate(
                code=tree.new_code(parent_code), name=name, parent_code=parent_code,
                response_days=days.get("response_days", parent.response_days if parent else 1),
                resolve_days=days.get("resolve_days", parent.resolve_days if parent else 15),
                sectors=sectors, sort_order=tree.next_sort,
            )  # fmt: skip
            tree.next_sort += 1
            if dry_run:
                found = Category(**data.model_dump(exclude={"attributes"}), attributes=[])
            else:
                found = category_service.create(session, data=data, actor=actor)
            tree.by_key[(parent_code, name)] = found
            summary.created += 1
            outcome = "imported"
        else:
            changes: dict[str, Any] = dict(item.days) if leaf else {}
            if leaf and item.sectors is not None:
                changes["sectors"] = list(item.sectors)
            changes = {k: v for k, v in changes.items() if getattr(found, k) != v}
            if not found.active:
                changes["active"] = True
            if changes:
                if not dry_run:
                    category_service.update(
                        session, category=found, data=CategoryUpdate(**changes), actor=actor
                    )
                if leaf:
                    outcome = "updated"
        parent = found
    return outcome


def _record_run(session: Session, path: Path, summary: TreeImportSummary, actor: Principal) -> None:
    """Store the import run, its quarantine and an audit entry for it."""
    counts = {k: v for k, v in summary.to_dict().items() if k != "quarantines"}
    summary.run_id = record_sheet_run(
        session, fmt=FORMAT, shown=str(path), counts=counts, quarantines=summary.quarantines,
        actor=actor, action="categories-import",
        data={"path": str(path), "created": summary.created, **counts},
    )  # fmt: skip
