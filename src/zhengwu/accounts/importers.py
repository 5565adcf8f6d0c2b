"""Importers of a deployment's own lists: organisations, account links, matrices.

Formats (written by ``zhengwu simulate`` and by hand or from spreadsheets):

- ``zhengwu-orgs``: CSV ``org_id, name, level, sector, adcode, parent_id`` and optionally
  ``public_phones`` (公开电话: the body's published numbers, separated by ``;`` ``、`` or a
  quoted ``,``; an empty cell removes them, a file without the column leaves them as they are).
  Central bodies (层级 中央) have no division: their adcode is empty, or ``000000`` (全国,
  stored as empty), which other levels may not use. A row is quarantined when its adcode
  names no division (old codes become their successor), when it is its own parent or its
  parent chain loops (within the file or through the organisations on file), when its
  org_id already came earlier in the file, or when its parent is neither on file nor
  imported — the reason of a child whose parent row was quarantined names that row's line,
  so one bad row does not hide as a cascade of "unknown parent".
- ``zhengwu-accounts``: CSV ``platform, uid, name, org_id, verified_type, created_at``
  (links platform accounts to organisations; a linked account is a government account)
- ``zhengwu-matrices``: JSON list of ``{"id", "name", "kind", "adcode", "sector",
  "lead": {"platform", "uid"}, "members": [{"platform", "uid", "role"}], "parent"}``.
  ``lead`` may be left out or null (a matrix set up before its lead account exists:
  未指定牵头账号; a member with role ``lead`` is then the lead), and ``members`` too.
  ``parent`` is the id or exact name of another matrix, in the file (any order) or on
  file (``#N`` for one without an id: its database number); null or "" puts it at the
  top, and an entry without the key keeps the parent it has. An unknown or ambiguous
  parent (a name of several matrices: the reason lists their ids) and a parent chain that
  loops are quarantined, like the organisations' ``parent_id``. So are an ``adcode`` that
  names no division (an old code is stored as its successor; ``000000`` or empty is no
  region) and an entry named like a sibling — an earlier entry or a matrix on file with
  the same parent (top level included) — instead of making two matrices nobody can tell
  apart, and an entry whose region is not inside its parent's (the check of
  ``access.check_region_inside``, as in the API), or whose change would leave a matrix on
  file below it outside.

These write to the operational DB directly (they are *operational* importers); counts and
quarantine follow the same rules as the platform importers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import orjson
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from zhengwu.accounts import service as accounts_service
from zhengwu.accounts.access import check_region_inside
from zhengwu.accounts.models import (
    LEVELS,
    MATRIX_KINDS,
    MEMBER_ROLES,
    Account,
    Matrix,
    MatrixMember,
    Organization,
)
from zhengwu.errors import InvalidInputError
from zhengwu.ingest.files import RAW_CHARS, iter_csv_rows, read_text
from zhengwu.ingest.registry import ImportItem, register
from zhengwu.ingest.workbook import RowNo
from zhengwu.platforms.records import QuarantineRecord
from zhengwu.platforms.timeparse import CHINA_TZ, DateError, parse_time
from zhengwu.privacy import split_phones
from zhengwu.storable import find_nul, nul_reason

# Where a list's row is, as its messages name it: a sheet's row (``12``, ``三月:12`` in a
# workbook of several sheets) or a matrix entry's position in its JSON file.
Line = int | RowNo


@dataclass(slots=True)
class OperationalResult:
    """Counts of an operational import (same identity as the platform imports)."""

    read: int = 0
    imported: int = 0
    updated: int = 0
    duplicates: int = 0
    quarantines: list[QuarantineRecord] = field(default_factory=list)
    # Parts of records that were kept (one bad published number of an organisation): in
    # the quarantine with their reason, but not counted as refused records.
    partial: list[QuarantineRecord] = field(default_factory=list)

    def quarantine(self, source: str, reason: str, raw: Any = None) -> None:
        """Record one refused input record."""
        self.quarantines.append(_record(source, reason, raw))

    def quarantine_part(self, source: str, reason: str, raw: Any = None) -> None:
        """Record one refused part of a record that was kept."""
        self.partial.append(_record(source, reason, raw))


def _record(source: str, reason: str, raw: Any) -> QuarantineRecord:
    return QuarantineRecord(
        source=source, reason=reason, raw=None if raw is None else str(raw)[:RAW_CHARS]
    )


def _count(result: OperationalResult, outcome: str) -> None:
    if outcome == "imported":
        result.imported += 1
    elif outcome == "updated":
        result.updated += 1
    else:
        result.duplicates += 1


def _readable_rows(
    path: Path, result: OperationalResult
) -> Iterator[tuple[RowNo, str, dict[str, str]]]:
    """Yield ``(line, "file:line", row)`` of a CSV (of an Excel list, ``file.xlsx!sheet:row``
    when it has several sheets); count every row, quarantine unreadable ones."""
    for line, row, problem in iter_csv_rows(path, gbk=True):
        result.read += 1
        if row is None:
            result.quarantine(line.at(path), problem or "unreadable row", line.raw)
            continue
        yield line, line.at(path), row


def _assign(obj: Any, values: dict[str, Any]) -> str:
    changed = False
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return "updated" if changed else "duplicate"


# GB/T 2260 has no code for the whole country; ``000000`` is what lists (and ``zhengwu
# simulate`` before) write for a central body, which belongs to no division.
NATIONAL_ADCODE = "000000"


def _normalise_adcode(value: str, level: str) -> str | None:
    value = value.strip()
    if not value:
        return None
    if value in (NATIONAL_ADCODE, NATIONAL_ADCODE * 2):
        if level == "中央":
            return None
        raise ValueError(
            f"区划代码 000000 表示全国，只用于中央机构（层级 {level}） / adcode 000000 means "
            f"national and is only for central bodies (level 中央, not {level})"
        )
    if len(value) == 12 and value.endswith("000000"):
        value = value[:6]
    if len(value) != 6 or not value.isdigit():
        raise ValueError(f"区划代码应为 6 位数字 / adcode must be 6 digits: {value!r}")
    from zhengwu import regions

    # A code that is six digits but names no division (999999) would later stop routing
    # derivation; an old code is accepted and stored as its successor.
    if regions.get(value) is None:
        raise ValueError(f"区划代码不存在 / unknown adcode (no such division): {value!r}")
    return regions.successor(value)


@dataclass(slots=True)
class _ListRow:
    """One row (organisation) or entry (matrix) of a list that passed the field checks."""

    source: str
    line: Line  # a sheet's row, or a matrix entry's position in the file
    raw: str | None  # its text as read (a sheet's row) or its JSON, for a quarantine record
    external_id: str
    parent: str | None
    values: dict[str, Any]
    refused_parts: list[str] = field(default_factory=list)  # reasons of refused numbers


@dataclass(slots=True)
class _MatrixRow(_ListRow):
    """A matrix entry: its members by account id, and its parent as written."""

    members: dict[int, str] = field(default_factory=dict)
    parent_ref: str | None = None
    keep_parent: bool = False  # no "parent" key: the parent on file stays


_Row = TypeVar("_Row", bound=_ListRow)


def _on_cycle(start: str, parents: dict[str, str | None]) -> bool:
    """Tell whether following the parents of ``start`` comes back to it."""
    seen = {start}
    current = parents.get(start)
    while current is not None:
        if current == start:
            return True
        if current in seen:
            return False  # a cycle further up, not through ``start``
        seen.add(current)
        current = parents.get(current)
    return False


@dataclass(frozen=True, slots=True)
class _Noun:
    """How the hierarchy checks name what they check (机构 / 矩阵) and its parent field."""

    zh: str
    field: str


_ORG = _Noun("机构", "parent_id")
_MATRIX = _Noun("矩阵", "parent")


def _missing_parent(parent: str, refused: dict[str, Line], noun: _Noun = _ORG) -> str:
    """Return why a row's parent is missing: quarantined on a line, or not on file at all."""
    if parent in refused:
        line = refused[parent]
        return (
            f"上级{noun.zh} {parent!r} 在第 {line} 行已被隔离 / {noun.field} {parent!r} was "
            f"quarantined (line {line}; fix that row first)"
        )
    return (
        f"上级{noun.zh}不存在或未导入 / unknown {noun.field} {parent!r} (not on file, nor imported)"
    )


def _check_hierarchy(
    accepted: dict[str, _Row],
    db_parents: dict[str, str | None],
    result: OperationalResult,
    refused_lines: dict[str, Line],
    noun: _Noun = _ORG,
) -> None:
    """Quarantine rows whose parent is missing or whose parent chain loops (in place).

    The file's rows override the parents stored for the same organisations, so a cycle
    is found within the file and against the database. Removing a row can leave its
    children without a parent, so the checks repeat until nothing changes; each removed
    row goes into ``refused_lines`` (org_id → line), so its children's reason names it.
    """
    while True:
        parents = {**db_parents, **{e: r.parent for e, r in accepted.items()}}
        refused = {
            ext: f"上级{noun.zh}形成循环 / {noun.field} forms a cycle through {ext!r}"
            for ext in accepted
            if _on_cycle(ext, parents)
        }
        if not refused:
            refused = {
                ext: _missing_parent(org.parent, refused_lines, noun)
                for ext, org in accepted.items()
                if org.parent is not None
                and org.parent not in accepted
                and org.parent not in db_parents
            }
        if not refused:
            return
        for ext, reason in refused.items():
            org = accepted.pop(ext)
            refused_lines.setdefault(ext, org.line)
            result.quarantine(org.source, reason, org.raw)


class _Operational:
    splittable = False
    operational = True
    name = ""
    description = ""

    def read(
        self, path: Path, *, byte_range: tuple[int, int] | None = None
    ) -> Iterator[ImportItem]:
        """Refuse streaming: operational lists are applied with :meth:`apply`."""
        raise InvalidInputError(
            f"{self.name} 需要直接写入业务库", f"{self.name} is applied to the operational DB"
        )


@register("zhengwu-orgs")
class OrgsImporter(_Operational):
    """Organisations (机构) from a CSV list."""

    name = "zhengwu-orgs"
    description = (
        "机构名录 CSV: org_id, name, level, sector, adcode, parent_id[, public_phones] / "
        "your list of organisations (CSV, the same columns)"
    )

    def apply(self, session: Session, path: Path, *, dry_run: bool = False) -> OperationalResult:
        """Insert or update every organisation of the list, then link parents."""
        result = OperationalResult()
        existing = {o.external_id: o for o in session.scalars(select(Organization))}
        by_id = {o.id: o.external_id for o in existing.values()}
        db_parents = {
            ext: by_id.get(o.parent_id) if o.parent_id is not None else None
            for ext, o in existing.items()
            if ext is not None
        }
        refused_lines: dict[str, Line] = {}
        accepted = self._check_rows(path, result, refused_lines)
        _check_hierarchy(accepted, db_parents, result, refused_lines)
        for ext, checked in accepted.items():
            for reason in checked.refused_parts:
                result.quarantine_part(checked.source, reason, checked.raw)
            org = existing.get(ext)
            if org is None:
                org = Organization(external_id=ext, **checked.values)
                existing[ext] = org
                if not dry_run:
                    session.add(org)
                _count(result, "imported")
            else:
                _count(result, _assign(org, checked.values) if not dry_run else "duplicate")
        if not dry_run:
            session.flush()
            for ext, checked in accepted.items():
                if checked.parent is not None:
                    existing[ext].parent_id = existing[checked.parent].id
            session.flush()  # a rename queues the body's accounts for search (0018)
        return result

    def _check_rows(
        self, path: Path, result: OperationalResult, refused_lines: dict[str, Line]
    ) -> dict[str, _ListRow]:
        """Return the rows whose own fields are valid, by org_id; quarantine the others.

        ``refused_lines`` gets the line of each org_id whose every row was refused.
        """
        accepted: dict[str, _ListRow] = {}
        first_line: dict[str, Line] = {}
        for line, source, row in _readable_rows(path, result):
            reason, checked = self._check_row(source, line, row)
            ext = row.get("org_id", "").strip()
            if reason is None and ext in first_line:
                reason = (
                    f"机构编号在本文件第 {first_line[ext]} 行已出现 / "
                    f"org_id {ext!r} repeated (first at line {first_line[ext]})"
                )
            if reason is not None or checked is None:
                result.quarantine(source, reason or "invalid row", line.raw)
                if ext and ext not in first_line:
                    refused_lines.setdefault(ext, line)
                continue
            first_line[ext] = line
            refused_lines.pop(ext, None)  # a later good row of the same org_id is the one kept
            accepted[ext] = checked
        return accepted

    @staticmethod
    def _check_row(
        source: str, line: RowNo, row: dict[str, str]
    ) -> tuple[str | None, _ListRow | None]:
        """Return ``(reason, None)`` for a row to quarantine, else ``(None, checked row)``."""
        missing = [c for c in ("org_id", "name", "level", "sector") if not row.get(c, "").strip()]
        if missing:
            return f"缺少字段 / missing field(s): {', '.join(missing)}", None
        level = row["level"].strip()
        if level not in LEVELS:
            return f"层级无效 / invalid level {level!r} (expected {'/'.join(LEVELS)})", None
        try:
            adcode = _normalise_adcode(row.get("adcode", ""), level)
        except ValueError as exc:
            return str(exc), None
        ext = row["org_id"].strip()
        parent = row.get("parent_id", "").strip() or None
        if parent == ext:
            return f"机构不能是自己的上级 / organisation {ext!r} is its own parent", None
        values: dict[str, Any] = {
            "name": row["name"].strip(),
            "level": level,
            "sector": row["sector"].strip(),
            "adcode": adcode,
        }
        refused: list[str] = []
        if "public_phones" in row:  # optional: a list without the column keeps them
            phones, bad = split_phones(row["public_phones"])
            refused = [
                f"公开电话无效：{exc.message_zh} / invalid public_phones: {exc.message_en}"
                + ("" if entry in exc.message_en else f" ({entry!r})")
                for entry, exc in bad
            ]
            # A cell whose every number was refused leaves the stored numbers as they are.
            if phones or not bad:
                values["public_phones"] = phones or None
        return None, _ListRow(source, line, line.raw, ext, parent, values, refused)


_DATE_ONLY = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")


def _same_day(text: str, stored: datetime | None) -> bool:
    """Tell whether ``text`` is a bare date (no time) on the local day of ``stored``.

    A list gives an account's creation as a date (``2013-09-29``), the platform as an
    exact time; the less precise value must not overwrite the more precise one it agrees
    with, or each import of one undoes the other.
    """
    if stored is None or not _DATE_ONLY.match(text):
        return False
    try:
        return parse_time(text).date() == stored.astimezone(CHINA_TZ).date()
    except DateError:
        return False


@register("zhengwu-accounts")
class AccountListImporter(_Operational):
    """Links of platform accounts to organisations from a CSV list."""

    name = "zhengwu-accounts"
    description = (
        "账号名录 CSV: platform, uid, name, org_id, verified_type, created_at / "
        "your list of account links (CSV or .xlsx, the same columns)"
    )

    def apply(self, session: Session, path: Path, *, dry_run: bool = False) -> OperationalResult:
        """Create or link every listed account."""
        result = OperationalResult()
        orgs = {o.external_id: o.id for o in session.scalars(select(Organization))}
        accounts = {(a.platform, a.uid): a for a in session.scalars(select(Account))}
        for line, source, row in _readable_rows(path, result):
            missing = [c for c in ("platform", "uid", "name") if not row.get(c, "").strip()]
            if missing:
                reason = f"缺少字段 / missing field(s): {', '.join(missing)}"
                result.quarantine(source, reason, line.raw)
                continue
            org_ext = row.get("org_id", "").strip()
            org_id = orgs.get(org_ext) if org_ext else None
            if org_ext and org_id is None:
                result.quarantine(source, f"机构不存在 / unknown org_id {org_ext!r}", line.raw)
                continue
            values: dict[str, Any] = {"name": row["name"].strip()}
            if "org_id" in row:  # a list without the column leaves the links as they are
                values["organization_id"] = org_id
            if org_id is not None:
                values["is_government"] = True
            vt = row.get("verified_type", "").strip()
            created = row.get("created_at", "").strip()
            try:
                if vt:
                    values["verified_type"] = int(vt)
                if created:
                    values["platform_created_at"] = parse_time(created)
            except (ValueError, DateError) as exc:
                result.quarantine(source, f"字段无效 / invalid value: {exc}", line.raw)
                continue
            key = (row["platform"].strip(), row["uid"].strip())
            account = accounts.get(key)
            if account is not None and _same_day(created, account.platform_created_at):
                # The list's date only, the platform's exact time on that day: keep the time.
                del values["platform_created_at"]
            if account is None:
                account = Account(platform=key[0], uid=key[1], **values)
                accounts[key] = account
                if not dry_run:
                    session.add(account)
                _count(result, "imported")
            else:
                _count(result, _assign(account, values) if not dry_run else "duplicate")
        if not dry_run:
            session.flush()
        return result


@register("zhengwu-matrices")
class MatrixListImporter(_Operational):
    """Matrices (lead, members, parent matrix) from a JSON list."""

    name = "zhengwu-matrices"
    description = (
        "矩阵 JSON: [{id, name, kind, adcode, sector, lead?, members[], parent?}] / "
        "your matrices as a JSON list of those objects"
    )

    def apply(self, session: Session, path: Path, *, dry_run: bool = False) -> OperationalResult:
        """Create or update every matrix, then link parents (resolved once all are read).

        A matrix naming an unknown account, an unknown or ambiguous parent, or a parent
        chain that loops is quarantined with its reason.
        """
        text, problem = read_text(path)
        if problem:
            raise InvalidInputError(f"{path}: {problem}", f"{path}: {problem}")
        try:
            data = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise InvalidInputError(f"不是有效的 JSON：{exc}", f"not valid JSON: {exc}") from None
        if not isinstance(data, list):
            raise InvalidInputError("矩阵文件应为 JSON 数组", "a matrix file must be a JSON list")
        result = OperationalResult()
        accounts = {(a.platform, a.uid): a.id for a in session.scalars(select(Account))}
        stored = list(session.scalars(select(Matrix).order_by(Matrix.id)))
        # A matrix on file is known by its external id, or by "#id" when it has none.
        by_key = {_matrix_key(m): m for m in stored}
        key_of = {m.id: _matrix_key(m) for m in stored}
        db_parents = {
            key: key_of.get(m.parent_id) if m.parent_id is not None else None
            for key, m in by_key.items()
        }
        refused_lines: dict[str, Line] = {}
        accepted = self._check_entries(path, data, accounts, result, refused_lines)
        self._resolve_parents(accepted, by_key, db_parents, result, refused_lines)
        self._check_sibling_names(accepted, by_key, db_parents, result, refused_lines)
        _check_hierarchy(accepted, db_parents, result, refused_lines, _MATRIX)
        # A refused entry can take a child's parent away or give it back its stored
        # region: check again until nothing changes.
        while _check_regions(accepted, by_key, db_parents, result, refused_lines):
            _check_hierarchy(accepted, db_parents, result, refused_lines, _MATRIX)
        if dry_run:
            for ext in accepted:
                _count(result, "duplicate" if ext in by_key else "imported")
            return result
        created = set()
        for ext, checked in accepted.items():
            if ext not in by_key:
                by_key[ext] = Matrix(external_id=ext, **checked.values)
                session.add(by_key[ext])
                created.add(ext)
        session.flush()
        for ext, checked in accepted.items():
            matrix = by_key[ext]
            parent_id = by_key[checked.parent].id if checked.parent is not None else None
            outcome = _assign(matrix, {**checked.values, "parent_id": parent_id})
            current = dict(
                session.execute(
                    select(MatrixMember.account_id, MatrixMember.role).where(
                        MatrixMember.matrix_id == matrix.id
                    )
                ).all()
            )
            if current != checked.members:
                outcome = "updated"
                session.execute(delete(MatrixMember).where(MatrixMember.matrix_id == matrix.id))
                session.add_all(
                    MatrixMember(matrix_id=matrix.id, account_id=a, role=r)
                    for a, r in checked.members.items()
                )
            _count(result, "imported" if ext in created else outcome)
        session.flush()
        return result

    def _check_entries(
        self, path: Path, data: list[Any], accounts: dict[tuple[str, str], int],
        result: OperationalResult, refused_lines: dict[str, Line],
    ) -> dict[str, _MatrixRow]:  # fmt: skip
        """Return the entries whose own fields are valid, by id; quarantine the others.

        ``refused_lines`` gets the position of each id and name of a refused entry, so a
        child naming it as parent says where it was refused.
        """
        accepted: dict[str, _MatrixRow] = {}
        platforms = accounts_service.valid_platforms({platform for platform, _ in accounts})
        for index, entry in enumerate(data, start=1):
            result.read += 1
            source = f"{path}:[{index}]"
            raw = orjson.dumps(entry).decode() if entry is not None else None
            reason = self._check(entry, accounts, platforms)
            adcode: str | None = None
            if reason is None:
                try:
                    adcode = _matrix_adcode(entry.get("adcode"))
                except ValueError as exc:
                    reason = str(exc)
            ext = str(entry["id"]) if reason is None else ""
            if reason is None and ext in accepted:
                first = accepted[ext].line
                reason = (
                    f"矩阵编号在本文件第 [{first}] 条已出现 / id {ext!r} repeated "
                    f"(first at entry [{first}])"
                )
            if reason is not None:
                result.quarantine(source, reason, raw)
                if isinstance(entry, dict):
                    for ref in (entry.get("id"), entry.get("name")):
                        if ref is not None and str(ref) not in accepted:
                            refused_lines.setdefault(str(ref), index)
                continue
            lead = entry.get("lead")
            members = {
                accounts[(m["platform"], str(m["uid"]))]: m.get("role", "member")
                for m in entry.get("members") or []
            }
            lead_id = accounts[(lead["platform"], str(lead["uid"]))] if lead else None
            if lead_id is None:  # no lead given: the member listed as lead, if any
                leads = [a for a, r in members.items() if r == "lead"]
                lead_id = leads[0] if leads else None
            else:
                members.setdefault(lead_id, "lead")
            values = {
                "name": entry["name"],
                "kind": entry["kind"],
                "adcode": adcode,
                "sector": entry.get("sector"),
                "lead_account_id": lead_id,
            }
            parent = entry.get("parent")
            accepted[ext] = _MatrixRow(
                source, index, raw, ext, None, values, members=members,
                parent_ref=None if parent is None else str(parent).strip() or None,
                keep_parent="parent" not in entry,
            )  # fmt: skip
        return accepted

    @staticmethod
    def _resolve_parents(
        accepted: dict[str, _MatrixRow], by_key: dict[str, Matrix],
        db_parents: dict[str, str | None], result: OperationalResult,
        refused_lines: dict[str, Line],
    ) -> None:  # fmt: skip
        """Turn each entry's parent (an id or an exact name) into a matrix key, in place.

        Ids come first; a name must name one matrix (the file's entries, and those on file
        that the file does not list). An ambiguous name is quarantined with its candidates;
        an unknown one is left for the hierarchy check to report.
        """
        names: dict[str, list[str]] = {}
        for key, matrix in by_key.items():
            if key not in accepted:
                names.setdefault(matrix.name, []).append(key)
        for ext, checked in accepted.items():
            names.setdefault(checked.values["name"], []).append(ext)
        for ext, checked in list(accepted.items()):
            if checked.keep_parent:
                checked.parent = db_parents.get(ext)
                continue
            ref = checked.parent_ref
            if ref is None or ref in accepted or ref in by_key:
                checked.parent = ref
                continue
            found = names.get(ref, [])
            if len(found) > 1:
                accepted.pop(ext)
                refused_lines.setdefault(ext, checked.line)
                labels = ", ".join(found)
                result.quarantine(
                    checked.source,
                    f"上级矩阵名称「{ref}」不唯一，请改用编号：{labels} / parent {ref!r} names "
                    f"several matrices, give its id: {labels}",
                    checked.raw,
                )
                continue
            checked.parent = found[0] if found else ref

    @staticmethod
    def _check_sibling_names(
        accepted: dict[str, _MatrixRow], by_key: dict[str, Matrix],
        db_parents: dict[str, str | None], result: OperationalResult,
        refused_lines: dict[str, Line],
    ) -> None:  # fmt: skip
        """Quarantine an entry named like a sibling (same parent, top level included).

        The sibling is an earlier entry of the file or a matrix on file that the file does
        not list; two matrices of one name under one parent could not be told apart (the
        console refuses them too), and merging them would lose one.
        """
        taken: dict[tuple[str | None, str], str] = {}
        for key, matrix in by_key.items():
            if key not in accepted:
                taken.setdefault((db_parents.get(key), matrix.name), f"{key}（库中 / on file）")
        for ext, checked in list(accepted.items()):
            name = checked.values["name"]
            holder = taken.setdefault((checked.parent, name), f"[{checked.line}] {ext}")
            if holder == f"[{checked.line}] {ext}":
                continue
            accepted.pop(ext)
            refused_lines.setdefault(ext, checked.line)
            result.quarantine(
                checked.source,
                f"同一上级矩阵下已有同名矩阵「{name}」：{holder}，请改名或改上级 / a sibling "
                f"matrix (same parent) is already named {name!r}: {holder}; rename one or "
                f"give it another parent",
                checked.raw,
            )

    @staticmethod
    def _check(
        entry: Any, accounts: dict[tuple[str, str], int], platforms: list[str]
    ) -> str | None:
        if not isinstance(entry, dict):
            return "矩阵条目不是对象 / matrix entry is not an object"
        if (field := find_nul(entry)) is not None:  # PostgreSQL cannot store it: nobody does
            return nul_reason(field)
        missing = [k for k in ("id", "name", "kind") if k not in entry]
        if missing:
            return f"缺少字段 / missing field(s): {', '.join(missing)}"
        if entry["kind"] not in MATRIX_KINDS:
            return f"类型无效 / invalid kind {entry['kind']!r} (regional|vertical)"
        members = entry.get("members") or []
        lead = entry.get("lead")
        refs = (
            [*([lead] if lead is not None else []), *members] if isinstance(members, list) else None
        )
        if refs is None or not all(
            isinstance(r, dict) and "platform" in r and "uid" in r for r in refs
        ):
            return "lead/members 应为 {platform, uid} 对象 / lead and members must be {platform, uid} objects"
        parent = entry.get("parent")
        if parent is not None and not isinstance(parent, str | int):
            return "上级矩阵应为编号或名称 / parent must be a matrix id or name"
        bad_roles = [r.get("role") for r in members if r.get("role", "member") not in MEMBER_ROLES]
        if bad_roles:
            return f"成员角色无效 / invalid member role(s): {bad_roles}"
        if lead is None and sum(1 for r in members if r.get("role") == "lead") > 1:
            return "牵头账号只能有一个 / only one member can be the lead"
        strange = next((r["platform"] for r in refs if r["platform"] not in platforms), None)
        if strange is not None:
            return accounts_service.unknown_platform(str(strange), platforms)
        unknown = [
            f"{r['platform']}:{r['uid']}"
            for r in refs
            if (r["platform"], str(r["uid"])) not in accounts
        ]
        if unknown:
            return f"账号不存在 / unknown account(s): {', '.join(unknown[:5])}" + (
                " …" if len(unknown) > 5 else ""
            )
        return None


def _region_of(
    key: str | None, parents: dict[str, str | None], codes: dict[str, str | None]
) -> str | None:
    """Return the region of matrix ``key``: its adcode, else its nearest ancestor's (None)."""
    seen: set[str] = set()
    while key is not None and key not in seen:
        seen.add(key)
        if codes.get(key):
            return codes[key]
        key = parents.get(key)
    return None


def _check_regions(
    accepted: dict[str, _MatrixRow], by_key: dict[str, Matrix],
    db_parents: dict[str, str | None], result: OperationalResult,
    refused_lines: dict[str, Line],
) -> bool:  # fmt: skip
    """Quarantine entries that put a region outside its parent's; return whether any was.

    The tree checked is the one the import would leave: the file's entries over the
    matrices on file. An entry whose adcode is not inside its parent's region (the
    parent's adcode or its nearest ancestor's) is refused with the reason of
    :func:`zhengwu.accounts.access.check_region_inside`, the check the API and the console
    use. So is an entry whose new adcode or parent would leave a matrix on file below it
    (one the file does not list) outside — unless that matrix was already outside before
    the import, which is no fault of the entry.
    """
    stored_codes = {key: m.adcode for key, m in by_key.items()}
    names = {key: m.name for key, m in by_key.items()}
    parents = {**db_parents, **{e: r.parent for e, r in accepted.items()}}
    codes = {**stored_codes, **{e: r.values["adcode"] for e, r in accepted.items()}}
    names.update({e: r.values["name"] for e, r in accepted.items()})
    refused: dict[str, str] = {}
    for ext, checked in accepted.items():
        parent = checked.parent
        if parent is None:
            continue
        try:
            check_region_inside(
                name=checked.values["name"], adcode=checked.values["adcode"],
                parent_name=names.get(parent, parent),
                parent_region=_region_of(parent, parents, codes),
            )  # fmt: skip
        except InvalidInputError as exc:
            refused[ext] = f"{exc.message_zh} / {exc.message_en}"
    for key, matrix in by_key.items():
        parent = parents.get(key)
        if key in accepted or not matrix.adcode or parent is None:
            continue
        try:
            check_region_inside(name=matrix.name, adcode=matrix.adcode, parent_name=names[parent],
                                parent_region=_region_of(parent, parents, codes))  # fmt: skip
        except InvalidInputError as exc:
            try:  # outside before the import too: not this file's doing
                check_region_inside(
                    name=matrix.name, adcode=matrix.adcode, parent_name=names[parent],
                    parent_region=_region_of(parent, db_parents, stored_codes),
                )  # fmt: skip
            except InvalidInputError:
                continue
            above: str | None = parent  # the nearest entry of the file above made the change
            while above is not None and above not in accepted:
                above = parents.get(above)
            if above is not None and above not in refused:
                refused[above] = (
                    f"库中的下级矩阵将越出上级区域：{exc.message_zh}，请一并修改它 / a matrix "
                    f"on file below this one would leave its parent's region: "
                    f"{exc.message_en}; change it too"
                )
    for ext, reason in refused.items():
        checked = accepted.pop(ext)
        refused_lines.setdefault(ext, checked.line)
        result.quarantine(checked.source, reason, checked.raw)
    return bool(refused)


def _matrix_adcode(value: Any) -> str | None:
    """Return a matrix entry's adcode checked (its successor when old), or None.

    Empty, null or ``000000`` (全国: a national vertical matrix) is no region; anything
    else must name a division — raises ValueError with the bilingual reason otherwise.
    """
    if value is None:
        return None
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise ValueError(f"区划代码应为 6 位数字 / adcode must be 6 digits: {value!r}")
    return _normalise_adcode(str(value), "中央")


def _matrix_key(matrix: Matrix) -> str:
    return matrix.external_id if matrix.external_id is not None else f"#{matrix.id}"
