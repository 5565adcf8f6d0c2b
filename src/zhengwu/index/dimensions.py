"""Account dimensions from the operational DB, handed to DuckDB as Arrow tables.

DuckDB cannot attach SQLite or PostgreSQL here (no extension downloads), so the few
hundred thousand rows of accounts, organisations and matrix memberships are read once with
SQLAlchemy and registered in DuckDB as Arrow tables. Province and city come from the
account's adcode (else its organisation's) through the division table, once per distinct
code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
from sqlalchemy import Select, or_, select
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
