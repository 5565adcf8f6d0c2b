"""Account, organisation and matrix services (plain functions; the caller commits)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    bindparam,
    case,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhengwu import regions
from zhengwu.accounts import access
from zhengwu.accounts.member_search import (
    name_or_uid_contains,
    planned_for_their_values,
    short_grams_contain,
    uses_short_grams,
)
from zhengwu.accounts.models import (
    MATRIX_KINDS,
    MEMBER_ROLES,
    Account,
    Matrix,
    MatrixMember,
    Organization,
)
from zhengwu.audit import service as audit
from zhengwu.auth.principal import Principal
from zhengwu.db.engine import rolled_back_if
from zhengwu.errors import ConflictError, InvalidInputError, NotFoundError
from zhengwu.ingest.files import KeptLines, workbook_lines
from zhengwu.ingest.runs import record_sheet_run
from zhengwu.ingest.workbook import RowNo, SheetLeft, is_workbook, refuse_old_excel
from zhengwu.platforms.records import AccountRecord, QuarantineRecord
from zhengwu.storable import find_nul, nul_reason, shown

if TYPE_CHECKING:  # not imported at run time: the service desk is a heavy import
    from sqlalchemy.orm import InstrumentedAttribute

    from zhengwu.servicedesk.upload import UploadRules

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
# Placeholder of the driver's own parameter style (exec_driver_sql), by paramstyle.
_MARKERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}


def _values(rec: AccountRecord) -> dict[str, Any]:
    return _known(rec, _FIELD_VALUES(rec))


def _known(rec: AccountRecord, fields: tuple[Any, ...]) -> dict[str, Any]:
    """Return the columns a record knows: its fields that are not None, as an update sets them.

    ``is_government`` False is not known when the record has no ``verified_type``: a
    crawler's post file names its account by its folder only (weibo/平安郑州/…), a
    repost's root author comes with a name only; such a record does not make a
    government account stored from its profile (verified_type 1) non-government. An empty
    name (a Weibo-COV user-pool row whose ``nick_name`` is blank) does not erase a stored one.
    """
    values = {col: v for col, v in zip(_COLUMNS, fields, strict=True) if v is not None}
    if rec.verified_type is None and not rec.is_government:
        del values["is_government"]
    if not rec.name.strip():
        values.pop("name", None)
    return values


# What _load_existing returns per account: id, organization_id, then the _COLUMNS.
_Stored = tuple[Any, ...]


def _load_existing(
    session: Session, keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], _Stored]:
    """Return the stored row (id, organization_id, *_COLUMNS) of each account ``keys`` name.

    Driver-level SQL with the columns' own result conversions: SQLAlchemy's expanding
    ``IN`` and its row objects cost more per key than the database spends finding the
    row. PostgreSQL takes the uids of a platform as one array (``= ANY``); other
    databases a chunk of ``IN`` at a time.
    """
    existing: dict[tuple[str, str], _Stored] = {}
    by_platform: dict[str, list[str]] = {}
    for platform, uid in keys:
        by_platform.setdefault(platform, []).append(uid)
    names = ("uid", "id", "organization_id", *_COLUMNS)
    conn = session.connection()
    dialect = conn.dialect
    marker = _MARKERS.get(dialect.paramstyle)
    table = _table()
    processors = [
        (i, proc)
        for i, name in enumerate(names)
        if (proc := table.c[name].type.dialect_impl(dialect).result_processor(dialect, None))
        is not None
    ]
    head = f"SELECT {', '.join(names)} FROM {table.name} WHERE platform = {marker} AND uid "
    for platform, uids in by_platform.items():
        if marker is None:  # pragma: no cover - no such driver in use
            cols = [table.c[name] for name in names]
            rows: list[Any] = []
            for i in range(0, len(uids), _CHUNK):
                part = uids[i : i + _CHUNK]
                query = select(*cols).where(table.c.platform == platform, table.c.uid.in_(part))
                rows += conn.execute(query).all()
        elif dialect.name == "postgresql":
            rows = _fetch(conn, f"{head}= ANY({marker})", (platform, uids))
        else:
            rows = []
            for i in range(0, len(uids), _CHUNK):
                part = uids[i : i + _CHUNK]
                sql = f"{head}IN ({', '.join([marker] * len(part))})"
                rows += _fetch(conn, sql, (platform, *part))
        for row in rows:
            if processors:
                row = list(row)
                for i, proc in processors:
                    row[i] = proc(row[i])
            existing[(platform, row[0])] = tuple(row[1:])
    return existing


def _fetch(conn: Any, sql: str, params: tuple[Any, ...]) -> list[Any]:
    """Run one query on the session's DBAPI connection and return its rows as tuples."""
    cursor = conn.connection.cursor()
    try:
        cursor.execute(sql, params)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def _state(stored: _Stored) -> dict[str, Any]:
    """Return a stored row as the column → value state the primary records are counted on."""
    return dict(zip(_COLUMNS, stored[2:], strict=True))


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
    if not accounts and not primary:
        return UpsertResult()
    keys = list({(a.platform, a.uid) for a in [*accounts, *primary]})
    with _sqlite_page_cache(session, len(keys)):
        return _upsert(session, keys, accounts, primary, dry_run=dry_run)


# SQLite's default page cache (2 MB) holds a small part of the accounts table and its
# indexes, so a large upsert reads the same pages from the OS again and again; 64 MB for
# its duration saves ~15 % of its CPU (142,043 new accounts of a national import).
SQLITE_CACHE_KIB = 65_536
SQLITE_CACHE_MIN_KEYS = 10_000


@contextmanager
def _sqlite_page_cache(session: Session, keys: int) -> Iterator[None]:
    """Give SQLite a larger page cache while a large upsert runs, then the old size back."""
    conn = session.connection()
    if conn.dialect.name != "sqlite" or keys < SQLITE_CACHE_MIN_KEYS:
        yield
        return
    old = int(conn.exec_driver_sql("PRAGMA cache_size").scalar_one())
    conn.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size = {old}")


def _upsert(
    session: Session,
    keys: list[tuple[str, str]],
    accounts: Sequence[AccountRecord],
    primary: Sequence[AccountRecord],
    *,
    dry_run: bool,
) -> UpsertResult:
    result = UpsertResult()
    existing = _load_existing(session, keys)
    # What the primary records have made of each account so far (copied on first change).
    state: dict[tuple[str, str], dict[str, Any]] = {}
    for rec in primary:
        key = (rec.platform, rec.uid)
        values = _values(rec)
        stored = existing.get(key)
        if stored is not None and stored[1] is not None and "is_government" in values:
            values["is_government"] = True  # linked to an organisation: see below
        current = state.get(key)
        if current is None and stored is not None:
            current = _state(stored)
        if current is None:
            result.primary_new += 1
            state[key] = values
        elif _differs(values, current):
            result.primary_updated += 1
            state[key] = {**current, **values}
        else:
            result.primary_unchanged += 1
    inserts: list[AccountRecord] = []
    updates: list[dict[str, Any]] = []
    for rec in accounts:
        old = existing.get((rec.platform, rec.uid))
        if old is None:
            inserts.append(rec)
            continue
        fields = _FIELD_VALUES(rec)
        if fields == old[2:]:
            continue  # every field as stored (one comparison in C; the common re-import)
        values = _known(rec, fields)
        if old[1] is not None and "is_government" in values:
            # Linked to an organisation: government whatever the payload says. Set before
            # comparing, or a payload saying "not government" counts as a change that
            # changes nothing, on every import of it.
            values["is_government"] = True
        if _differs(values, _state(old)):
            updates.append({"id": old[0], **values})
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


def _insert(session: Session, records: list[AccountRecord]) -> None:
    # Rows go straight from the records to the driver, values converted by the columns'
    # own SQLAlchemy types: the ORM bulk path costs several times more per row, and this
    # runs once per new account of an import (hundreds of thousands for a national file).
    # PostgreSQL takes them by COPY, others by one executemany per chunk. A field a
    # record lacks is NULL either way (none of them has a default).
    if not records:
        return
    conn = session.connection()
    dialect = conn.dialect
    marker = _MARKERS.get(dialect.paramstyle)
    table = _table()
    if marker is None:  # pragma: no cover - no such driver in use
        rows = [
            {
                "platform": r.platform,
                "uid": r.uid,
                **dict(zip(_COLUMNS, _FIELD_VALUES(r), strict=True)),
            }
            for r in records
        ]
        for i in range(0, len(rows), _CHUNK):
            session.execute(insert(table), rows[i : i + _CHUNK])
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
    # The defaults are the same for every row: converted once, not once per row.
    fixed = [defaults.get(name) for name in names]
    for i, proc in enumerate(processors):
        if proc is not None and fixed[i] is not None:
            fixed[i] = proc(fixed[i])
    width = 2 + len(_COLUMNS)
    converted = [(i, proc) for i, proc in enumerate(processors[:width]) if proc is not None]
    tail = tuple(fixed[width:])
    params = []
    get_fields = _FIELD_VALUES
    for rec in records:
        values = [rec.platform, rec.uid, *get_fields(rec)]
        for i, proc in converted:
            if values[i] is not None:
                values[i] = proc(values[i])
        params.append((*values, *tail))
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        _copy_rows(conn, table.name, names, params)
        return
    sql = (
        f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join([marker] * len(names))})"
    )
    for i in range(0, len(params), _CHUNK):
        conn.exec_driver_sql(sql, params[i : i + _CHUNK])


def _copy_rows(conn: Any, table: str, names: list[str], rows: list[tuple[Any, ...]]) -> None:
    """Insert ``rows`` by COPY (PostgreSQL with psycopg), in the session's transaction."""
    raw = conn.connection.driver_connection
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)


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


def unregistered(session: Session, keys: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Return the ``(platform, uid)`` pairs of ``keys`` that no account row has, sorted.

    Posts whose author is not registered are stored but never scored: importers and index
    runs say so (an article list names no account, so nothing registers it).
    """
    by_platform: dict[str, set[str]] = {}
    for platform, uid in keys:
        by_platform.setdefault(platform, set()).add(uid)
    missing: list[tuple[str, str]] = []
    for platform, uids in sorted(by_platform.items()):
        wanted = sorted(uids)
        found: set[str] = set()
        for i in range(0, len(wanted), _CHUNK):
            found.update(
                session.scalars(
                    select(Account.uid).where(
                        Account.platform == platform, Account.uid.in_(wanted[i : i + _CHUNK])
                    )
                )
            )
        missing.extend((platform, uid) for uid in wanted if uid not in found)
    return missing


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
    """Return every member account of ``matrix`` with its role, lead first (small matrices:
    the pages use :func:`member_page`)."""
    return member_page(session, matrix.id, limit=-1)[1]


def filter_members(
    matrix_id: int, *, q: str | None = None, role: str | None = None
) -> Select[Account, str]:
    """Return a SELECT of (account, role) of the members of ``matrix_id`` matching the filters.

    ``q`` is a case-insensitive substring of the account's name or UID; ``role`` lead / member.
    """
    match = name_or_uid_contains(q.strip()) if q and q.strip() else None
    return _members_where(matrix_id, match, role)


def _members_where(
    matrix_id: int, match: ColumnElement[bool] | None, role: str | None
) -> Select[Account, str]:
    """Return a SELECT of (account, role) of the members of ``matrix_id`` (``match``, ``role``)."""
    query = (
        select(Account, MatrixMember.role)
        .join(MatrixMember, MatrixMember.account_id == Account.id)
        .where(MatrixMember.matrix_id == matrix_id)
    )
    if role:
        query = query.where(MatrixMember.role == role)
    if match is not None:
        query = query.where(match)
    return query


def _counted(query: Select[Account, str]) -> Select[int]:
    """Return the count of the rows of ``query``."""
    return select(func.count()).select_from(query.subquery())


def _search_condition(
    session: Session, matrix_id: int, needle: str, role: str | None
) -> ColumnElement[bool]:
    """Return the condition of the name search ``needle`` in the members of ``matrix_id``.

    On PostgreSQL a needle of one or two characters is looked up in the gram index
    (migration 0034) when the planner reads that index for the count; otherwise (a needle
    nearly every account holds, a small matrix walked by its members; SQLite) the plain
    condition.
    """
    plain = name_or_uid_contains(needle)
    if session.get_bind().dialect.name != "postgresql":
        return plain
    short = short_grams_contain(needle)
    if short is None:
        return plain
    counted = _counted(_members_where(matrix_id, short, role))
    return short if uses_short_grams(session, counted) else plain


# SQLite reads a search's members from the membership index and sorts the matches; from
# this many matches on, walking the accounts by name until the page is full reads fewer
# rows (a rare needle in a small matrix would read every account that way).
_SQLITE_WALK_FROM = 2_000


# PostgreSQL walks the accounts by name to fill a page when it expects the matches spread
# evenly along that order; but a search's matches often sit together (the names starting
# with 郑州), maybe at the far end: 169,000 names read for q=号9 on the national matrix.
# Up to this many matches the page sorts them instead (11,111: 11–18 ms against 33–67).
_PG_SORT_UP_TO = 20_000


def _is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def _walked_by_name(matrix_id: int, match: ColumnElement[bool], role: str) -> Select[Account, str]:
    """Return the members of ``matrix_id`` with ``role`` matching ``match`` as a SELECT that
    SQLite answers by walking ``ix_accounts_name`` and probing each account's membership
    (the join form makes it read the membership first and sort)."""
    member = exists().where(
        MatrixMember.matrix_id == matrix_id,
        MatrixMember.role == role,
        MatrixMember.account_id == Account.id,
    )
    return select(Account, literal(role)).where(match, member)


def member_page(
    session: Session,
    matrix_id: int,
    *,
    q: str | None = None,
    role: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[int, list[tuple[Account, str]]]:
    """Return the total and one page of the members of ``matrix_id`` matching the filters.

    ``limit`` < 0: every member. Counted, ordered and cut in SQL: the lead first, then by
    name, ties by account id (a stable order, so pages neither repeat nor skip a member).

    The lead (one at most, a few in bad data) is read apart from the others, so the page of
    the others is ordered by the account's name and id alone: on a national matrix
    (180,000 members) the database walks the accounts by name and probes each one's
    membership in ``ix_matrix_members_matrix_id_role_account_id`` until the page is full,
    where one ordering expression over both tables made it join and sort every member.
    Without ``q`` the total is counted on that index alone. With ``q`` on PostgreSQL the
    trigram indexes of the accounts' names and UIDs find the matches of three characters or
    more (:func:`name_or_uid_contains`), the gram index those of one or two
    (:func:`~zhengwu.accounts.member_search.short_grams_contain`), and they are joined to
    the membership; up to ``_PG_SORT_UP_TO`` matches the page sorts them rather than walk
    the names (matches often sit together in name order). SQLite has no such index: from
    ``_SQLITE_WALK_FROM`` matches on it walks the accounts by name and stops when the page
    is full.
    """
    needle = q.strip() if q else ""
    if needle:  # plans that depend on the needle: no generic plan on PostgreSQL
        with planned_for_their_values(session):
            return _member_page(session, matrix_id, needle, role, limit, offset)
    return _member_page(session, matrix_id, needle, role, limit, offset)


def _member_page(
    session: Session, matrix_id: int, needle: str, role: str | None, limit: int, offset: int
) -> tuple[int, list[tuple[Account, str]]]:
    """Return the total and one page of the members (see :func:`member_page`)."""
    match = _search_condition(session, matrix_id, needle, role) if needle else None
    if match is not None:
        total = session.scalar(_counted(_members_where(matrix_id, match, role))) or 0
    else:  # every membership has its account (foreign key, ON DELETE CASCADE)
        counted = select(func.count()).where(MatrixMember.matrix_id == matrix_id)
        if role:
            counted = counted.where(MatrixMember.role == role)
        total = session.scalar(counted) or 0
    if total <= offset:  # nothing on this page: spare the reads (a search finding none)
        return int(total), []
    in_order = (Account.name, Account.id)
    leads: list[tuple[Account, str]] = []
    if role in (None, "", "lead"):
        found = _members_where(matrix_id, match, "lead").order_by(*in_order)
        leads = [(a, r) for a, r in session.execute(found)]
    page = leads[offset:] if limit < 0 else leads[offset : offset + limit]
    if role == "lead" or (limit >= 0 and len(page) >= limit):
        return int(total), page
    # The others, by role (roles are lead or member): one key of the index per account.
    if match is not None and total >= _SQLITE_WALK_FROM and _is_sqlite(session):
        others = _walked_by_name(matrix_id, match, role or "member").order_by(*in_order)
    elif match is not None and total <= _PG_SORT_UP_TO and not _is_sqlite(session):
        # The same order, by an expression no index gives: PostgreSQL fetches the matches
        # and sorts them (bounded by their number) instead of walking ix_accounts_name.
        by_name = (Account.name.concat(""), Account.id)
        others = _members_where(matrix_id, match, role or "member").order_by(*by_name)
    else:
        others = _members_where(matrix_id, match, role or "member").order_by(*in_order)
    others = others.offset(max(0, offset - len(leads)))
    if limit >= 0:
        others = others.limit(limit - len(page))
    return int(total), page + [(a, r) for a, r in session.execute(others)]


def member_platforms(session: Session, matrix_id: int) -> dict[str, int]:
    """Return how many members of ``matrix_id`` each platform has (counted in SQL).

    Its subtree's accounts (the compliance check's): :func:`zhengwu.index.dimensions.member_keys`.
    """
    rows = session.execute(
        select(Account.platform, func.count())
        .join(MatrixMember, MatrixMember.account_id == Account.id)
        .where(MatrixMember.matrix_id == matrix_id)
        .group_by(Account.platform)
    )
    return {str(p): int(n) for p, n in rows}


IN_CHUNK = 10_000  # ids per IN (…) list: PostgreSQL takes at most 65,535 parameters


def member_matrices(
    session: Session, account_ids: Iterable[int], *, below: int | None
) -> dict[int, list[Matrix]]:
    """Return, for each of ``account_ids``, the matrices it is a member of among matrix
    ``below`` and the matrices below it (None: among every matrix), by name (ties by id):
    which of an office's matrices an account of its compliance report sits in.

    The ids are asked :data:`IN_CHUNK` at a time: the export of a national matrix's failing
    accounts names the matrices of 100,000 and more, and PostgreSQL takes at most 65,535
    parameters a statement.
    """
    wanted = sorted(set(account_ids))
    found: dict[int, list[Matrix]] = {}
    for start in range(0, len(wanted), IN_CHUNK):
        query = (
            select(MatrixMember.account_id, Matrix)
            .join(Matrix, Matrix.id == MatrixMember.matrix_id)
            .where(MatrixMember.account_id.in_(wanted[start : start + IN_CHUNK]))
            .order_by(Matrix.name, Matrix.id)
        )
        if below is not None:
            query = query.where(MatrixMember.matrix_id.in_(access.subtree_ids(below)))
        for account_id, matrix in session.execute(query):
            found.setdefault(int(account_id), []).append(matrix)
    return found


def tree_order() -> tuple[ColumnElement[Any] | InstrumentedAttribute[Any], ...]:
    """Return the order of a list of matrices: the top of a tree first — regional (lead)
    matrices before vertical ones, each by level (no region, province, city, county), then
    by name, ties by id. A level's page still reads only that level's rows by the index on
    ``(parent_id, name, id)`` and sorts them (a few hundred at most, even nationally)."""
    code = Matrix.adcode
    level = case(
        (code.is_(None), 0), (code.like("%0000"), 1), (code.like("%00"), 2), else_=3
    )  # fmt: skip
    return (case((Matrix.kind == "regional", 0), else_=1), level, Matrix.name, Matrix.id)


def matrix_page(
    session: Session,
    *,
    query: Select[Matrix],
    parent_id: int | None = None,
    top: bool = False,
    q: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[int, list[Matrix]]:
    """Return the total and one page (:func:`tree_order`) of the matrices of ``query``.

    ``parent_id`` keeps the direct sub-matrices of one matrix, ``top`` the top-level ones,
    ``q`` a name substring.
    """
    if parent_id is not None:
        query = query.where(Matrix.parent_id == parent_id)
    if top:
        query = query.where(Matrix.parent_id.is_(None))
    if q and q.strip():
        query = query.where(Matrix.name.contains(q.strip(), autoescape=True))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = session.scalars(query.order_by(*tree_order()).limit(limit).offset(offset))
    return int(total), list(page)


def child_counts(
    session: Session, matrix_ids: Iterable[int], *, among: Select[int] | None = None
) -> dict[int, int]:
    """Return the number of direct sub-matrices of each of ``matrix_ids`` (only ``among``)."""
    query = (
        select(Matrix.parent_id, func.count())
        .where(Matrix.parent_id.in_(list(matrix_ids)))
        .group_by(Matrix.parent_id)
    )
    if among is not None:
        query = query.where(Matrix.id.in_(among))
    return {int(m): int(n) for m, n in session.execute(query) if m is not None}


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


_ORG_REF_KINDS = {"id": "id", "#": "id", "code": "code", "name": "name"}
_MAX_CANDIDATES = 10


_Named = TypeVar("_Named", Organization, Matrix)


def _named_by(
    session: Session, model: type[_Named], ref: str, empty_zh: str, empty_en: str
) -> list[_Named]:
    """Return the rows of ``model`` (at most ``_MAX_CANDIDATES + 1``, by id) that ``ref``
    names: its database id, its external id (code) or its exact name, any of the three
    unless ``#``/``id:``, ``code:`` or ``name:`` says which. An empty ref is refused."""
    text = ref.strip()
    kind = None
    if text.startswith("#"):
        kind, text = "id", text[1:].strip()
    elif ":" in text and text.split(":", 1)[0] in _ORG_REF_KINDS:
        prefix, text = text.split(":", 1)
        kind, text = _ORG_REF_KINDS[prefix], text.strip()
    if not text:
        raise InvalidInputError(empty_zh, empty_en)
    conditions = []
    if kind in (None, "id") and text.isdigit() and len(text) < 18:
        conditions.append(model.id == int(text))
    if kind in (None, "code"):
        conditions.append(model.external_id == text)
    if kind in (None, "name"):
        conditions.append(model.name == text)
    if not conditions:  # "#abc": an id that is not a number names nothing
        return []
    query = select(model).where(or_(*conditions)).order_by(model.id).limit(_MAX_CANDIDATES + 1)
    return list(session.scalars(query))


def resolve_organization(session: Session, ref: str) -> Organization:
    """Return the one organisation that ``ref`` names: its id, its code or its exact name.

    ``ref`` is what an operator types after ``--org``: ``42`` (the database id), ``o12``
    (the code, ``org_id`` of the organisations list) or ``金水区住房和城乡建设局`` (the full
    name). A ref that several organisations answer to — an id that is also another's code,
    a name two bodies share — is refused with the candidates listed; ``#42`` or ``id:42``,
    ``code:o12`` and ``name:…`` say which is meant. Raises NotFoundError when none does.
    """
    found = _named_by(session, Organization, ref, "请给出机构编号、代码或名称",
                      "give an organisation id, code or name")  # fmt: skip
    if len(found) == 1:
        return found[0]
    if not found:
        raise NotFoundError(
            f"找不到机构：{ref}（可用编号、代码或全称）",
            f"no organisation {ref!r} (give its id, code or exact name)",
        )
    listed = "; ".join(
        f"#{o.id} code:{o.external_id or '-'} {o.name}" for o in found[:_MAX_CANDIDATES]
    ) + (" …" if len(found) > _MAX_CANDIDATES else "")
    raise InvalidInputError(
        f"「{ref}」对应多个机构，请用 #编号 或 code:代码 指明：{listed}",
        f"{ref!r} names several organisations, say which with #ID or code:CODE: {listed}",
    )


def resolve_matrix(session: Session, ref: str) -> Matrix:
    """Return the one matrix that ``ref`` names: its id, its external id or its exact name.

    Like :func:`resolve_organization`: ``7`` (the database id), ``zz-2024`` (the external
    id a matrices file gave it) or ``郑州政务新媒体矩阵`` (the full name). A ref several
    matrices answer to — an id that is another's external id, a name two cities' matrices
    share — is refused with the candidates listed (id, external id, name, region and parent);
    ``#7`` or ``id:7``, ``code:zz-2024`` and ``name:…`` say which is meant. Raises
    NotFoundError when none does.
    """
    found = _named_by(session, Matrix, ref, "请给出矩阵编号、外部编号或名称",
                      "give a matrix id, code or name")  # fmt: skip
    if len(found) == 1:
        return found[0]
    if not found:
        raise NotFoundError(
            f"找不到矩阵：{ref}（可用编号、外部编号或全称）",
            f"no matrix {ref!r} (give its id, code or exact name)",
        )
    parents = {m.parent_id for m in found if m.parent_id is not None}
    named = select(Matrix.id, Matrix.name).where(Matrix.id.in_(parents))
    above: dict[int, str] = {row.id: row.name for row in session.execute(named)}

    def described(m: Matrix) -> str:
        where = f" {m.adcode}" if m.adcode else ""
        up = f" ↑{above.get(m.parent_id, m.parent_id)}" if m.parent_id is not None else ""
        return f"#{m.id} code:{m.external_id or '-'} {m.name}{where}{up}"

    listed = "; ".join(described(m) for m in found[:_MAX_CANDIDATES]) + (
        " …" if len(found) > _MAX_CANDIDATES else ""
    )
    raise InvalidInputError(
        f"「{ref}」对应多个矩阵，请用 #编号 或 code:外部编号 指明：{listed}",
        f"{ref!r} names several matrices, say which with #ID or code:CODE: {listed}",
    )


# -- reading accounts, organisations and matrices -------------------------------------------


# 类别 of an account list: government accounts (政务账号) unless asked otherwise, since an
# import also stores the citizens' accounts it meets (commenters, posters of requests).
ACCOUNT_KINDS = {"government": "政务账号", "other": "非政务账号", "all": "全部账号"}


def government_filter(kind: str) -> bool | None:
    """Return the ``is_government`` value the 类别 ``kind`` selects (None: all)."""
    if kind not in ACCOUNT_KINDS:
        choices = "、".join(f"{k}（{label}）" for k, label in ACCOUNT_KINDS.items())
        raise InvalidInputError(
            f"账号类别「{kind}」无效，可选：{choices}",
            f"unknown account kind {kind!r}: one of {', '.join(ACCOUNT_KINDS)}",
        )
    return None if kind == "all" else kind == "government"


def list_accounts(
    session: Session,
    *,
    query: Select[Account],
    platform: str | None = None,
    organization_id: int | None = None,
    adcode: str | None = None,
    matrix_id: int | None = None,
    is_government: bool | None = None,
    q: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[int, list[Account]]:
    """Return the total and one page of the accounts of ``query`` matching the filters.

    ``adcode`` is a prefix ("41" for 河南, "4101" for 郑州); ``q`` a name substring.
    """
    if platform:
        query = query.where(Account.platform == platform)
    if organization_id is not None:
        query = query.where(Account.organization_id == organization_id)
    if adcode:
        query = query.where(Account.adcode.startswith(adcode, autoescape=True))
    if matrix_id is not None:
        query = query.where(
            Account.id.in_(
                select(MatrixMember.account_id).where(MatrixMember.matrix_id == matrix_id)
            )
        )
    if is_government is not None:
        query = query.where(Account.is_government.is_(is_government))
    if q and q.strip():
        query = query.where(Account.name.contains(q.strip(), autoescape=True))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = session.scalars(
        query.order_by(Account.platform, Account.name, Account.id).limit(limit).offset(offset)
    )
    return int(total), list(page)


def filter_organizations(
    query: Select[Organization],
    *,
    q: str | None = None,
    sector: str | None = None,
    level: str | None = None,
    adcode: str | None = None,
) -> Select[Organization]:
    """Narrow ``query`` by name substring, sector, level and adcode prefix ("4101": 郑州)."""
    if q and q.strip():
        query = query.where(Organization.name.contains(q.strip(), autoescape=True))
    if sector:
        query = query.where(Organization.sector == sector)
    if level:
        query = query.where(Organization.level == level)
    if adcode:
        query = query.where(Organization.adcode.startswith(adcode, autoescape=True))
    return query


def organization_page(
    session: Session, *, query: Select[Organization], limit: int = 100, offset: int = 0
) -> tuple[int, list[Organization]]:
    """Return the total and one page (by name) of the organisations of ``query``."""
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = session.scalars(
        query.order_by(Organization.name, Organization.id).limit(limit).offset(offset)
    )
    return int(total), list(page)


def organization_sectors(session: Session, *, query: Select[Organization]) -> list[str]:
    """Return the sectors (系统) the organisations of ``query`` belong to, sorted."""
    found = session.scalars(select(query.subquery().c.sector).distinct())
    return sorted(s for s in found if s)


def organization_regions(
    session: Session, *, query: Select[Organization], limit: int = 400
) -> list[tuple[str, str]]:
    """Return the divisions the organisations of ``query`` lie in, with their ancestors.

    ``(adcode, full name)`` pairs sorted by code, for the region filter's suggestions; when
    there would be more than ``limit``, counties are left out (provinces and cities stay).
    """
    found = session.scalars(select(query.subquery().c.adcode).distinct())
    codes: set[str] = set()
    for adcode in found:
        if adcode:
            codes.update(regions.ancestors(adcode))
    divisions = [d for d in (regions.get(c) for c in sorted(codes)) if d is not None]
    if len(divisions) > limit:
        divisions = [d for d in divisions if d.level in ("province", "city")]
    table = regions.divisions()

    def full_name(code: str) -> str:
        return " ".join(table[c].name for c in reversed(regions.ancestors(code)) if c in table)

    return [(d.adcode, full_name(d.adcode)) for d in divisions]


def account_counts(
    session: Session, *, organization_ids: Iterable[int], account_ids: Select[int] | None = None
) -> dict[int, int]:
    """Return the number of accounts per organisation (only ``account_ids`` when given)."""
    wanted = list(organization_ids)
    if not wanted:
        return {}
    query = (
        select(Account.organization_id, func.count())
        .where(Account.organization_id.in_(wanted))
        .group_by(Account.organization_id)
    )
    if account_ids is not None:
        query = query.where(Account.id.in_(account_ids))
    return {int(o): int(n) for o, n in session.execute(query) if o is not None}


def get_matrix(session: Session, *, matrix_id: int) -> Matrix:
    """Return matrix ``matrix_id`` or raise NotFoundError."""
    matrix = session.get(Matrix, matrix_id)
    if matrix is None:
        raise NotFoundError(f"矩阵不存在：{matrix_id}", f"no such matrix: {matrix_id}")
    return matrix


def member_counts(session: Session, matrix_ids: Iterable[int] | None = None) -> dict[int, int]:
    """Return the number of member accounts per matrix (all matrices, or ``matrix_ids``)."""
    query = select(MatrixMember.matrix_id, func.count()).group_by(MatrixMember.matrix_id)
    if matrix_ids is not None:
        query = query.where(MatrixMember.matrix_id.in_(list(matrix_ids)))
    return {int(m): int(n) for m, n in session.execute(query)}


@dataclass(slots=True)
class MatrixNode:
    """A matrix in the tree, with its member count and its children."""

    matrix: Matrix
    members: int
    children: list[MatrixNode] = field(default_factory=list)

    def walk(self, depth: int = 0) -> Iterable[tuple[int, MatrixNode]]:
        """Yield this node and its descendants with their depth, depth first."""
        yield depth, self
        for child in self.children:
            yield from child.walk(depth + 1)


def matrix_tree(session: Session, matrices: Sequence[Matrix]) -> list[MatrixNode]:
    """Arrange ``matrices`` as a forest; one whose parent is not among them is a root.

    Nothing disappears: a matrix caught in a cycle of bad data becomes a root too.
    """
    counts = member_counts(session, [m.id for m in matrices])
    nodes = {m.id: MatrixNode(m, counts.get(m.id, 0)) for m in matrices}
    roots: list[MatrixNode] = []
    for matrix in sorted(matrices, key=lambda m: (m.name, m.id)):
        parent = nodes.get(matrix.parent_id) if matrix.parent_id is not None else None
        (parent.children if parent is not None else roots).append(nodes[matrix.id])
    reached = {n.matrix.id for root in roots for _, n in root.walk()}
    for matrix in sorted(matrices, key=lambda m: m.id):
        if matrix.id not in reached:  # a cycle: cut it at its smallest id
            node = nodes[matrix.id]
            parent = nodes.get(matrix.parent_id) if matrix.parent_id is not None else None
            if parent is not None:
                parent.children.remove(node)
            roots.append(node)
            reached |= {n.matrix.id for _, n in node.walk()}
    return roots


def descendant_ids(session: Session, matrix: Matrix) -> set[int]:
    """Return the ids of ``matrix`` and every matrix below it: one recursive CTE
    (:func:`zhengwu.accounts.access.subtree_ids`), not every matrix of the country read
    and walked here; a cycle in bad data ends it."""
    return set(session.scalars(access.subtree_ids(matrix.id)))


def ancestors(session: Session, matrix: Matrix) -> list[Matrix]:
    """Return the matrices above ``matrix``, the top first (a page's trail).

    One statement (:func:`zhengwu.accounts.access.ancestor_ids`), not one per level; the
    chain is put in order here from each matrix's ``parent_id``. In a cycle of bad data
    each matrix comes once and the chain stops before ``matrix`` itself.
    """
    found = {
        m.id: m
        for m in session.scalars(
            select(Matrix).where(Matrix.id.in_(access.ancestor_ids(matrix.id)))
        )
    }
    trail: list[Matrix] = []
    parent_id = matrix.parent_id
    while parent_id is not None and parent_id in found:
        above = found.pop(parent_id)  # popped: a cycle cannot come back to it
        trail.append(above)
        parent_id = above.parent_id
    trail.reverse()
    return trail


# -- changing matrices (every change is audited; the caller commits) ------------------------

_ADCODE = re.compile(r"\d{6}")


def _clean_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise InvalidInputError("请填写矩阵名称", "a matrix needs a name")
    if len(cleaned) > 128:
        raise InvalidInputError("矩阵名称不能超过 128 个字", "matrix name is longer than 128")
    return cleaned


def _check_kind(kind: str) -> str:
    if kind not in MATRIX_KINDS:
        raise InvalidInputError(
            f"矩阵类型应为区域矩阵（regional）或垂直矩阵（vertical）：{kind}",
            f"matrix kind must be one of {', '.join(MATRIX_KINDS)}: {kind}",
        )
    return kind


def _check_adcode(adcode: str | None) -> str | None:
    if adcode is None or not adcode.strip():
        return None
    if not _ADCODE.fullmatch(adcode.strip()):
        raise InvalidInputError(
            f"行政区划代码应为 6 位数字：{adcode}", f"adcode must be 6 digits: {adcode}"
        )
    if regions.get(adcode.strip()) is None:  # an old code resolves to its successor
        raise InvalidInputError(
            f"行政区划代码不存在：{adcode.strip()}", f"no such administrative division: {adcode}"
        )
    return adcode.strip()


def _check_sector(kind: str, sector: str | None) -> str | None:
    cleaned = " ".join((sector or "").split()) or None
    if cleaned is not None and len(cleaned) > 32:
        raise InvalidInputError("系统名称不能超过 32 个字", "sector is longer than 32 characters")
    if kind == "vertical" and cleaned is None:
        raise InvalidInputError(
            "垂直矩阵须填写系统（sector，如 公安、消防、文旅）：它由同一系统上下级的账号组成",
            "a vertical matrix needs a sector (e.g. 公安 police): it gathers one sector's "
            "accounts across levels",
        )
    return cleaned


def _check_inside(session: Session, adcode: str | None, parent: Matrix | None, name: str) -> None:
    """Refuse (422) a region ``adcode`` outside the region of ``parent`` (or its ancestors)."""
    if adcode is None or parent is None:
        return
    access.check_region_inside(name=name, adcode=adcode, parent_name=parent.name,
                               parent_region=access.matrix_region(session, parent))  # fmt: skip


def _check_sibling_name(
    session: Session, name: str, parent_id: int | None, matrix_id: int | None = None
) -> None:
    query = select(Matrix.id).where(Matrix.name == name, Matrix.parent_id.is_(None)
                                    if parent_id is None else Matrix.parent_id == parent_id)  # fmt: skip
    if matrix_id is not None:
        query = query.where(Matrix.id != matrix_id)
    if session.scalar(query.limit(1)) is not None:
        raise ConflictError(
            f"同一上级下已有名为「{name}」的矩阵", f"a sibling matrix is already named {name!r}"
        )


def _record(session: Session, matrix: Matrix, action: str, actor: Principal, **data: Any) -> None:
    audit.record(session, entity_type="matrix", entity_id=matrix.id, action=action, actor=actor,
                 data=data or None)  # fmt: skip


def create_matrix(
    session: Session,
    *,
    name: str,
    kind: str,
    parent: Matrix | None,
    actor: Principal,
    adcode: str | None = None,
    sector: str | None = None,
) -> Matrix:
    """Create a matrix (under ``parent``, or at the top level) and audit it.

    A vertical matrix (垂直矩阵: one sector's bodies, like 湖南公安) needs its sector (系统);
    a sub-matrix's region must lie inside its parent's (422 otherwise).
    """
    name = _clean_name(name)
    kind = _check_kind(kind)
    sector = _check_sector(kind, sector)
    adcode = _check_adcode(adcode)
    _check_inside(session, adcode, parent, name)
    _check_sibling_name(session, name, parent.id if parent else None)
    matrix = Matrix(
        name=name, kind=kind, adcode=adcode, sector=sector,
        parent_id=parent.id if parent else None,
    )  # fmt: skip
    session.add(matrix)
    session.flush()
    _record(session, matrix, "create", actor, name=name, kind=kind, parent_id=matrix.parent_id)
    return matrix


def update_matrix(
    session: Session,
    *,
    matrix: Matrix,
    actor: Principal,
    name: str | None = None,
    kind: str | None = None,
    sector: str | None = None,
    lead_account: Account | None = None,
    move: bool = False,
    parent: Matrix | None = None,
) -> dict[str, list[Any]]:
    """Rename, retype, set the sector or lead of, or (``move=True``) re-parent ``matrix``.

    A move under the matrix itself or one of its descendants is refused (409): the tree
    would become a cycle; so is (422) a move that puts a region of the moved subtree
    outside the new parent's region, and a vertical matrix left without a sector. The
    lead must be in the actor's account scope (403). Audited; returns the changes as
    ``{field: [old, new]}``.
    """
    changes: dict[str, list[Any]] = {}
    new_parent_id = (
        parent.id if (move and parent is not None) else (None if move else matrix.parent_id)
    )
    if move and new_parent_id is not None and new_parent_id in descendant_ids(session, matrix):
        raise ConflictError(
            f"不能把矩阵「{matrix.name}」移到它自己或它的下级之下",
            f"moving matrix {matrix.id} under itself or a descendant would make a cycle",
        )
    new_name = _clean_name(name) if name is not None else matrix.name
    new_kind = _check_kind(kind) if kind is not None else matrix.kind
    new_sector = matrix.sector
    if kind is not None or sector is not None:  # a legacy vertical matrix may still be renamed
        new_sector = _check_sector(new_kind, sector if sector is not None else matrix.sector)
    if move and parent is not None:
        # Every region of the moved subtree must lie inside the new parent's (the matrix
        # itself, and those below it that take their region from above it).
        subtree = descendant_ids(session, matrix)
        for below, code in session.execute(
            select(Matrix.name, Matrix.adcode)
            .where(Matrix.id.in_(subtree), Matrix.adcode.is_not(None))
            .order_by(Matrix.id != matrix.id, Matrix.id)
        ):
            _check_inside(session, code, parent, below)
    if new_name != matrix.name or new_parent_id != matrix.parent_id:
        _check_sibling_name(session, new_name, new_parent_id, matrix.id)
    if new_name != matrix.name:
        changes["name"] = [matrix.name, new_name]
        matrix.name = new_name
    if new_kind != matrix.kind:
        changes["kind"] = [matrix.kind, new_kind]
        matrix.kind = new_kind
    if new_sector != matrix.sector:
        changes["sector"] = [matrix.sector, new_sector]
        matrix.sector = new_sector
    if new_parent_id != matrix.parent_id:
        changes["parent_id"] = [matrix.parent_id, new_parent_id]
        matrix.parent_id = new_parent_id
    if lead_account is not None and lead_account.id != matrix.lead_account_id:
        changes["lead_account_id"] = [matrix.lead_account_id, lead_account.id]
        add_member(session, matrix=matrix, account=lead_account, role="lead", actor=actor)
    if changes:
        session.flush()
        _record(session, matrix, "move" if "parent_id" in changes else "update", actor, **changes)
    return changes


def delete_matrix(session: Session, *, matrix: Matrix, actor: Principal) -> None:
    """Delete a matrix without sub-matrices (its memberships go with it); audit it.

    A matrix with sub-matrices, or one still named by a user or a citizen request, is
    refused with 409.
    """
    children = session.scalar(select(func.count()).where(Matrix.parent_id == matrix.id)) or 0
    if children:
        raise ConflictError(
            f"矩阵「{matrix.name}」还有 {children} 个下级矩阵，请先移走或删除它们",
            f"matrix {matrix.id} still has {children} sub-matrices",
        )
    members = member_counts(session, [matrix.id]).get(matrix.id, 0)
    name, parent_id = matrix.name, matrix.parent_id
    try:
        with session.begin_nested():
            session.execute(delete(MatrixMember).where(MatrixMember.matrix_id == matrix.id))
            session.delete(matrix)
            session.flush()
    except IntegrityError:
        raise ConflictError(
            f"矩阵「{name}」仍被用户或诉求引用，不能删除",
            f"matrix {matrix.id} is still referenced by users or requests",
        ) from None
    _record(session, matrix, "delete", actor, name=name, parent_id=parent_id, members=members)


def _membership(session: Session, matrix: Matrix, account: Account) -> MatrixMember | None:
    return session.get(MatrixMember, (matrix.id, account.id))


def _check_role(role: str) -> str:
    if role not in MEMBER_ROLES:
        raise InvalidInputError(
            f"成员角色应为牵头（lead）或成员（member）：{role}",
            f"member role must be one of {', '.join(MEMBER_ROLES)}: {role}",
        )
    return role


def add_member(
    session: Session, *, matrix: Matrix, account: Account, role: str = "member", actor: Principal
) -> str:
    """Put ``account`` in ``matrix`` with ``role``; return "added", "changed" or "already".

    A new lead becomes the matrix's lead account, and the former lead an ordinary member.
    An account outside ``actor``'s account scope is refused with 403
    (:func:`zhengwu.accounts.access.addable_account_ids`).
    """
    _check_role(role)
    access.require_addable(session, actor, account)
    member = _membership(session, matrix, account)
    if member is not None and member.role == role:
        return "already"
    if role == "lead":
        session.execute(
            update(MatrixMember)
            .where(MatrixMember.matrix_id == matrix.id, MatrixMember.role == "lead",
                   MatrixMember.account_id != account.id)
            .values(role="member")
        )  # fmt: skip
        matrix.lead_account_id = account.id
    elif member is not None and matrix.lead_account_id == account.id:
        matrix.lead_account_id = None
    outcome = "changed" if member is not None else "added"
    if member is None:
        session.add(MatrixMember(matrix_id=matrix.id, account_id=account.id, role=role))
    else:
        member.role = role
    session.flush()
    _record(session, matrix, "add_member" if outcome == "added" else "change_member", actor,
            account_id=account.id, platform=account.platform, uid=account.uid, role=role)  # fmt: skip
    return outcome


def remove_member(session: Session, *, matrix: Matrix, account: Account, actor: Principal) -> None:
    """Take ``account`` out of ``matrix`` (404 when it is not a member); audit it."""
    member = _membership(session, matrix, account)
    if member is None:
        raise NotFoundError(
            f"账号「{account.name}」不是矩阵「{matrix.name}」的成员",
            f"account {account.id} is not a member of matrix {matrix.id}",
        )
    if matrix.lead_account_id == account.id:
        matrix.lead_account_id = None
    session.delete(member)
    session.flush()
    _record(session, matrix, "remove_member", actor, account_id=account.id,
            platform=account.platform, uid=account.uid, role=member.role)  # fmt: skip


# -- importing a member list ---------------------------------------------------------------

IMPORT_MAX_ROWS = 20_000
# An uploaded member list (the console's form, the API): saved under its own file name by
# zhengwu.servicedesk.upload.saved_upload(stream, name, **MEMBER_LIST_UPLOAD).
MEMBER_LIST_UPLOAD: UploadRules = {
    "limit": 5 * 1024 * 1024,
    "choose": ("请选择要导入的 CSV 或 Excel 文件", "choose a CSV or Excel file to import"),
    "too_large": ("请拆分后分批导入", "split it and import the parts"),
}
MEMBERS_FORMAT = "matrix-members"  # the import run's format (the quarantine's too)
MEMBER_LIST = "成员名单.csv"  # how the quarantine names an upload without a file name
_HEADER_ALIASES = {
    "platform": "platform", "平台": "platform",
    "uid": "uid", "账号id": "uid", "账号uid": "uid",
    "role": "role", "角色": "role",
    "name": "name", "账号": "name", "账号名称": "name", "名称": "name",
}  # fmt: skip
_PLATFORM_ALIASES = {"微博": "weibo", "微信": "wechat", "抖音": "douyin"}
_PLATFORM_LABELS = {v: k for k, v in _PLATFORM_ALIASES.items()}
_BLANK_SHOWN = 20  # blank rows named in the report's warning
_ROLE_ALIASES = {"": "member", "member": "member", "成员": "member", "lead": "lead", "牵头": "lead"}


@dataclass(slots=True)
class RejectedRow:
    """A row of a member list that was not imported, with its line number and the reason
    (and its sheet, in a workbook of several sheets)."""

    row: int
    reason: str
    values: list[str]
    sheet: str = ""


@dataclass(slots=True)
class ImportReport:
    """What a member-list import did: added, already members, rejected rows, and the
    sheets of a workbook that were not read (warnings, with their reason)."""

    added: int = 0
    already: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    blank_rows: list[RowNo] = field(default_factory=list)  # skipped between rows of data
    run_id: int | None = None  # the import run: its quarantine holds the rejected rows
    dry_run: bool = False  # a check (检查): what the import would do, nothing kept


def _decode(content: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInputError(
        "文件不是 UTF-8 或 GBK 编码的 CSV", "the file is not a UTF-8 or GBK CSV"
    )


def _header(row: list[str]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for i, cell in enumerate(row):
        key = _HEADER_ALIASES.get(cell.strip().lower())
        if key is not None and key not in columns:
            columns[key] = i
    if not ({"platform", "uid"} <= columns.keys() or "name" in columns):
        raise InvalidInputError(
            "第 1 行应为表头：platform,uid[,role] 或 name[,role]",
            "row 1 must be a header: platform,uid[,role] or name[,role]",
        )
    return columns


@dataclass(slots=True)
class _Row:
    line: RowNo
    cells: list[str]
    key: str  # "platform:uid" or "name:…" ("" when the row names no account)
    problem: str  # why the row names no account ("" when it does)
    role: str


def _parse_row(columns: dict[str, int], line: RowNo, cells: list[str]) -> _Row:
    def cell(key: str) -> str:
        i = columns.get(key)
        return cells[i].strip() if i is not None and i < len(cells) else ""

    role = cell("role").lower()
    if (at := find_nul(cells)) is not None:  # PostgreSQL cannot compare it: nobody does
        header = {i: key for key, i in columns.items()}
        return _Row(line, cells, "", nul_reason(header.get(int(at), f"#{int(at) + 1}")), role)
    if "platform" in columns and "uid" in columns and (cell("platform") or cell("uid")):
        platform = _PLATFORM_ALIASES.get(cell("platform"), cell("platform").lower())
        if not platform or not cell("uid"):
            return _Row(
                line,
                cells,
                "",
                "platform 与 uid 都要填写 / platform and uid are both required",
                role,
            )
        return _Row(line, cells, f"{platform}:{cell('uid')}", "", role)
    if not cell("name"):
        return _Row(line, cells, "", "没有填写账号（platform,uid 或 name）/ no account given", role)
    return _Row(line, cells, f"name:{cell('name')}", "", role)


def _lookup(session: Session, rows: list[_Row]) -> dict[str, list[Account]]:
    """Return the accounts each row key names, in a few queries (not one per row)."""
    pairs: dict[str, set[str]] = {}
    names: set[str] = set()
    for row in rows:
        kind, _, rest = row.key.partition(":")
        if kind == "name":
            names.add(rest)
        elif row.key:
            pairs.setdefault(kind, set()).add(rest)
    found: dict[str, list[Account]] = {}
    for platform, uids in pairs.items():
        wanted = sorted(uids)
        for i in range(0, len(wanted), _CHUNK):
            query = select(Account).where(
                Account.platform == platform, Account.uid.in_(wanted[i : i + _CHUNK])
            )
            for account in session.scalars(query):
                found[f"{account.platform}:{account.uid}"] = [account]
    wanted_names = sorted(names)
    for i in range(0, len(wanted_names), _CHUNK):
        query = select(Account).where(Account.name.in_(wanted_names[i : i + _CHUNK]))
        for account in session.scalars(query.order_by(Account.id)):
            found.setdefault(f"name:{account.name}", []).append(account)
    return found


# The platforms a member list may name before any account of another one is registered.
MEMBER_PLATFORMS = ("weibo", "wechat", "douyin")


def valid_platforms(registered: Iterable[str]) -> list[str]:
    """Return the platforms a member may be on: :data:`MEMBER_PLATFORMS`, then the other
    platforms of the registry's accounts (``registered``) by name."""
    return [*MEMBER_PLATFORMS, *sorted(set(registered) - set(MEMBER_PLATFORMS))]


def unknown_platform(platform: str, valid: Sequence[str]) -> str:
    """Return the reason a member's ``platform`` is refused, listing the ``valid`` ones."""
    listed = " / ".join(valid)
    labels = " / ".join(_PLATFORM_LABELS.get(p, p) for p in valid)
    return (f"未知平台「{platform}」，可选：{listed}（{labels}）/ "
            f"unknown platform {platform!r}; valid: {listed}")  # fmt: skip


def _unknown_platforms(session: Session, rows: list[_Row]) -> tuple[set[str], list[str]]:
    """Return the platforms ``rows`` name that are not valid, and the valid ones (the
    registry's platforms are read only when a row names one beyond the usual three)."""
    named = {row.key.partition(":")[0] for row in rows if row.key} - {"name"}
    if named <= set(MEMBER_PLATFORMS):
        return set(), list(MEMBER_PLATFORMS)
    valid = valid_platforms(session.scalars(select(Account.platform).distinct()))
    return named - set(valid), valid


def _blank_warning(blank: list[RowNo]) -> str:
    """Say how many blank rows between the rows of data were skipped, and which."""
    shown = [str(r) for r in blank[:_BLANK_SHOWN]]
    more = len(blank) > _BLANK_SHOWN
    zh = "、".join(shown) + (" 等" if more else "")
    en = ", ".join(shown) + (" …" if more else "")
    return (f"跳过了 {len(blank)} 个空行（第 {zh} 行）/ "
            f"skipped {len(blank)} blank row(s) between the rows of data (rows {en})")  # fmt: skip


def _not_found(key: str, candidates: list[Account]) -> str:
    kind, _, rest = key.partition(":")
    if kind == "name" and len(candidates) > 1:
        return (f"有多个名为「{rest}」的账号，请改用 platform,uid / "
                f"several accounts are named {rest!r}: use platform,uid")  # fmt: skip
    if kind == "name":
        return f"找不到名为「{rest}」的账号 / no account named {rest!r}"
    return f"账号不存在：{kind}/{rest} / no such account"


def _in_scope(session: Session, actor: Principal, account_ids: list[int]) -> set[int]:
    """Return those of ``account_ids`` that ``actor`` may add to a matrix (a few queries)."""
    if actor.role == "admin":
        return set(account_ids)
    scope = access.addable_account_ids(session, actor)
    found: set[int] = set()
    wanted = sorted(set(account_ids))
    for i in range(0, len(wanted), _CHUNK):
        query = select(Account.id).where(Account.id.in_(wanted[i : i + _CHUNK]),
                                         Account.id.in_(scope))  # fmt: skip
        found.update(session.scalars(query))
    return found


def _csv_lines(text: str) -> Iterator[tuple[RowNo, list[str]]]:
    """Yield the rows of a CSV member list with the line each starts on and its raw text
    (its line or lines as they are in the file, as every sheet import keeps them).

    A lone carriage return ends a line as ``\n`` and ``\r\n`` do (the csv module's
    ``newline=""``); a file the csv module still cannot read is a bilingual 422 naming the
    line, not a server error.
    """
    lines = KeptLines(io.StringIO(text, newline=""))
    reader = csv.reader(lines)
    try:
        while True:
            start = reader.line_num + 1
            cells = next(reader, None)
            if cells is None:
                return
            yield RowNo(start, raw=lines.take()), cells
    except csv.Error as exc:
        raise InvalidInputError(
            f"成员名单第 {reader.line_num} 行无法按 CSV 读取（引号或换行不成对）",
            f"line {reader.line_num} of the member list is not readable as CSV: {exc}",
        ) from None


def import_members(
    session: Session, *, matrix: Matrix, content: bytes, actor: Principal, filename: str = "",
    dry_run: bool = False,
) -> ImportReport:  # fmt: skip
    """Add the accounts of a CSV member list to ``matrix``, in the caller's transaction.

    ``filename`` ending in ``.xlsx`` reads ``content`` as an Excel workbook instead
    (:mod:`zhengwu.ingest.workbook`): every sheet with the first one's header; the others
    are named in the report's warnings.

    Columns (first row a header): ``platform,uid[,role]`` or ``name[,role]`` (Chinese
    headers 平台/账号ID/角色/账号名称 too). Every row that cannot be imported — unknown
    account, ambiguous name, bad role, a repeat of an earlier row, a second lead — is
    reported with its line number and reason (a platform that is neither weibo, wechat,
    douyin nor one of the registry's accounts' is named as unknown) and quarantined in the
    import's run (``report.run_id``: ``zhengwu quarantine --run N``) with its location
    (``名单.csv:12``, ``名单.xlsx!一批:12``), reason and raw text; blank rows between rows
    of data are skipped and counted (``blank_rows``, and a warning naming them), and an
    account outside ``actor``'s account scope is reported with its reason
    (:func:`zhengwu.accounts.access.addable_account_ids`). One audit entry records the
    import (who, the file, the counts and the accounts added).

    ``dry_run`` (the console's 检查, the API's ``dry_run``) runs the same import in a
    savepoint and rolls it back once its report is read: the counts, warnings and refused
    rows are the ones the import would have now, and nothing of it stays (no member, import
    run, quarantine row or audit entry; ``run_id`` None).
    """
    with rolled_back_if(session, dry_run):
        report = _import_members(session, matrix=matrix, content=content, actor=actor,
                                 filename=filename)  # fmt: skip
    if dry_run:
        report.dry_run, report.run_id = True, None
    return report


def import_member_file(
    session: Session, *, matrix: Matrix, path: Path, actor: Principal, dry_run: bool = False
) -> ImportReport:
    """Import an uploaded member list saved under its own file name (its rules:
    :data:`MEMBER_LIST_UPLOAD`) by :func:`import_members`."""
    return import_members(session, matrix=matrix, content=path.read_bytes(), actor=actor,
                          filename=path.name, dry_run=dry_run)  # fmt: skip


def _import_members(
    session: Session, *, matrix: Matrix, content: bytes, actor: Principal, filename: str
) -> ImportReport:
    """The import of :func:`import_members` (in the savepoint of a dry run)."""
    lines: Iterator[tuple[RowNo, list[str]]]
    left: list[SheetLeft] = []
    if is_workbook(filename):  # the Excel list as it is (its sheets, Excel's row numbers)
        lines = workbook_lines(io.BytesIO(content), name=filename, left=left)
    else:
        refuse_old_excel(filename)
        lines = _csv_lines(_decode(content))
    columns: dict[str, int] | None = None
    rows: list[_Row] = []
    # Blank rows after the header count once a row of data follows them on the same sheet
    # (those at the end of a sheet or file hide nothing).
    blank: list[RowNo] = []
    pending: list[RowNo] = []
    for number, cells in lines:
        if not any(c.strip() for c in cells):
            if columns is not None:
                pending.append(number)
            continue
        if pending:
            blank.extend(r for r in pending if r.sheet == number.sheet)
            pending.clear()
        if columns is None:
            columns = _header(cells)
        elif len(rows) >= IMPORT_MAX_ROWS:
            raise InvalidInputError(
                f"名单过长：最多 {IMPORT_MAX_ROWS} 行", f"too many rows: at most {IMPORT_MAX_ROWS}"
            )
        else:
            rows.append(_parse_row(columns, number, cells))
    if columns is None:
        raise InvalidInputError("文件是空的 / the file is empty")
    unknown, valid = _unknown_platforms(session, rows)
    accounts = _lookup(session, [row for row in rows if row.key.partition(":")[0] not in unknown])
    in_scope = _in_scope(session, actor, [a.id for found in accounts.values() for a in found])
    current = {
        int(a): str(r)
        for a, r in session.execute(
            select(MatrixMember.account_id, MatrixMember.role).where(
                MatrixMember.matrix_id == matrix.id
            )
        )
    }
    report = ImportReport(warnings=[sheet.warning(filename) for sheet in left], blank_rows=blank)
    if blank:
        report.warnings.append(_blank_warning(blank))
    seen: dict[str, RowNo] = {}
    lead: tuple[RowNo, Account] | None = None
    added: list[int] = []
    where = filename or MEMBER_LIST  # how the quarantine names the upload
    quarantines: list[QuarantineRecord] = []
    for row in rows:
        candidates = accounts.get(row.key, []) if row.key else []
        role = _ROLE_ALIASES.get(row.role)
        if row.problem:
            reason = row.problem
        elif (platform := row.key.partition(":")[0]) in unknown:
            reason = unknown_platform(platform, valid)
        elif len(candidates) != 1:
            reason = _not_found(row.key, candidates)
        elif role is None:
            reason = f"角色应为 lead/牵头 或 member/成员：{row.role} / bad role"
        elif candidates[0].id not in in_scope:
            reason = ("不在您管理的矩阵范围内，请联系平台管理员 / "
                      "outside the scope of the matrices you manage: ask an admin")  # fmt: skip
        elif row.key in seen:
            reason = f"与第 {seen[row.key]} 行重复 / repeats row {seen[row.key]}"
        elif role == "lead" and lead is not None:
            reason = f"牵头账号只能有一个（第 {lead[0]} 行已指定）/ only one lead (row {lead[0]})"
        else:
            reason = ""
        if reason or role is None:
            report.rejected.append(RejectedRow(row.line.number, reason, row.cells, row.line.sheet))
            quarantines.append(QuarantineRecord(
                source=row.line.at(where), reason=reason, raw=shown(row.line.raw)
            ))  # fmt: skip
            continue
        account = candidates[0]
        seen[row.key] = row.line
        if role == "lead":
            lead = (row.line, account)
        elif current.get(account.id) == "member" or account.id in current:
            report.already += 1
        else:
            session.add(MatrixMember(matrix_id=matrix.id, account_id=account.id, role="member"))
            current[account.id] = "member"
            report.added += 1
            added.append(account.id)
    session.flush()
    if lead is not None:
        was = lead[1].id in current
        outcome = add_member(session, matrix=matrix, account=lead[1], role="lead", actor=actor)
        if was or outcome == "already":
            report.already += 1
        else:
            report.added += 1
            added.append(lead[1].id)
    counts = {"read": len(rows), "imported": report.added, "duplicates": report.already,
              "quarantined": len(quarantines)}  # fmt: skip
    report.run_id = record_sheet_run(
        session, fmt=MEMBERS_FORMAT, shown=where, counts=counts, quarantines=quarantines,
        actor=actor, action="matrix-members-import",
        data={"matrix_id": matrix.id, "filename": filename, **counts},
    )  # fmt: skip
    _record(session, matrix, "import_members", actor, filename=filename, added=report.added,
            already=report.already, rejected=len(report.rejected),
            blank_rows=len(report.blank_rows), account_ids=added, run_id=report.run_id)  # fmt: skip
    return report
