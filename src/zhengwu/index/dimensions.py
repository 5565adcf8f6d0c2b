"""Account dimensions from the operational DB, handed to DuckDB as Arrow tables.

DuckDB cannot attach SQLite or PostgreSQL here (no extension downloads), so the few
hundred thousand rows of accounts, organisations and matrix memberships are read once with
SQLAlchemy and registered in DuckDB as Arrow tables. Province and city come from the
account's adcode (else its organisation's) through the division table, once per distinct
code.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Connection,
    Select,
    and_,
    case,
    func,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from zhengwu.accounts.models import Account, Matrix, MatrixMember, Organization

ACCOUNTS_SCHEMA = pa.schema(
    [
        ("account_id", pa.int64()),
        ("platform", pa.string()),
        ("uid", pa.string()),
        ("name", pa.string()),
        ("organization_id", pa.int64()),
        ("org_name", pa.string()),
        ("sector", pa.string()),
        ("level", pa.string()),
        ("adcode", pa.string()),
        ("province", pa.string()),
        ("city", pa.string()),
        ("followers", pa.int64()),
    ]
)
ORGANIZATIONS_SCHEMA = pa.schema(
    [
        ("organization_id", pa.int64()),
        ("name", pa.string()),
        ("sector", pa.string()),
        ("level", pa.string()),
        ("adcode", pa.string()),
        ("province", pa.string()),
        ("city", pa.string()),
    ]
)
MEMBERS_SCHEMA = pa.schema(
    [
        ("matrix_id", pa.int64()),
        ("matrix_name", pa.string()),
        ("account_id", pa.int64()),
    ]
)
REGIONS_SCHEMA = pa.schema([("adcode", pa.string()), ("name", pa.string())])
UNKNOWN = "未知"


@dataclass(frozen=True, slots=True)
class Dimensions:
    """Accounts, organisations and matrix memberships as Arrow tables."""

    accounts: pa.Table
    organizations: pa.Table
    members: pa.Table
    regions: pa.Table  # names of the provinces and cities the accounts sit in


def region_parts(adcodes: Iterable[str | None]) -> dict[str, tuple[str | None, str | None]]:
    """Return adcode → (province adcode, city adcode) for the given codes."""
    from zhengwu.regions import ancestors, divisions

    table = divisions()
    parts: dict[str, tuple[str | None, str | None]] = {}
    for code in set(adcodes):
        if not code or code in parts:
            continue
        chain = ancestors(code)
        province = next((c for c in chain if table[c].level == "province"), None)
        city = next((c for c in chain if table[c].level == "city"), None)
        parts[code] = (province, city)
    return parts


# Ids per ``IN (…)`` list: well under SQLite's and PostgreSQL's bound-parameter limits.
ID_CHUNK = 5000


def _where_in(
    session: Session,
    query: Select[*tuple[Any, ...]],
    column: Any,
    ids: list[int],
    *,
    key: Callable[[Any], Any],
) -> list[Any]:
    """Return the rows of ``query`` whose ``column`` is in ``ids``, in ``key`` order."""
    found: list[Any] = []
    for i in range(0, len(ids), ID_CHUNK):
        found += session.execute(query.where(column.in_(ids[i : i + ID_CHUNK]))).all()
    return sorted(found, key=key)


def load_dimensions(
    session: Session,
    platforms: Iterable[str] | None = None,
    *,
    account_ids: Iterable[int] | None = None,
) -> Dimensions:
    """Read government accounts, their organisations and matrix memberships from the DB.

    With ``account_ids``, only those accounts, the organisations they belong to and their
    matrix memberships are read (one account's page must not read a national registry);
    each account's row is the same as in the whole load.
    """
    query = (
        select(
            Account.id, Account.platform, Account.uid, Account.name, Account.organization_id,
            Organization.name, Organization.sector, Organization.level,
            Account.adcode, Organization.adcode, Account.followers,
        )
        .outerjoin(Organization, Organization.id == Account.organization_id)
        # A government account is one the registry marks so, or one tied to a body.
        .where(or_(Account.is_government.is_(True), Account.organization_id.is_not(None)))
        .where(Account.status == "active")
        .order_by(Account.id)
    )  # fmt: skip
    if platforms is not None:
        query = query.where(Account.platform.in_(list(platforms)))
    org_query = select(
        Organization.id, Organization.name, Organization.sector, Organization.level,
        Organization.adcode,
    ).order_by(Organization.id)  # fmt: skip
    member_query = (
        select(Matrix.id, Matrix.name, MatrixMember.account_id)
        .join(MatrixMember, MatrixMember.matrix_id == Matrix.id)
        .order_by(Matrix.id, MatrixMember.account_id)
    )
    if account_ids is None:
        rows = list(session.execute(query).all())
        org_rows = list(session.execute(org_query).all())
        member_rows = list(session.execute(member_query).all())
    else:
        wanted = sorted(set(account_ids))
        rows = _where_in(session, query, Account.id, wanted, key=lambda r: r[0])
        org_ids = sorted({r[4] for r in rows if r[4] is not None})
        org_rows = _where_in(session, org_query, Organization.id, org_ids, key=lambda r: r[0])
        member_rows = _where_in(
            session, member_query, MatrixMember.account_id, wanted, key=lambda r: (r[0], r[2])
        )
    parts = region_parts([r[8] or r[9] for r in rows] + [r[4] for r in org_rows])
    accounts = [
        {
            "account_id": r[0], "platform": r[1], "uid": r[2], "name": r[3],
            "organization_id": r[4], "org_name": r[5], "sector": r[6] or UNKNOWN,
            "level": r[7] or UNKNOWN, "adcode": r[8] or r[9],
            "province": parts.get(r[8] or r[9] or "", (None, None))[0],
            "city": parts.get(r[8] or r[9] or "", (None, None))[1], "followers": r[10],
        }
        for r in rows
    ]  # fmt: skip
    organizations = [
        {
            "organization_id": r[0], "name": r[1], "sector": r[2], "level": r[3],
            "adcode": r[4], "province": parts.get(r[4] or "", (None, None))[0],
            "city": parts.get(r[4] or "", (None, None))[1],
        }
        for r in org_rows
    ]  # fmt: skip
    members = [{"matrix_id": r[0], "matrix_name": r[1], "account_id": r[2]} for r in member_rows]
    return Dimensions(
        accounts=pa.Table.from_pylist(accounts, schema=ACCOUNTS_SCHEMA),
        organizations=pa.Table.from_pylist(organizations, schema=ORGANIZATIONS_SCHEMA),
        members=pa.Table.from_pylist(members, schema=MEMBERS_SCHEMA),
        regions=region_names(c for pair in parts.values() for c in pair),
    )


def region_names(adcodes: Iterable[str | None]) -> pa.Table:
    """Return an (adcode, name) Arrow table for the given division codes."""
    from zhengwu.regions import get

    rows = []
    for code in sorted({c for c in adcodes if c}):
        division = get(code)
        rows.append({"adcode": code, "name": division.name if division else code})
    return pa.Table.from_pylist(rows, schema=REGIONS_SCHEMA)


# The columns the compliance gate reports (:func:`zhengwu.index.compliance.report`).
CHECKED_SCHEMA = pa.schema(
    [
        ("account_id", pa.int64()),
        ("platform", pa.string()),
        ("uid", pa.string()),
        ("name", pa.string()),
        ("org_name", pa.string()),
        ("sector", pa.string()),
        ("level", pa.string()),
    ]
)
BATCH_ROWS = 20_000


def checked_accounts(
    session: Session, *, among: Select[Any] | None = None, names: bool = True
) -> pa.Table:
    """Return the accounts the compliance gate checks, as an Arrow table of :data:`CHECKED_SCHEMA`.

    The same accounts as :func:`load_dimensions` (government, active), optionally only those
    whose id is in the SELECT ``among`` (a matrix's members, the accounts a user may read):
    the filter runs in SQL and the rows come in batches of :data:`BATCH_ROWS` straight into
    Arrow, so a national registry (180,000 accounts) never lives as Python objects at once.

    ``names=False`` reads only the id, platform and uid (what the gate evaluates; the other
    columns are null): a caller that shows one page of the report reads that page's names
    afterwards with :func:`checked_names`, not 180,000 accounts' names and organisations.
    """
    query = _checked_query(names)
    if among is not None:
        query = query.where(Account.id.in_(among))
    if names:
        return arrow_rows(session, query, CHECKED_SCHEMA)
    return _without_names(arrow_rows(session, query, _KEYS_SCHEMA))


_KEYS_SCHEMA = pa.schema(list(CHECKED_SCHEMA)[:3])


def _without_names(keys: pa.Table) -> pa.Table:
    """Return ``keys`` (id, platform, uid) as a table of :data:`CHECKED_SCHEMA`, the other
    columns null."""
    for f in list(CHECKED_SCHEMA)[3:]:
        keys = keys.append_column(f, pa.nulls(keys.num_rows, f.type))
    return keys


def member_keys(session: Session, parts: Sequence[Select[Any]]) -> tuple[pa.Table, dict[str, int]]:
    """Return the accounts among ``parts`` the compliance gate checks, as
    ``checked_accounts(among=…, names=False)`` does, and how many accounts ``parts`` hold on
    each platform, checked or not — from one read of them.

    ``parts`` are SELECTs of account ids with none in common (a matrix's subtree:
    :func:`zhengwu.index.access.matrix_account_parts`), each read on its own. A matrix page
    needs both answers for its subtree's accounts, and reading them is the cost (a national
    matrix: 180,000 accounts, 0.2–0.3 s of PostgreSQL), so they are read once, with a flag
    for the gate's condition. The rows are in no particular order (the report orders its own).
    """
    columns = (Account.id, Account.platform, Account.uid, case((_gate_condition(), 1), else_=0))
    query = union_all(*(select(*columns).where(Account.id.in_(part)) for part in parts))
    rows = arrow_rows(session, query, _KEYS_SCHEMA.append(pa.field("checked", pa.int8())))
    counts = rows.group_by("platform").aggregate([("platform", "count")])
    platforms = zip(counts["platform"].to_pylist(), counts["platform_count"].to_pylist(),
                    strict=True)  # fmt: skip
    keys = rows.filter(pc.equal(rows["checked"], 1)).select(_KEYS_SCHEMA.names)
    return _without_names(keys), {str(p): int(n) for p, n in platforms}


def checked_names(session: Session, ids: Iterable[int]) -> dict[int, tuple[Any, ...]]:
    """Return account id → (name, org_name, sector, level) of :func:`checked_accounts`."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    query = _checked_query(True).where(Account.id.in_(wanted))
    return {int(r[0]): tuple(r[3:]) for r in session.execute(query)}


def _checked_query(names: bool) -> Select[*tuple[Any, ...]]:
    """Return the SELECT of the checked accounts: every column of :data:`CHECKED_SCHEMA`,
    or (``names=False``) the first three without the organisations' join."""
    query: Select[*tuple[Any, ...]] = (
        select(
            Account.id, Account.platform, Account.uid, Account.name, Organization.name,
            func.coalesce(func.nullif(Organization.sector, ""), UNKNOWN),
            func.coalesce(func.nullif(Organization.level, ""), UNKNOWN),
        )
        .outerjoin(Organization, Organization.id == Account.organization_id)
        if names
        else select(Account.id, Account.platform, Account.uid)
    )  # fmt: skip
    return query.where(_gate_condition()).order_by(Account.id)


def _gate_condition() -> ColumnElement[bool]:
    """Return the WHERE of the accounts the compliance gate checks: government ones (flagged
    so, or run by a body) that are active."""
    return and_(
        or_(Account.is_government.is_(True), Account.organization_id.is_not(None)),
        Account.status == "active",
    )


def arrow_rows(
    session: Session, query: Select[*tuple[Any, ...]] | CompoundSelect[Any], schema: pa.Schema
) -> pa.Table:
    """Return the rows of ``query`` (its columns in ``schema``'s order) as an Arrow table.

    On PostgreSQL the rows come by ``COPY … TO STDOUT`` as CSV, parsed by Arrow; elsewhere
    in batches of :data:`BATCH_ROWS`, each batch turned into columns at once. Either way a
    national result (180,000 accounts) is never held as Python rows all together: the ORM
    path took 4.5 s for it, ``COPY`` a few tenths.
    """
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        return _copy_rows(conn, query, schema)
    result = conn.execution_options(yield_per=BATCH_ROWS).execute(query)
    batches = [
        pa.RecordBatch.from_arrays(
            [
                pa.array(column, type=f.type)
                for column, f in zip(zip(*rows, strict=True), schema, strict=True)
            ],
            schema=schema,
        )
        for rows in result.partitions()
        if rows
    ]
    return pa.Table.from_batches(batches, schema=schema)


def _copy_rows(
    conn: Connection, query: Select[*tuple[Any, ...]] | CompoundSelect[Any], schema: pa.Schema
) -> pa.Table:
    """Run ``query`` as PostgreSQL ``COPY (…) TO STDOUT`` in the session's transaction."""
    # Only ids and constants are bound in these queries: inlined as SQL literals.
    sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    dbapi: Any = conn.connection.dbapi_connection  # psycopg 3's connection
    out = io.BytesIO()
    with dbapi.cursor() as cur, cur.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)") as copy:
        for chunk in copy:
            out.write(chunk)
    if not out.tell():
        return schema.empty_table()
    out.seek(0)
    # NULL is an empty unquoted field, an empty string a quoted one ("").
    return pa_csv.read_csv(
        out,
        read_options=pa_csv.ReadOptions(column_names=schema.names),
        convert_options=pa_csv.ConvertOptions(
            column_types=schema, null_values=[""], strings_can_be_null=True,
            quoted_strings_can_be_null=False,
        ),
    ).select(schema.names).cast(schema)  # fmt: skip
