"""开通率 / 活跃率 of a matrix by sector and level: which bodies have an account on each
platform, and which of those accounts posted in a period.

The measures are the index's own (:func:`zhengwu.index.coverage.coverage`, as
``zhengwu index coverage`` prints them), over the matrix's bodies: those running its member
accounts and, for a matrix with a region, every body registered in that region — a body of
the region without an account in the matrix counts as not opened, so the rate says what an
office still has to bring in. Accounts are the matrix's members.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

import pyarrow as pa
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhengwu.accounts.models import Matrix, MatrixMember, Organization
from zhengwu.index import coverage, results
from zhengwu.index.dimensions import Dimensions, load_dimensions
from zhengwu.index.periods import parse_period
from zhengwu.index.system import DEFAULT_SYSTEM
from zhengwu.regions.codes import level_of
from zhengwu.web.console import analytics
from zhengwu.web.console.base import CHINA, ConsoleDB, ConsoleRoute, Viewer, render, require
from zhengwu.web.console.matrix_pages import PLATFORM_LABELS, get_overseen

router = APIRouter(prefix="/console/matrix", route_class=ConsoleRoute, include_in_schema=False)
PLATFORMS = ("weibo", "wechat", "douyin")
ALL = "全部"
# A level's place in the table: the nation down to the township.
LEVELS = ("中央", "省", "市", "县", "乡", ALL)


def _region_prefix(adcode: str) -> str:
    """Return the code prefix every division within ``adcode`` shares (6 digits for a county)."""
    level = level_of(adcode)
    return adcode[:2] if level == "province" else adcode[:4] if level == "city" else adcode


def matrix_dimensions(db: Session, matrix: Matrix) -> Dimensions:
    """Return the matrix's member accounts and its bodies (see the module) as dimensions."""
    member_ids = db.scalars(select(MatrixMember.account_id)
                            .where(MatrixMember.matrix_id == matrix.id)).all()  # fmt: skip
    dims = load_dimensions(db, account_ids=member_ids)
    if not matrix.adcode:
        return dims
    known = set(dims.organizations.column("organization_id").to_pylist())
    more = [
        {"organization_id": o.id, "name": o.name, "sector": o.sector, "level": o.level,
         "adcode": o.adcode, "province": None, "city": None}
        for o in db.scalars(select(Organization)
                            .where(Organization.adcode.startswith(_region_prefix(matrix.adcode)))
                            .order_by(Organization.id))
        if o.id not in known
    ]  # fmt: skip
    if not more:
        return dims
    extra = pa.Table.from_pylist(more, schema=dims.organizations.schema)
    return dataclasses.replace(dims, organizations=pa.concat_tables([dims.organizations, extra]))


def _table(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return one row per (sector, level) with its figures per platform, totals last."""
    by_key: dict[tuple[str, str], dict[str, Any]] = {}
    for r in rows:
        line = by_key.setdefault((r["sector"], r["level"]),
                                 {"sector": r["sector"], "level": r["level"], "platforms": {}})  # fmt: skip
        line["platforms"][r["platform"]] = r
        if r["platform"] == "any":
            line["organizations"] = r["organizations"]

    def order(key: tuple[str, str]) -> tuple[bool, str, int, str]:
        sector, level = key
        rank = LEVELS.index(level) if level in LEVELS else len(LEVELS) - 1
        return (sector == ALL, "" if sector == ALL else sector, rank, level)

    return [by_key[k] for k in sorted(by_key, key=order)]


@router.get("/{matrix_id}/coverage", response_class=HTMLResponse)
def matrix_coverage(
    request: Request, db: ConsoleDB, principal: Viewer, matrix_id: int, period: str = ""
) -> HTMLResponse:
    """Show a matrix's 开通率 and 活跃率 by sector and level, per platform, in ``period``
    (default: the period of the latest index run, else this month)."""
    require(principal, "matrix")
    matrix = get_overseen(db, principal, matrix_id)
    dims = matrix_dimensions(db, matrix)
    with analytics.analytics() as con:
        if not period:
            run = results.preferred_run(con, prefer=DEFAULT_SYSTEM)
            period = str(run["period"]) if run else f"{datetime.now(CHINA):%Y-%m}"
        chosen = parse_period(period)
        rows = coverage.coverage(con, dims, chosen, platforms=PLATFORMS)
    return render(
        request, "matrix_coverage.html", area="matrix", matrix=matrix, period=period,
        chosen=chosen, lines=_table(rows), platforms=PLATFORMS, platform_labels=PLATFORM_LABELS,
        members=dims.accounts.num_rows, bodies=dims.organizations.num_rows,
    )  # fmt: skip
