"""矩阵概览: a matrix's accounts by platform, compliance, request rates, incidents, tree."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhengwu import regions
from zhengwu.accounts import service as accounts_service
from zhengwu.accounts.models import Account, Matrix
from zhengwu.auth.principal import Principal
from zhengwu.errors import ForbiddenError, NotFoundError
from zhengwu.index.compliance import REASONS_ZH
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.models import HelpRequest
from zhengwu.servicedesk import access as desk_access
from zhengwu.servicedesk import rates
from zhengwu.servicedesk.models import ServiceRequest
from zhengwu.web import charts
from zhengwu.web.console import analytics
from zhengwu.web.console.base import CHINA, ConsoleDB, ConsoleRoute, Viewer, render, require
from zhengwu.web.console.places import grid_cells

router = APIRouter(prefix="/console/matrix", route_class=ConsoleRoute, include_in_schema=False)
PLATFORM_LABELS = {"weibo": "微博", "wechat": "微信", "douyin": "抖音", "all": "跨平台（机构）"}


def _children(session: Session) -> dict[int | None, list[Matrix]]:
    tree: dict[int | None, list[Matrix]] = {}
    for matrix in session.scalars(select(Matrix).order_by(Matrix.name, Matrix.id)):
        tree.setdefault(matrix.parent_id, []).append(matrix)
    return tree


def _subtree(tree: dict[int | None, list[Matrix]], root: Matrix) -> list[tuple[int, Matrix]]:
    """Return ``root`` and its descendants with their depth, depth first."""
    out: list[tuple[int, Matrix]] = []
    seen: set[int] = set()

    def walk(matrix: Matrix, depth: int) -> None:
        if matrix.id in seen:  # a cycle in bad data must not hang the page
            return
        seen.add(matrix.id)
        out.append((depth, matrix))
        for child in tree.get(matrix.id, []):
            walk(child, depth + 1)

    walk(root, 0)
    return out


def oversees(session: Session, principal: Principal, matrix: Matrix) -> bool:
    """Return whether ``principal`` oversees ``matrix`` (its own matrix or one below it)."""
    if principal.role == "admin":
        return True
    if principal.role != "matrix_office" or principal.matrix_id is None:
        return False
    own = session.get(Matrix, principal.matrix_id)
    if own is None:
        return False
    return matrix.id in {m.id for _, m in _subtree(_children(session), own)}


def get_overseen(session: Session, principal: Principal, matrix_id: int) -> Matrix:
    """Return the matrix ``matrix_id`` if ``principal`` oversees it (404 / 403 otherwise)."""
    matrix = session.get(Matrix, matrix_id)
    if matrix is None:
        raise NotFoundError(f"矩阵不存在：{matrix_id}", f"no such matrix: {matrix_id}")
    if not oversees(session, principal, matrix):
        raise ForbiddenError("这不是您管理的矩阵", "this matrix is not one you oversee")
    return matrix


@router.get("", response_class=HTMLResponse)
def matrices(request: Request, db: ConsoleDB, principal: Viewer) -> Response:
    """List the matrices (admin) or open the office's own matrix."""
    require(principal, "matrix")
    if principal.role == "matrix_office" and principal.matrix_id is not None:
        return RedirectResponse(f"/console/matrix/{principal.matrix_id}", status_code=303)
    tree = _children(db)
    roots = list(tree.get(None, []))
    known = {m.id for ms in tree.values() for m in ms}
    # Matrices whose parent is missing are roots too (nothing may disappear from the list).
    roots += [m for pid, ms in tree.items() if pid is not None and pid not in known for m in ms]
    rows = [row for root in roots for row in _subtree(tree, root)]
    return render(request, "matrix_list.html", area="matrix", rows=rows)


def _rates_row(db: Session, matrix: Matrix, period: str) -> rates.RateRow | None:
    start, end = rates.period_bounds(period)
    found = rates.compute(db, start=start, end=end, by="matrix")
    return next((r for r in found if r.key == str(matrix.id)), None)


def _compliance(
    db: Session, members: list[tuple[Account, str]]
) -> tuple[analytics.Check, dict[str, Any]]:
    with analytics.analytics() as con:
        check = analytics.latest_check(con)
        report = analytics.compliance_report(db, con, [a.id for a, _ in members], check)
    return check, report


def _map(db: Session, principal: Principal, matrix: Matrix, period: str) -> str:
    start, end = rates.period_bounds(period)
    query = desk_access.readable_requests(principal).where(
        ServiceRequest.received_at >= start, ServiceRequest.received_at < end
    )
    request_codes = [r.adcode for r in db.scalars(query)]
    help_codes: list[str | None] = []
    for incident in rescue_service.list_incidents(db, status="active"):
        help_codes += list(
            db.scalars(select(HelpRequest.adcode).where(HelpRequest.incident_id == incident.id))
        )
    cells = grid_cells(matrix.adcode, request_codes, help_codes)
    return charts.county_grid(cells, title=f"{matrix.name}：各区县诉求与求助（{period}）")


@router.get("/{matrix_id}", response_class=HTMLResponse)
def overview(
    request: Request, db: ConsoleDB, principal: Viewer, matrix_id: int, period: str | None = None
) -> HTMLResponse:
    """Show a matrix: accounts by platform, compliance gate, request rates, incidents, tree."""
    require(principal, "matrix")
    matrix = get_overseen(db, principal, matrix_id)
    period = period or f"{datetime.now(CHINA):%Y-%m}"
    tree = _subtree(_children(db), matrix)
    members_of = {m.id: accounts_service.matrix_members(db, m) for _, m in tree}
    members = members_of[matrix.id]
    by_platform = Counter(a.platform for a, _ in members)
    check, report = _compliance(db, members)
    rows = report["rows"]
    active = sum(1 for r in rows if r["posts_in_window"] > 0)
    failing = [r for r in rows if r["status"] == "fail"]
    status_chart = charts.bar_chart(
        [("活跃 active", active), ("休眠 dormant", len(rows) - active),
         ("未通过合规 failing", len(failing))],
        title="账号状态（合规检查）", color=charts.PALETTE[2],
    )  # fmt: skip
    platform_chart = charts.bar_chart(
        [(PLATFORM_LABELS.get(p, p), n) for p, n in by_platform.most_common()],
        title="各平台账号数",
    )
    lead = db.get(Account, matrix.lead_account_id) if matrix.lead_account_id else None
    division = regions.get(matrix.adcode) if matrix.adcode else None
    account_ids = {(a.platform, a.uid): a.id for a, _ in members}
    return render(
        request, "matrix.html", area="matrix", matrix=matrix, lead=lead, division=division,
        tree=tree, members_of=members_of, members=members, by_platform=by_platform,
        platform_labels=PLATFORM_LABELS, check=check, report=report, active=active,
        failing=failing, reasons_zh=REASONS_ZH, account_ids=account_ids,
        status_chart=status_chart, platform_chart=platform_chart, period=period,
        rates=_rates_row(db, matrix, period),
        incidents=rescue_service.list_incidents(db, status="active"),
        county_map=_map(db, principal, matrix, period),
    )  # fmt: skip
