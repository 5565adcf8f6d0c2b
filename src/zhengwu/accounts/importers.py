"""Importers of a deployment's own lists: organisations, account links, matrices.

Formats (written by ``zhengwu simulate`` and by hand or from spreadsheets):

- ``zhengwu-orgs``: CSV ``org_id, name, level, sector, adcode, parent_id`` and optionally
  ``public_phones`` (公开电话: the body's published numbers, separated by ``;`` ``、`` or a
  quoted ``,``; an empty cell removes them, a file without the column leaves them as they are)
- ``zhengwu-accounts``: CSV ``platform, uid, name, org_id, verified_type, created_at``
  (links platform accounts to organisations; a linked account is a government account)
- ``zhengwu-matrices``: JSON list of ``{"id", "name", "kind", "adcode", "sector",
  "lead": {"platform", "uid"}, "members": [{"platform", "uid", "role"}]}``

These write to the operational DB directly (they are *operational* importers); counts and
quarantine follow the same rules as the platform importers.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import delete, select, update
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
from zhengwu.db.base import utcnow
from zhengwu.errors import InvalidInputError
from zhengwu.ingest.files import iter_csv_rows, read_text
from zhengwu.ingest.registry import ImportItem, register
from zhengwu.platforms.records import QuarantineRecord
from zhengwu.platforms.timeparse import DateError, parse_time
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


def _assign(obj: Any, values: dict[str, Any]) -> str:
    changed = False
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return "updated" if changed else "duplicate"


def _touch_accounts_of(session: Session, organization_ids: list[int]) -> None:
    """Mark the accounts of renamed organisations changed, so search indexes the new name.

    An account's search document carries its organisation's name; the search refresh
    (:func:`zhengwu.search.indexer.refresh`) follows the accounts' ``updated_at``.
    """
    for start in range(0, len(organization_ids), 1000):
        chunk = organization_ids[start : start + 1000]
        session.execute(
            update(Account).where(Account.organization_id.in_(chunk))
            .values(updated_at=utcnow()).execution_options(synchronize_session=False)
        )  # fmt: skip


def _normalise_adcode(value: str) -> str | None:
    value = value.strip()
    if not value:
        return None
    if len(value) == 12 and value.endswith("000000"):
        value = value[:6]
    if len(value) != 6 or not value.isdigit():
        raise ValueError(f"区划代码应为 6 位数字 / adcode must be 6 digits: {value!r}")
    from zhengwu.regions import successor

    return successor(value)


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
        parents: list[tuple[Organization, str]] = []
        renamed: list[Organization] = []
        rows = list(iter_csv_rows(path))
        known = set(existing) | {r.get("org_id", "").strip() for _, r, _ in rows if r is not None}
        for line, row, problem in rows:
            result.read += 1
            source = f"{path}:{line}"
            if row is None:
                result.quarantine(source, problem or "unreadable row")
                continue
            missing = [
                c for c in ("org_id", "name", "level", "sector") if not row.get(c, "").strip()
            ]
            if missing:
                result.quarantine(source, f"缺少字段 / missing field(s): {', '.join(missing)}", row)
                continue
            level = row["level"].strip()
            if level not in LEVELS:
                result.quarantine(
                    source, f"层级无效 / invalid level {level!r} (expected {'/'.join(LEVELS)})", row
                )
                continue
            try:
                adcode = _normalise_adcode(row.get("adcode", ""))
            except ValueError as exc:
                result.quarantine(source, str(exc), row)
                continue
            parent_ext = row.get("parent_id", "").strip()
            if parent_ext and parent_ext not in known:
                result.quarantine(source, f"上级机构不存在 / unknown parent_id {parent_ext!r}", row)
                continue
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
                    reason = (
                        f"公开电话无效：{exc.message_zh} / invalid public_phones: {exc.message_en}"
                    )
                    result.quarantine(source, reason, row)
                    continue
            org = existing.get(row["org_id"].strip())
            if org is None:
                org = Organization(external_id=row["org_id"].strip(), **values)
                existing[org.external_id] = org
                if not dry_run:
                    session.add(org)
                _count(result, "imported")
            else:
                if not dry_run and org.name != values["name"]:
                    renamed.append(org)
                _count(result, _assign(org, values) if not dry_run else "duplicate")
            if parent_ext:
                parents.append((org, parent_ext))
        if not dry_run:
            session.flush()
            for org, parent_ext in parents:
                org.parent_id = existing[parent_ext].id
            session.flush()
            _touch_accounts_of(session, [o.id for o in renamed])
        return result


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
        for line, row, problem in iter_csv_rows(path):
            result.read += 1
            source = f"{path}:{line}"
            if row is None:
                result.quarantine(source, problem or "unreadable row")
                continue
            missing = [c for c in ("platform", "uid", "name") if not row.get(c, "").strip()]
            if missing:
                result.quarantine(source, f"缺少字段 / missing field(s): {', '.join(missing)}", row)
                continue
            org_ext = row.get("org_id", "").strip()
            org_id = orgs.get(org_ext) if org_ext else None
            if org_ext and org_id is None:
                result.quarantine(source, f"机构不存在 / unknown org_id {org_ext!r}", row)
                continue
            values: dict[str, Any] = {"name": row["name"].strip(), "organization_id": org_id}
            if org_id is not None:
                values["is_government"] = True
            vt = row.get("verified_type", "").strip()
            try:
                if vt:
                    values["verified_type"] = int(vt)
                if row.get("created_at", "").strip():
                    values["platform_created_at"] = parse_time(row["created_at"].strip())
            except (ValueError, DateError) as exc:
                result.quarantine(source, f"字段无效 / invalid value: {exc}", row)
                continue
            key = (row["platform"].strip(), row["uid"].strip())
            account = accounts.get(key)
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
