"""Loading the routing table from a sheet (派单表): ``zhengwu desk routing import``.

A 12345 centre keeps which body handles which category in which district in a spreadsheet;
this reads it (CSV in UTF-8 or GBK, or an Excel workbook: :func:`zhengwu.ingest.files.
iter_csv_rows`) — the export of :mod:`.sheet` as it is, or the centre's own sheet. Columns
(the first header found of each line; case and spaces ignored):

================  ==============================================================
what              accepted headers
================  ==============================================================
division code     区划代码 adcode
division name     区划名称 区划 行政区划 所属区域 区域 区县 division region
category code     分类代码 category_code
category name     分类名称 分类 问题分类 诉求分类 事项分类 category
body              承办单位 承办部门 责任单位 办理单位 organization org
body id           承办单位编号 机构编号 organization_id
body code         承办单位代码 机构代码 organization_code org_code
note              说明 备注 note
================  ==============================================================

The export's 兜底, 规则编号, 版本 and 生效时间 are for people and not read (a fallback is a
row with no division or no category). A file without a body column is refused whole.

How a row is read:

- **Division**: by its code (an old code resolves to its successor: 江干区 330104 → 上城区
  330102) or its name (金水区, 郑州市金水区, a former name, a short form such as 金水); a
  code in a name column is read as a code. A name that several divisions bear (朝阳区) is
  taken within the deployment's home region (``ZHENGWU_DESK_HOME_ADCODE``) and refused
  otherwise with the candidates. Both empty, ``*`` or 任意区划: any division. Given both,
  they must name the same division.
- **Category**: by its code (in either column) or its name in the city's tree (inactive
  ones too); a name several categories bear is refused with their codes unless written as
  a path (城乡建设/供水). Both empty, ``*`` or 任意分类: any category.
- **Body**: by its id (承办单位编号), its code (承办单位代码), or in 承办单位 its id, code or
  exact name (:func:`zhengwu.accounts.service.resolve_organization`). Every cell given must
  name the same body.

A row that cannot be read is **refused**, with a bilingual reason naming its row and
column, and kept with its raw text in the import run's quarantine (``zhengwu quarantine
--run N``), as the category import does. Two rows for the same division and category with
different bodies are both refused, each naming the other, and the rule in force for that
key stays as it is; a row repeated with the same body counts once (``repeated``).

The good rows are then compared with the rules in force: a key without a rule is
**added**, a key whose rule routes to another body is **changed** (the new rule replaces
the old), the others are **unchanged** — a different 说明 alone changes nothing. With
``replace`` every rule in force that no row names is **retired**. As the category import
does, the good rows of a file with refused rows are applied — except with ``replace``:
a refused row may be a rule the file means to keep, so such a file changes nothing and
says so (``applied`` false). ``dry_run`` reports the same plan and writes nothing.

Every change goes through :func:`zhengwu.servicedesk.routing.service.add_rules`, as one new
version of the table (its note names the file), each new rule audited ``create`` and each
retired one ``retire`` as the one-by-one commands do; a file that changes nothing makes
no version. The import is recorded as an import run (``desk-routing``) with an audit entry
``routing-import``. Only the admin may import (the table is the whole city's).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhengwu import regions
from zhengwu.accounts import service as accounts_service
from zhengwu.accounts.models import Organization
from zhengwu.auth.principal import Principal
from zhengwu.config import get_settings
from zhengwu.errors import InvalidInputError, ZhengwuError
from zhengwu.ingest.files import RAW_CHARS, iter_csv_rows, sheet_header
from zhengwu.ingest.runs import record_sheet_run
from zhengwu.ingest.workbook import RowNo, SheetLeft
from zhengwu.platforms.records import QuarantineRecord
from zhengwu.servicedesk.category import service as category_service
from zhengwu.servicedesk.csvimport import column_plan
from zhengwu.servicedesk.routing import division
from zhengwu.servicedesk.routing import service as routing_service
from zhengwu.servicedesk.routing.models import RoutingRule, RoutingRuleCreate
from zhengwu.servicedesk.routing.sheet import ANY_CATEGORY, ANY_DIVISION, category_paths
from zhengwu.sheetcells import read_cell

FORMAT = "desk-routing"
COLUMNS: dict[str, tuple[str, ...]] = {
    "adcode": ("区划代码", "adcode"),
    "division": ("区划名称", "区划", "行政区划", "所属区域", "区域", "区县", "division", "region"),
    "category_code": ("分类代码", "category_code"),
    "category": ("分类名称", "分类", "问题分类", "诉求分类", "事项分类", "category"),
    "org": ("承办单位", "承办部门", "责任单位", "办理单位", "organization", "org"),
    "org_id": ("承办单位编号", "机构编号", "organization_id"),
    "org_code": ("承办单位代码", "机构代码", "organization_code", "org_code"),
    "note": ("说明", "备注", "note"),
}  # fmt: skip
_ORG_FIELDS = ("org_id", "org_code", "org")
_ANY = frozenset({"*", "任意", "全部", "any", ANY_DIVISION, ANY_CATEGORY})
_PATH_SPLIT = re.compile(r"\s*[/／]\s*")
_CANDIDATES = 5  # candidates a refusal lists
Key = tuple[str | None, str | None]  # (adcode, category_code)
Action = Literal["add", "change", "retire"]


class _Refused(Exception):
    """A cell that cannot be read: its column and why (Chinese, English)."""

    def __init__(self, column: str, zh: str, en: str) -> None:
        super().__init__(zh)
        self.column, self.zh, self.en = column, zh, en


@dataclass(slots=True)
class PlannedRule:
    """One change the file makes to the table (or would, in a dry run)."""

    action: Action
    adcode: str | None
    category_code: str | None
    organization_id: int
    organization: str
    row: str = ""  # the file's row (none for a rule retired by ``replace``)
    rule_id: int | None = None  # the rule in force it replaces or retires
    new_rule_id: int | None = None  # the rule it made (once applied)
    was_organization_id: int | None = None
    was_organization: str = ""

    def line(self) -> str:
        """Return the change as the CLI prints it (分类 × 区划 → 承办单位)."""
        key = f"区划 {self.adcode or '*'} 分类 {self.category_code or '*'}"
        where = (
            f"（第 {self.row} 行 row {self.row}）" if self.row else f"（规则 rule #{self.rule_id}）"
        )
        if self.action == "add":
            return f"+ 新增 add     {key} → {self.organization}{where}"
        if self.action == "change":
            return (f"~ 变更 change  {key}: {self.was_organization} → {self.organization}"
                    f"{where}")  # fmt: skip
        return f"- 停用 retire  {key} → {self.organization}{where}"


@dataclass(slots=True)
class TableImportSummary:
    """What one import of the routing table did, or would do (``dry_run``).

    Per row, read = added + changed + unchanged + repeated + refused; ``retired`` counts
    the rules in force the file does not name (``replace`` only).
    """

    filename: str
    dry_run: bool = False
    replace: bool = False
    applied: bool = False  # the changes were made (not a dry run, not refused whole)
    version: int | None = None  # the table version the changes made (None: no change)
    run_id: int | None = None
    read: int = 0
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    repeated: int = 0
    refused: int = 0
    retired: int = 0
    plan: list[PlannedRule] = field(default_factory=list)
    quarantines: list[QuarantineRecord] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Return the summary as JSON-ready data (the refused rows with where and why)."""
        data = {k: v for k, v in asdict(self).items() if k not in ("plan", "quarantines")}
        data["plan"] = [asdict(p) for p in self.plan]
        data["refused_rows"] = [{"source": q.source, "reason": q.reason, "raw": q.raw}
                                for q in self.quarantines]  # fmt: skip
        return data

    @property
    def refused_whole(self) -> bool:
        """Whether nothing was applied because the file has refused rows (``replace``)."""
        return self.replace and self.refused > 0


class TableRefusedError(InvalidInputError):
    """A file with refused rows imported with ``replace``: nothing was changed (422). Its
    answer carries the import's summary, refused rows included."""

    def __init__(self, summary: TableImportSummary) -> None:
        n = summary.refused
        super().__init__(
            f"{n} 行被拒绝：替换导入（--replace）未做任何改动，请修正后重新导入",
            f"{n} row(s) refused: a replacing import (--replace) changed nothing; fix them "
            "and import again",
        )
        self.summary = summary

    def to_dict(self) -> dict[str, object]:
        """Return the error with the import's summary (its refused rows, what it planned)."""
        return {**self.summary.to_dict(), **super().to_dict()}


@dataclass(frozen=True, slots=True)
class _Row:
    line: RowNo
    key: Key
    org: Organization
    note: str
    raw: Mapping[str, str]


def _cell(
    row: Mapping[str, str], plan: Mapping[str, tuple[str, ...]], name: str
) -> tuple[str, str]:
    """Return (column, text) of the first non-empty column of field ``name``; ("", "") if none."""
    for column in plan[name]:
        value = read_cell((row.get(column) or "").strip()).strip()
        if value:
            return column, value
    return (plan[name][0] if plan[name] else COLUMNS[name][0]), ""


def _given(text: str) -> bool:
    return bool(text) and text not in _ANY


class _Resolver:
    """Reads a row's division, category and body; caches what it looked up."""

    def __init__(self, session: Session) -> None:
        self.session = session
        tree = category_service.get_tree(session, include_inactive=True)
        self.categories = {c.code: c for c in tree}
        self.paths = category_paths(tree)
        self.by_path = {path: code for code, path in self.paths.items()}
        self.by_name: dict[str, list[str]] = {}
        for c in tree:
            self.by_name.setdefault(c.name, []).append(c.code)
        self.home = get_settings().desk_home_adcode
        self.orgs: dict[tuple[str, str], Organization | ZhengwuError] = {}

    # -- division ----------------------------------------------------------------------

    def division(self, code: tuple[str, str], name: tuple[str, str]) -> str | None:
        """Return the row's division code (current), None for any; raise _Refused."""
        (code_col, code_text), (name_col, name_text) = code, name
        if not _given(code_text) and re.fullmatch(r"\d{6}", name_text):  # a code in 区划
            (code_col, code_text), name_text = name, ""
        if _given(code_text):
            found = regions.get(code_text) if re.fullmatch(r"\d{6}", code_text) else None
            if found is None:
                raise _Refused(code_col, f"未知的区划代码 {code_text}",
                               f"unknown division code {code_text!r}")  # fmt: skip
            if _given(name_text) and found.adcode not in division.named(name_text):
                raise _Refused(
                    name_col, f"「{name_text}」与{code_col} {code_text}（{found.name}）不一致",
                    f"{name_text!r} is not the division of {code_col} {code_text} ({found.name})",
                )  # fmt: skip
            return found.adcode
        if not _given(name_text):
            return None
        try:
            return division.by_name(name_text, home=self.home)
        except division.DivisionNameError as exc:
            raise _Refused(name_col, exc.zh, exc.en) from None

    # -- category ----------------------------------------------------------------------

    def category(self, code: tuple[str, str], name: tuple[str, str]) -> str | None:
        """Return the row's category code, None for any; raise _Refused."""
        (code_col, code_text), (name_col, name_text) = code, name
        if not _given(code_text) and name_text in self.categories:  # a code in 分类
            (code_col, code_text), name_text = name, ""
        if _given(code_text):
            if code_text not in self.categories:
                raise _Refused(code_col, f"分类树中没有分类代码 {code_text}",
                               f"no category {code_text!r} in the tree")  # fmt: skip
            path = self.paths[code_text]
            if _given(name_text) and _PATH_SPLIT.sub("/", name_text) not in (
                path,
                self.categories[code_text].name,
            ):
                raise _Refused(
                    name_col, f"「{name_text}」与{code_col} {code_text}（{path}）不一致",
                    f"{name_text!r} is not the category of {code_col} {code_text} ({path})",
                )  # fmt: skip
            return code_text
        if not _given(name_text):
            return None
        path = _PATH_SPLIT.sub("/", name_text)
        if path in self.by_path:
            return self.by_path[path]
        codes = self.by_name.get(name_text, [])
        if len(codes) == 1:
            return codes[0]
        if not codes:
            raise _Refused(name_col, f"分类树中没有分类「{name_text}」",
                           f"no category {name_text!r} in the tree")  # fmt: skip
        listed = [f"{c} {self.paths[c]}" for c in codes[:_CANDIDATES]]
        raise _Refused(
            name_col,
            f"「{name_text}」对应多个分类（{'、'.join(listed)}），请填写分类代码或完整路径",
            f"{name_text!r} names several categories ({', '.join(listed)}): give the code or "
            "the path",
        )  # fmt: skip

    # -- body --------------------------------------------------------------------------

    def organization(self, cells: Mapping[str, tuple[str, str]]) -> Organization:
        """Return the row's body: every body cell given must name the same one."""
        found: list[tuple[str, Organization]] = []
        for name in ("org_id", "org_code"):
            column, text = cells[name]
            if text:
                found.append((column, self._org(name, column, text)))
        column, text = cells["org"]
        if text and found:
            first_column, org = found[0]
            if text not in (org.name, org.external_id, str(org.id)):
                raise _Refused(
                    column, f"「{text}」与{first_column}（{org.name}）不一致",
                    f"{text!r} is not the body of {first_column} ({org.name})",
                )  # fmt: skip
        elif text:
            found.append((column, self._org("org", column, text)))
        if not found:
            raise _Refused(column, "缺少承办单位", "no handling body")
        first_column, org = found[0]
        for other_column, other in found[1:]:
            if other.id != org.id:
                raise _Refused(
                    other_column, f"与{first_column}不是同一机构（{other.name} / {org.name}）",
                    f"names another body than {first_column} ({other.name} / {org.name})",
                )  # fmt: skip
        return org

    def _org(self, kind: str, column: str, text: str) -> Organization:
        cached = self.orgs.get((kind, text))
        if cached is None:
            cached = self._lookup(kind, text)
            self.orgs[(kind, text)] = cached
        if isinstance(cached, ZhengwuError):
            raise _Refused(column, cached.message_zh, cached.message_en)
        return cached

    def _lookup(self, kind: str, text: str) -> Organization | ZhengwuError:
        if kind == "org":
            try:
                return accounts_service.resolve_organization(self.session, text)
            except ZhengwuError as exc:
                return exc
        if kind == "org_id":
            org = self.session.get(Organization, int(text)) if text.isdigit() else None
        else:
            org = self.session.scalar(select(Organization).where(Organization.external_id == text))
        if org is not None:
            return org
        what = ("编号", "id") if kind == "org_id" else ("代码", "code")
        return InvalidInputError(
            f"没有{what[0]}为 {text} 的机构", f"no body with {what[1]} {text!r}"
        )

    def row(self, row: Mapping[str, str], plan: Mapping[str, tuple[str, ...]], line: RowNo) -> _Row:
        """Return the row read, or raise _Refused."""
        adcode = self.division(_cell(row, plan, "adcode"), _cell(row, plan, "division"))
        category = self.category(_cell(row, plan, "category_code"), _cell(row, plan, "category"))
        org = self.organization({name: _cell(row, plan, name) for name in _ORG_FIELDS})
        return _Row(line, (adcode, category), org, _cell(row, plan, "note")[1], row)


def import_table(
    session: Session, path: Path, *, actor: Principal, dry_run: bool = False,
    replace: bool = False, shown: str | None = None,
) -> TableImportSummary:  # fmt: skip
    """Read a routing table sheet and add, change (and with ``replace`` retire) rules.

    ``shown`` names the file in locations and messages (an upload's own name, not its
    copy). Refuses (InvalidInputError) a file without a body column or without rows, and
    anyone but the admin (ForbiddenError), before anything is read or written.
    """
    actor.require("admin")
    shown = shown or str(path)
    summary = TableImportSummary(filename=shown, dry_run=dry_run, replace=replace)
    plan = column_plan(_check_header(path, shown), COLUMNS)
    resolver = _Resolver(session)
    rows: list[_Row] = []
    left: list[SheetLeft] = []
    for line, row, problem in iter_csv_rows(path, gbk=True, left=left):
        summary.read += 1
        if row is None:
            _refuse(summary, shown, line, "", problem or "无法读取 / unreadable", "", None)
            continue
        try:
            rows.append(resolver.row(row, plan, line))
        except _Refused as refused:
            _refuse(summary, shown, line, refused.column, refused.zh, refused.en, row)
    summary.warnings.extend(sheet.warning(shown) for sheet in left)
    if not summary.read:
        raise InvalidInputError(f"{shown} 中没有规则行", f"{shown} holds no rule rows")
    body = next((c for name in ("org", "org_id", "org_code") for c in plan[name]), "承办单位")
    kept, conflicted = _without_conflicts(rows, summary, shown, body)
    changes = _compare(session, kept, conflicted, summary)
    if dry_run or summary.refused_whole:
        return summary
    if changes.new or changes.old:
        note = (f"导入派单表 {Path(shown).name}（新增 {summary.added}，变更 {summary.changed}，"
                f"停用 {summary.retired}） / routing table import")  # fmt: skip
        created = routing_service.add_rules(
            session, actor=actor, note=note, retire=changes.old,
            rules=[RoutingRuleCreate(adcode=p.adcode, category_code=p.category_code,
                                     organization_id=p.organization_id, note=row.note)
                   for p, row in changes.new],
        )  # fmt: skip
        summary.version = routing_service.table_version(session)
        for (planned, _), rule in zip(changes.new, created, strict=True):
            planned.new_rule_id = rule.id
    summary.applied = True
    _record(session, summary, actor)
    return summary


def _check_header(path: Path, shown: str) -> list[str]:
    """Return the file's header; refuse a file with no column naming the handling body."""
    header = sheet_header(path, gbk=True)
    found = {h.strip().lower() for h in header}
    accepted = [h for name in _ORG_FIELDS for h in COLUMNS[name]]
    if any(h.lower() in found for h in accepted):
        return header
    raise InvalidInputError(
        f"{shown} 不是派单表：缺少承办单位列（需要其中之一：{'、'.join(accepted)}）；"
        f"文件中的列：{'、'.join(header) or '无'}",
        f"{shown} is not a routing table: no handling body column (one of: "
        f"{', '.join(accepted)}); the file's columns: {', '.join(header) or 'none'}",
    )


def _refuse(
    summary: TableImportSummary, shown: str, line: RowNo, column: str, zh: str, en: str,
    row: Mapping[str, str] | None,
) -> None:  # fmt: skip
    """Refuse a row: where (row and column), why (``en`` empty: ``zh`` is bilingual
    already), and its raw text — its line as it is in the file (a worksheet row's cells as
    a CSV line), as every sheet import keeps it."""
    where = f"第 {line} 行" + (f"「{column}」" if column else "")
    where_en = f"row {line}" + (f", column {column}" if column else "")
    text = f"{where}：{zh} / {where_en}: {en}" if en else f"{where} / {where_en}：{zh}"
    raw = line.raw or (orjson.dumps(dict(row)).decode()[:RAW_CHARS] if row is not None else None)
    summary.refused += 1
    summary.quarantines.append(QuarantineRecord(source=line.at(shown), reason=text, raw=raw))


def _without_conflicts(
    rows: list[_Row], summary: TableImportSummary, shown: str, column: str
) -> tuple[list[_Row], set[Key]]:
    """Return the rows to compare (one per key) and the keys refused for a conflict (named
    in the body ``column``)."""
    groups: dict[Key, list[_Row]] = {}
    for row in rows:
        groups.setdefault(row.key, []).append(row)
    kept: list[_Row] = []
    conflicted: set[Key] = set()
    for key, group in groups.items():
        bodies = {r.org.id for r in group}
        if len(bodies) == 1:
            kept.append(group[0])
            summary.repeated += len(group) - 1
            if len(group) > 1:
                rows_named = "、".join(str(r.line) for r in group)
                summary.warnings.append(
                    f"{shown}：第 {rows_named} 行是同一条规则，只计一次 / rows {rows_named} "
                    "are the same rule, counted once"
                )
            continue
        conflicted.add(key)
        for row in group:
            others = [o for o in group if o is not row]
            named = "、".join(f"第 {o.line} 行（{o.org.name}）" for o in others)
            named_en = ", ".join(f"row {o.line} ({o.org.name})" for o in others)
            _refuse(
                summary, shown, row.line, column,
                f"与{named}的区划和分类相同，承办单位不同（本行为{row.org.name}）",
                f"same division and category as {named_en} with another body "
                f"(this row: {row.org.name})",
                row.raw,
            )  # fmt: skip
    kept.sort(key=lambda r: (r.line.sheet, r.line.number))
    return kept, conflicted


@dataclass(slots=True)
class _Changes:
    new: list[tuple[PlannedRule, _Row]] = field(default_factory=list)  # to add
    old: list[RoutingRule] = field(default_factory=list)  # to retire (not replaced by key)


def _compare(
    session: Session, kept: list[_Row], conflicted: set[Key], summary: TableImportSummary
) -> _Changes:
    """Plan the file's changes against the rules in force; return what to add and retire."""
    in_force = sorted(routing_service.active_rules(session), key=lambda r: r.id)
    current: dict[Key, RoutingRule] = {}
    for rule in in_force:  # a rule of an old division code counts under its successor's
        current[(regions.current_adcode(rule.adcode) if rule.adcode else None,
                 rule.category_code)] = rule  # fmt: skip
    names = _org_names(session, {r.organization_id for r in in_force})
    changes = _Changes()
    named: set[int] = set()
    for row in kept:
        old = current.get(row.key)
        if old is not None:
            named.add(old.id)
            if old.organization_id == row.org.id and old.adcode == row.key[0]:
                summary.unchanged += 1
                continue
        planned = PlannedRule(
            action="add" if old is None else "change", adcode=row.key[0],
            category_code=row.key[1], organization_id=row.org.id, organization=row.org.name,
            row=str(row.line), rule_id=None if old is None else old.id,
            was_organization_id=None if old is None else old.organization_id,
            was_organization="" if old is None else names.get(old.organization_id, ""),
        )  # fmt: skip
        summary.plan.append(planned)
        changes.new.append((planned, row))
        if old is None:
            summary.added += 1
        else:
            summary.changed += 1
            if old.adcode != row.key[0]:  # an old division code: the key itself moves
                changes.old.append(old)
    if summary.replace:
        for rule in in_force:
            key = (regions.current_adcode(rule.adcode) if rule.adcode else None,
                   rule.category_code)  # fmt: skip
            if rule.id in named or key in conflicted:
                continue
            summary.retired += 1
            changes.old.append(rule)
            summary.plan.append(PlannedRule(
                action="retire", adcode=rule.adcode, category_code=rule.category_code,
                organization_id=rule.organization_id,
                organization=names.get(rule.organization_id, ""), rule_id=rule.id,
            ))  # fmt: skip
    return changes


def _org_names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(
        select(Organization.id, Organization.name).where(Organization.id.in_(ids))
    )
    return {int(i): str(n) for i, n in rows}


def _record(session: Session, summary: TableImportSummary, actor: Principal) -> None:
    """Store the import run, its refused rows and an audit entry ``routing-import``."""
    counts = {"read": summary.read, "imported": summary.added, "updated": summary.changed,
              "duplicates": summary.unchanged + summary.repeated,
              "quarantined": summary.refused}  # fmt: skip
    data = {k: v for k, v in summary.to_dict().items() if k not in ("plan", "refused_rows")}
    summary.run_id = record_sheet_run(
        session, fmt=FORMAT, shown=summary.filename, counts=counts,
        quarantines=summary.quarantines, actor=actor, action="routing-import", data=data,
    )  # fmt: skip
