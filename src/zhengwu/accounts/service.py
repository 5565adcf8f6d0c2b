"""Account, organisation and matrix services (plain functions; the caller commits)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from zhengwu.accounts.models import Account, Matrix, MatrixMember, Organization
from zhengwu.errors import NotFoundError
from zhengwu.platforms.records import AccountRecord

# Record attribute → Account column, for the fields a platform payload can update.
_FIELDS = {
    "name": "name",
    "verified_type": "verified_type",
    "verified_reason": "verified_reason",
    "is_government": "is_government",
    "followers": "followers",
    "friends": "friends",
    "statuses": "statuses",
    "adcode": "adcode",
    "location": "location",
    "description": "description",
    "created_at": "platform_created_at",
}
_COLUMNS = tuple(_FIELDS.values())
# Keys per SELECT … IN (…) (SQLite allows 32,766 bound parameters) and rows per INSERT.
_CHUNK = 5000


@dataclass(slots=True)
class UpsertResult:
    """What an account upsert did, overall and for the primary (counted) records."""

    new: int = 0
    updated: int = 0
    primary_new: int = 0
    primary_updated: int = 0
    primary_unchanged: int = 0


_FIELD_VALUES = attrgetter(*_FIELDS)


def _values(rec: AccountRecord) -> dict[str, Any]:
    return {col: v for col, v in zip(_COLUMNS, _FIELD_VALUES(rec), strict=True) if v is not None}


def _load_existing(
    session: Session, keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], dict[str, Any]]:
    existing: dict[tuple[str, str], dict[str, Any]] = {}
    by_platform: dict[str, list[str]] = {}
    for platform, uid in keys:
        by_platform.setdefault(platform, []).append(uid)
    names = ("id", "uid", "organization_id", *_COLUMNS)
    cols = [getattr(Account, name) for name in names]
    for platform, uids in by_platform.items():
        for i in range(0, len(uids), _CHUNK):
            rows = session.execute(
                select(*cols).where(
                    Account.platform == platform, Account.uid.in_(uids[i : i + _CHUNK])
                )
            )
            for row in rows:
                state = dict(zip(names, row, strict=True))
                state["platform"] = platform
                existing[(platform, row[1])] = state
    return existing


def _differs(values: dict[str, Any], state: dict[str, Any]) -> bool:
    get = state.get
    return any(get(col) != val for col, val in values.items())


def upsert_records(
    session: Session,
    accounts: Sequence[AccountRecord],
    primary: Sequence[AccountRecord] = (),
    *,
    dry_run: bool = False,
) -> UpsertResult:
    """Insert or update accounts seen in platform payloads; classify the primary ones.

    ``accounts`` holds the last observation of every account of a chunk; ``primary`` the
    account records that stand for an input record (in input order), which are counted as
    new, updated or unchanged against the database and the earlier records of the chunk.
    An account linked to an organisation stays government whatever a payload says.
    """
    result = UpsertResult()
    if not accounts and not primary:
        return result
    keys = list({(a.platform, a.uid) for a in [*accounts, *primary]})
    existing = _load_existing(session, keys)
    # What the primary records have made of each account so far (copied on first change).
    state: dict[tuple[str, str], dict[str, Any]] = {}
    for rec in primary:
        key = (rec.platform, rec.uid)
        values = _values(rec)
        current = state.get(key) or existing.get(key)
        if current is None:
            result.primary_new += 1
            state[key] = values
        elif _differs(values, current):
            result.primary_updated += 1
            state[key] = {**current, **values}
        else:
            result.primary_unchanged += 1
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for rec in accounts:
        key = (rec.platform, rec.uid)
        values = _values(rec)
        old = existing.get(key)
        if old is None:
            inserts.append({"platform": rec.platform, "uid": rec.uid, **values})
        elif _differs(values, old):
            if old.get("organization_id") is not None:
                values["is_government"] = True
            updates.append({"id": old["id"], **values})
    result.new, result.updated = len(inserts), len(updates)
    if dry_run:
        return result
    _insert(session, inserts)
    _update(session, updates)
    return result


def _table() -> Table:
    table = Account.__table__
    assert isinstance(table, Table)
    return table


def _insert(session: Session, rows: list[dict[str, Any]]) -> None:
    # One executemany per chunk of rows, values converted by the columns' own SQLAlchemy
    # types: the ORM bulk path costs several times more per row, and this runs once per
    # new account of an import (hundreds of thousands for a national file). A field a
    # record lacks is NULL either way (none of them has a default).
    if not rows:
        return
    conn = session.connection()
    dialect = conn.dialect
    marker = {"qmark": "?", "format": "%s", "pyformat": "%s"}.get(dialect.paramstyle)
    table = _table()
    if marker is None:  # pragma: no cover - no such driver in use
        blank = dict.fromkeys(_COLUMNS)
        for i in range(0, len(rows), _CHUNK):
            session.execute(insert(table), [{**blank, **row} for row in rows[i : i + _CHUNK]])
        return
    names = ["platform", "uid", *_COLUMNS]
    # Columns with a default (status, first_seen, updated_at): computed once per call.
    defaults = {}
    for col in table.columns:
        if col.name not in names and col.default is not None and not col.primary_key:
            arg = getattr(col.default, "arg", None)
            defaults[col.name] = arg(None) if callable(arg) else arg
    names += defaults
    processors = [
        table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
    ]
    converted = [(i, proc) for i, proc in enumerate(processors) if proc is not None]
    fixed = [defaults.get(name) for name in names]
    sql = (
        f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join([marker] * len(names))})"
    )
    params = []
    for row in rows:
        values = fixed.copy()
        values[0], values[1] = row["platform"], row["uid"]
        for j, name in enumerate(_COLUMNS, start=2):
            values[j] = row.get(name)
        for i, proc in converted:
            if values[i] is not None:
                values[i] = proc(values[i])
        params.append(tuple(values))
    for i in range(0, len(params), _CHUNK):
        conn.exec_driver_sql(sql, params[i : i + _CHUNK])


def _update(session: Session, rows: list[dict[str, Any]]) -> None:
    # One UPDATE … WHERE id = ? executemany per set of changed columns (updated_at is
    # stamped by the column's onupdate, as the ORM would).
    table = _table()
    by_keys: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        by_keys.setdefault(tuple(sorted(k for k in row if k != "id")), []).append(row)
    for names, group in by_keys.items():
        stmt = (
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values({name: bindparam(f"b_{name}") for name in names})
        )
        params = [{f"b_{k}": v for k, v in row.items()} for row in group]
        for i in range(0, len(params), _CHUNK):
            session.execute(stmt, params[i : i + _CHUNK])


def get_account(session: Session, *, platform: str, uid: str) -> Account:
    """Return the account ``uid`` on ``platform`` or raise NotFoundError."""
    account = session.scalar(
        select(Account).where(Account.platform == platform, Account.uid == uid)
    )
    if account is None:
        raise NotFoundError(f"账号不存在：{platform}/{uid}", f"no such account: {platform}/{uid}")
    return account


def find_account(session: Session, ref: str) -> Account:
    """Return an account by ``platform:uid``, numeric id, or exact name."""
    if ":" in ref:
        platform, uid = ref.split(":", 1)
        return get_account(session, platform=platform, uid=uid)
    account = None
    if ref.isdigit():
        account = session.get(Account, int(ref))
    if account is None:
        account = session.scalar(select(Account).where(Account.name == ref).limit(1))
    if account is None:
        raise NotFoundError(f"账号不存在：{ref}", f"no such account: {ref}")
    return account


def matrix_members(session: Session, matrix: Matrix) -> list[tuple[Account, str]]:
    """Return the member accounts of ``matrix`` with their roles, lead first."""
    rows = session.execute(
        select(Account, MatrixMember.role)
        .join(MatrixMember, MatrixMember.account_id == Account.id)
        .where(MatrixMember.matrix_id == matrix.id)
    ).all()
    return sorted(((a, r) for a, r in rows), key=lambda ar: (ar[1] != "lead", ar[0].name))


def matrices_of(session: Session, account: Account) -> list[Matrix]:
    """Return every matrix ``account`` belongs to (the matrix list on its page)."""
    return list(
        session.scalars(
            select(Matrix)
            .join(MatrixMember, MatrixMember.matrix_id == Matrix.id)
            .where(MatrixMember.account_id == account.id)
            .order_by(Matrix.name)
        )
    )


def organization_by_external_id(session: Session, external_id: str) -> Organization | None:
    """Return the organisation with a deployment's own id, if any."""
    return session.scalar(select(Organization).where(Organization.external_id == external_id))
