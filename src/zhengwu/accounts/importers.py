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
  "lead": {"platform", "uid"}, "members": [{"platform", "uid", "role"}]}``

These write to the operational DB directly (they are *operational* importers); counts and
quarantine follow the same rules as the platform importers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

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
from zhengwu.ingest.files import iter_csv_rows, read_text
from zhengwu.ingest.registry import ImportItem, register
from zhengwu.platforms.records import QuarantineRecord
from zhengwu.platforms.timeparse import CHINA_TZ, DateError, parse_time
from zhengwu.privacy import PhoneError, parse_phones


@dataclass(slots=True)
class OperationalResult:
    """Counts of an operational import (same identity as the platform imports)."""

    read: int = 0
    imported: int = 0
    updated: int = 0
    duplicates: int = 0
    quarantines: list[QuarantineRecord] = field(default_factory=list)

    def quarantine(self, source: str, reason: str, raw: Any = None) -> None:
        """Record one refused input record."""
        self.quarantines.append(
            QuarantineRecord(
                source=source, reason=reason, raw=None if raw is None else str(raw)[:500]
            )
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
) -> Iterator[tuple[int, str, dict[str, str]]]:
    """Yield ``(line, "file:line", row)`` of a CSV; count every row, quarantine unreadable ones."""
    for line, row, problem in iter_csv_rows(path):
        result.read += 1
        if row is None:
            result.quarantine(f"{path}:{line}", problem or "unreadable row")
            continue
        yield line, f"{path}:{line}", row


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
class _OrgRow:
    """One organisation row that passed the field checks."""

    source: str
    line: int
    row: dict[str, str]
    external_id: str
    parent: str | None
    values: dict[str, Any]


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


def _missing_parent(parent: str, refused: dict[str, int]) -> str:
    """Return why a row's parent is missing: quarantined on a line, or not on file at all."""
    if parent in refused:
        line = refused[parent]
        return (
            f"上级机构 {parent!r} 在第 {line} 行已被隔离 / parent_id {parent!r} was "
            f"quarantined (line {line}; fix that row first)"
        )
    return f"上级机构不存在或未导入 / unknown parent_id {parent!r} (not on file, nor imported)"


def _check_hierarchy(
    accepted: dict[str, _OrgRow],
    db_parents: dict[str, str | None],
    result: OperationalResult,
    refused_lines: dict[str, int],
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
            ext: f"上级机构形成循环 / parent_id forms a cycle through {ext!r}"
            for ext in accepted
            if _on_cycle(ext, parents)
        }
        if not refused:
            refused = {
                ext: _missing_parent(org.parent, refused_lines)
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
            result.quarantine(org.source, reason, org.row)


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
    description = "机构名录 CSV: org_id, name, level, sector, adcode, parent_id[, public_phones]"

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
        refused_lines: dict[str, int] = {}
        accepted = self._check_rows(path, result, refused_lines)
        _check_hierarchy(accepted, db_parents, result, refused_lines)
        for ext, checked in accepted.items():
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
        self, path: Path, result: OperationalResult, refused_lines: dict[str, int]
    ) -> dict[str, _OrgRow]:
        """Return the rows whose own fields are valid, by org_id; quarantine the others.

        ``refused_lines`` gets the line of each org_id whose every row was refused.
        """
        accepted: dict[str, _OrgRow] = {}
        first_line: dict[str, int] = {}
        for line, source, row in _readable_rows(path, result):
            reason, checked = self._check_row(source, line, row)
            ext = row.get("org_id", "").strip()
            if reason is None and ext in first_line:
                reason = (
                    f"机构编号在本文件第 {first_line[ext]} 行已出现 / "
                    f"org_id {ext!r} repeated (first at line {first_line[ext]})"
                )
            if reason is not None or checked is None:
                result.quarantine(source, reason or "invalid row", row)
                if ext and ext not in first_line:
                    refused_lines.setdefault(ext, line)
                continue
            first_line[ext] = line
            refused_lines.pop(ext, None)  # a later good row of the same org_id is the one kept
            accepted[ext] = checked
        return accepted

    @staticmethod
    def _check_row(
        source: str, line: int, row: dict[str, str]
    ) -> tuple[str | None, _OrgRow | None]:
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
        if "public_phones" in row:  # optional: a list without the column keeps them
            try:
                values["public_phones"] = parse_phones(row["public_phones"]) or None
            except PhoneError as exc:
                return (
                    f"公开电话无效：{exc.message_zh} / invalid public_phones: {exc.message_en}",
                    None,
                )
        return None, _OrgRow(source, line, row, ext, parent, values)


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
    description = "账号名录 CSV: platform, uid, name, org_id, verified_type, created_at"

    def apply(self, session: Session, path: Path, *, dry_run: bool = False) -> OperationalResult:
        """Create or link every listed account."""
        result = OperationalResult()
        orgs = {o.external_id: o.id for o in session.scalars(select(Organization))}
        accounts = {(a.platform, a.uid): a for a in session.scalars(select(Account))}
        for _, source, row in _readable_rows(path, result):
            missing = [c for c in ("platform", "uid", "name") if not row.get(c, "").strip()]
            if missing:
                result.quarantine(source, f"缺少字段 / missing field(s): {', '.join(missing)}", row)
                continue
            org_ext = row.get("org_id", "").strip()
            org_id = orgs.get(org_ext) if org_ext else None
            if org_ext and org_id is None:
                result.quarantine(source, f"机构不存在 / unknown org_id {org_ext!r}", row)
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
                result.quarantine(source, f"字段无效 / invalid value: {exc}", row)
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
    """Matrices (lead + members) from a JSON list."""

    name = "zhengwu-matrices"
    description = "矩阵 JSON: [{id, name, kind, adcode, sector, lead, members[]}]"

    def apply(self, session: Session, path: Path, *, dry_run: bool = False) -> OperationalResult:
        """Create or update every matrix; a matrix naming an unknown account is quarantined."""
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
        matrices = {m.external_id: m for m in session.scalars(select(Matrix))}
        for index, entry in enumerate(data, start=1):
            result.read += 1
            source = f"{path}:[{index}]"
            reason = self._check(entry, accounts)
            if reason:
                result.quarantine(
                    source, reason, orjson.dumps(entry).decode() if entry is not None else None
                )
                continue
            lead_id = accounts[(entry["lead"]["platform"], str(entry["lead"]["uid"]))]
            values = {
                "name": entry["name"],
                "kind": entry["kind"],
                "adcode": entry.get("adcode"),
                "sector": entry.get("sector"),
                "lead_account_id": lead_id,
            }
            matrix = matrices.get(str(entry["id"]))
            members = {
                accounts[(m["platform"], str(m["uid"]))]: m.get("role", "member")
                for m in entry["members"]
            }
            members.setdefault(lead_id, "lead")
            if dry_run:
                _count(result, "duplicate" if matrix else "imported")
                continue
            if matrix is None:
                matrix = Matrix(external_id=str(entry["id"]), **values)
                session.add(matrix)
                session.flush()
                matrices[matrix.external_id] = matrix
                outcome = "imported"
            else:
                outcome = _assign(matrix, values)
                rows = session.execute(
                    select(MatrixMember.account_id, MatrixMember.role).where(
                        MatrixMember.matrix_id == matrix.id
                    )
                ).all()
                current = dict(rows)
                if current != members:
                    outcome = "updated"
                    session.execute(delete(MatrixMember).where(MatrixMember.matrix_id == matrix.id))
                else:
                    _count(result, outcome)
                    continue
            session.add_all(
                MatrixMember(matrix_id=matrix.id, account_id=a, role=r) for a, r in members.items()
            )
            _count(result, outcome)
        if not dry_run:
            session.flush()
        return result

    @staticmethod
    def _check(entry: Any, accounts: dict[tuple[str, str], int]) -> str | None:
        if not isinstance(entry, dict):
            return "矩阵条目不是对象 / matrix entry is not an object"
        missing = [k for k in ("id", "name", "kind", "lead", "members") if k not in entry]
        if missing:
            return f"缺少字段 / missing field(s): {', '.join(missing)}"
        if entry["kind"] not in MATRIX_KINDS:
            return f"类型无效 / invalid kind {entry['kind']!r} (regional|vertical)"
        refs = [entry["lead"], *entry["members"]] if isinstance(entry["members"], list) else None
        if refs is None or not all(
            isinstance(r, dict) and "platform" in r and "uid" in r for r in refs
        ):
            return "lead/members 应为 {platform, uid} 对象 / lead and members must be {platform, uid} objects"
        bad_roles = [
            r.get("role") for r in entry["members"] if r.get("role", "member") not in MEMBER_ROLES
        ]
        if bad_roles:
            return f"成员角色无效 / invalid member role(s): {bad_roles}"
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
