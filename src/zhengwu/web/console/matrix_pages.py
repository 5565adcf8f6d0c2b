"""矩阵概览: a matrix's accounts by platform, compliance, request rates, incidents, tree."""

from __future__ import annotations

import io
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

import pyarrow as pa
from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhengwu import regions
from zhengwu.accounts import access
from zhengwu.accounts import service as accounts_service
from zhengwu.accounts.models import Account, Matrix
from zhengwu.auth.principal import Principal
from zhengwu.errors import ForbiddenError, InvalidInputError, NotFoundError, ZhengwuError
from zhengwu.index import access as index_access
from zhengwu.index import dimensions, export
from zhengwu.index.compliance import REASONS_ZH, newest_post_day
from zhengwu.rescue import service as rescue_service
from zhengwu.servicedesk import kept_uploads, rates, upload
from zhengwu.web import charts
from zhengwu.web.console import analytics, places
from zhengwu.web.console.base import (
    CHINA,
    ConsoleDB,
    ConsoleRoute,
    Pager,
    Viewer,
    Writer,
    file_download,
    int_or_none,
    render,
    require,
)
from zhengwu.web.gate import before_body, path_int

router = APIRouter(prefix="/console/matrix", route_class=ConsoleRoute, include_in_schema=False)
PLATFORM_LABELS = {"weibo": "微博", "wechat": "微信", "douyin": "抖音", "all": "跨平台（机构）"}
KIND_LABELS = {"regional": "区域矩阵", "vertical": "垂直矩阵"}
ROLE_LABELS = {"member": "成员", "lead": "牵头"}
CANDIDATES = 20
# Rows per page of the member and failing-account tables: a national matrix has thousands
# of members, and one row each (with its remove form) made a page of megabytes.
MEMBER_PAGE = 100
# Matrices per page of one level of the tree (the top level, or one matrix's sub-matrices).
TREE_PAGE = 100
# What the compliance check of a matrix page (and its export, and the compliance API's
# ``?matrix=``) covers.
SCOPE_LABEL = (
    "本矩阵及其全部下级矩阵的成员账号 / the members of this matrix and of every matrix below it"
)


def _children(session: Session, root: Matrix) -> dict[int | None, list[Matrix]]:
    """Return the matrices of ``root``'s subtree by parent, each level in the tree's order
    (:func:`zhengwu.accounts.service.tree_order`: regional first, by level, by name).

    Only the subtree is read (a recursive CTE), not every matrix of the country.
    """
    tree: dict[int | None, list[Matrix]] = {}
    below = select(Matrix).where(Matrix.id.in_(access.subtree_ids(root.id)))
    for matrix in session.scalars(below.order_by(*accounts_service.tree_order())):
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
    return access.can_manage_matrix(session, principal, matrix)


def get_overseen(session: Session, principal: Principal, matrix_id: int) -> Matrix:
    """Return the matrix ``matrix_id`` if ``principal`` oversees it (404 / 403 otherwise)."""
    return access.get_manageable_matrix(session, principal, matrix_id)


@router.get("", response_class=HTMLResponse)
def matrices(
    request: Request, db: ConsoleDB, principal: Viewer,
    parent: Annotated[int | None, Query()] = None, offset: Annotated[int, Query()] = 0,
) -> Response:  # fmt: skip
    """List one level of the matrix tree (admin) or open the office's own matrix.

    The top level first, 100 a page; ``parent`` lists the sub-matrices of one matrix. With
    JavaScript the page expands a matrix in place from ``GET /api/matrices?parent_id=``.
    """
    require(principal, "matrix")
    if principal.role == "matrix_office" and principal.matrix_id is not None:
        return RedirectResponse(f"/console/matrix/{principal.matrix_id}", status_code=303)
    return _list_page(request, db, principal, parent_id=parent, offset=offset)


def _list_page(
    request: Request, db: Session, principal: Principal, *, error: ZhengwuError | None = None,
    values: dict[str, str] | None = None, parent_id: int | None = None, offset: int = 0,
) -> HTMLResponse:  # fmt: skip
    """Render one level of the tree: a page of matrices with their member and child counts.

    A national tree has hundreds of thousands of matrices: the page never reads more than
    one page of one level (counted, sorted and cut in the database).
    """
    parent = get_overseen(db, principal, parent_id) if parent_id is not None else None
    query = access.manageable_matrices(principal)
    total = accounts_service.matrix_page(
        db, query=query, parent_id=parent_id, top=parent is None, limit=1
    )[0]
    pager = Pager(total=total, offset=offset, size=TREE_PAGE,
                  params={"parent": parent_id}, anchor="tree")  # fmt: skip
    _, found = accounts_service.matrix_page(
        db, query=query, parent_id=parent_id, top=parent is None, limit=TREE_PAGE,
        offset=pager.offset,
    )  # fmt: skip
    ids = [m.id for m in found]
    among = None if principal.role == "admin" else access.manageable_matrix_ids(principal)
    members = accounts_service.member_counts(db, ids) if ids else {}
    children = accounts_service.child_counts(db, ids, among=among) if ids else {}
    rows = [(m, members.get(m.id, 0), children.get(m.id, 0)) for m in found]
    return render(
        request, "matrix_list.html", area="matrix", rows=rows, pager=pager, parent=parent,
        trail=_ancestors(db, parent), error=error, values=values or {}, kinds=KIND_LABELS,
        status_code=error.status_code if error else 200,
    )  # fmt: skip


def _ancestors(db: Session, matrix: Matrix | None) -> list[Matrix]:
    """Return the matrices above ``matrix``, the top first (for the page's trail)."""
    return accounts_service.ancestors(db, matrix) if matrix is not None else []


@router.post("", response_class=HTMLResponse)
def create_top(
    request: Request, db: ConsoleDB, principal: Writer, name: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "regional", adcode: Annotated[str, Form()] = "",
    sector: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    """Create a top-level matrix (admin); errors come back in the form."""
    require(principal, "matrix")
    try:
        parent = access.require_parent(db, principal, None)
        matrix = accounts_service.create_matrix(db, name=name, kind=kind, parent=parent,
                                                actor=principal, adcode=adcode, sector=sector)  # fmt: skip
    except ZhengwuError as exc:
        db.rollback()
        values = {"name": name, "kind": kind, "adcode": adcode, "sector": sector}
        return _list_page(request, db, principal, error=exc, values=values)
    return RedirectResponse(f"/console/matrix/{matrix.id}?done=matrix-created", status_code=303)


def _member_counts(db: Session, matrix_ids: list[int]) -> dict[int, int]:
    """Return how many member accounts each of ``matrix_ids`` has (one query)."""
    return accounts_service.member_counts(db, matrix_ids)


def _member_page(
    db: Session, matrix: Matrix, text: str, offset: int, path: str, kept: dict[str, Any]
) -> tuple[Pager, list[tuple[Account, str]]]:
    """Return the pager and rows of the member table (name or UID contains ``text``).

    Counted, ordered and cut in SQL; an offset past the end shows the last page.
    """
    total, rows = accounts_service.member_page(db, matrix.id, q=text, limit=MEMBER_PAGE,
                                               offset=offset)  # fmt: skip
    pager = Pager(total=total, offset=offset, size=MEMBER_PAGE, key="moffset", params=kept,
                  anchor="members", path=path)  # fmt: skip
    if pager.offset != offset:
        _, rows = accounts_service.member_page(db, matrix.id, q=text, limit=MEMBER_PAGE,
                                               offset=pager.offset)  # fmt: skip
    return pager, rows


def _desk_figures(db: Session, matrix: Matrix, period: str) -> rates.MatrixFigures:
    """Return ``matrix``'s row of the desk's rates in ``period`` (its subtree's) and the same
    requests by place, for its map: one read of those requests (:func:`rates.matrix_figures`)."""
    start, end = rates.period_bounds(period)
    return rates.matrix_figures(db, matrix, start=start, end=end)


def _compliance(
    db: Session, matrix: Matrix, offset: int
) -> tuple[analytics.Check, dict[str, Any], dict[str, int]]:
    """Return the check and the compliance report of ``matrix``'s accounts — its members
    and those of every matrix below it (:func:`_checked`) — and how many of those accounts
    each platform has, checked or not.

    The summary covers every such account; ``rows`` are one page of the failing ones
    (:data:`MEMBER_PAGE` from ``offset``), evaluated, counted and cut in DuckDB, each with
    the matrices of the subtree it sits in (``matrices``).
    """
    keys, platforms = _checked(db, matrix)
    with analytics.analytics() as con:
        check = analytics.latest_check(con, sorted(platforms) or None)
        report = analytics.compliance_report(db, con, keys, check, failing_only=True,
                                             limit=MEMBER_PAGE, offset=offset)  # fmt: skip
        last = max(report["failing"] - 1, 0) // MEMBER_PAGE * MEMBER_PAGE
        if offset > last:  # a stale link past the end: the last page
            report = analytics.compliance_report(db, con, keys, check, failing_only=True,
                                                 limit=MEMBER_PAGE, offset=last)  # fmt: skip
        report["data_until"] = _stale_data(con, check, report, platforms)
    index_access.name_matrices(db, report, matrix.id)
    return check, report, platforms


def _stale_data(
    con: Any, check: analytics.Check, report: dict[str, Any], platforms: dict[str, int]
) -> Any:
    """Return the day of the newest stored post when, with no index run, today's check
    window holds no post at all (imported history: every account would be 休眠 only because
    the data stops), else None; the page then says to run ``zhengwu index run``."""
    if check.run_id is not None or not platforms:
        return None
    start = check.check_date - timedelta(days=int(report["window_days"]) - 1)
    newest = newest_post_day(con, tuple(sorted(platforms)), on_or_after=start)
    return newest if newest is not None and newest < start else None


def _checked(db: Session, matrix: Matrix) -> tuple[pa.Table, dict[str, int]]:
    """Return the keys of the accounts ``matrix``'s compliance check covers — the members
    of the matrix and of every matrix below it: the office's responsibility, and what
    ``GET /api/index/compliance?matrix=`` and ``zhengwu index compliance --matrix`` check
    (:func:`zhengwu.index.access.matrix_account_ids`) — and how many of the subtree's
    accounts each platform has, checked or not: one read of the subtree's accounts, in
    its two parts (:func:`zhengwu.index.access.matrix_account_parts`)."""
    return dimensions.member_keys(db, index_access.matrix_account_parts(matrix.id))


FAILING_COLUMNS = (
    ("platform", "平台"), ("account_uid", "账号"), ("name", "名称"), ("matrices", "所属矩阵"),
    ("org_name", "机构"), ("sector", "系统"), ("level", "层级"),
    ("posts_in_window", "窗口内发文"), ("last_post_at", "最后发文"), ("reasons", "原因"),
    ("check_date", "检查日期"), ("window_days", "检查窗口（天）"),
)  # fmt: skip


def _failing_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the failing accounts of a compliance report as export rows (FAILING_COLUMNS)."""
    return [
        {
            "platform": PLATFORM_LABELS.get(r["platform"], r["platform"]),
            "account_uid": r["uid"], "name": r["name"], "matrices": "、".join(m["name"] for m in r["matrices"]),
            "org_name": r["org_name"], "sector": r["sector"], "level": r["level"],
            "posts_in_window": r["posts_in_window"],
            "last_post_at": (f"{r['last_post_at']:%Y-%m-%d %H:%M}" if r["last_post_at"]
                             else "从未发文"),
            "reasons": "；".join(REASONS_ZH.get(x, x) for x in r["reasons"] or []),
            "check_date": report["check_date"], "window_days": report["window_days"],
        }
        for r in report["rows"]
    ]  # fmt: skip


def _map(
    db: Session, principal: Principal, matrix: Matrix, period: str,
    requests: Counter[str | None],
) -> dict[str, Any]:  # fmt: skip
    """Return the map of ``matrix``'s requests in ``period`` — ``requests``: those its 受理量
    counts, by place (:func:`zhengwu.servicedesk.rates.matrix_figures`) — and of the help
    requests of every active incident, counted in SQL: the SVG (``county_map``), what its cells are
    (``map_label``), the counts it cannot draw as a tile, listed beside it (``map_unplaced``:
    located only to the region itself, outside it, an unknown code, no place), the links of
    those (``map_beside_links``) and whether any count is a link (``map_links``).

    One rule for every matrix page, the viewer's own matrix or one below it: the map is the
    matrix's whole map (its region, or drawn nationwide without one) and nothing it counts
    is dropped, so its tiles and what is listed beside them total the 受理量 next to it.

    Each count opens the map of its own kind on its division: the 诉求 count the request
    map of this matrix (``/console/map?matrix=``) in the same period, where the viewer may
    open it (a matrix office only inside its own matrix's area), the 求助 count the help map
    of every active incident — the very requests it counts — for the roles that read help
    maps.
    """
    counted = places.counted_map(matrix.adcode, requests, places.help_adcodes(db), whole=True)
    codes = [c.adcode for c in counted.cells]
    beside_codes = [u.adcode for u in counted.unplaced if u.adcode]
    links: dict[str, dict[str, str]] = {}
    beside: dict[str, dict[str, str]] = {}
    of_matrix: dict[str, str | int] = {"tab": "requests", "period": period, "matrix": matrix.id}
    kinds = (
        ("requests", places.REQUEST_MAP_ROLES, of_matrix, places.own_area(db, principal)),
        ("help", places.HELP_MAP_ROLES, {"tab": "help", "incident": "active"}, None),
    )
    for kind, roles, params, own in kinds:
        if principal.has_role(*roles):
            links[kind] = places.map_links(codes, params, own=own)
            beside[kind] = places.map_links(beside_codes, params, own=own)
    label = places.cells_label(counted.cells)
    title = f"{matrix.name}：{label}诉求与求助（{period}）"
    return {
        "county_map": charts.county_grid(counted.cells, title=title, count_links=links),
        "map_label": label, "map_links": any(links.values()), "map_unplaced": counted.unplaced,
        "map_beside_links": beside, "map_requests": counted.total("requests"),
    }  # fmt: skip


def _parent_options(db: Session, principal: Principal, matrix: Matrix) -> list[tuple[int, str]]:
    """Return where ``matrix`` may be moved: the caller's matrices outside its own subtree."""
    below = accounts_service.descendant_ids(db, matrix)
    found = [m for m in db.scalars(access.manageable_matrices(principal)) if m.id not in below]
    return [(n.matrix.id, "　" * depth + n.matrix.name)
            for root in accounts_service.matrix_tree(db, found) for depth, n in root.walk()]  # fmt: skip


def _overview(
    request: Request, db: Session, principal: Principal, matrix: Matrix, period: str | None = None,
    *, failed: str | None = None, error: ZhengwuError | None = None,
    values: dict[str, str] | None = None, status_code: int | None = None,
    member_q: str = "", member_offset: int = 0, failing_offset: int = 0, **extra: Any,
) -> HTMLResponse:  # fmt: skip
    asked = period
    latest = None if period else rates.latest_readable_month(db, principal)
    period = period or latest or f"{datetime.now(CHINA):%Y-%m}"
    tree = _subtree(_children(db, matrix), matrix)
    desk = _desk_figures(db, matrix, period)
    county_map = _map(db, principal, matrix, period, desk.adcodes)
    # The tree shows counts only: each sub-matrix's members are on its own (paged) page.
    member_counts = _member_counts(db, [m.id for _, m in tree])
    n_members = member_counts.get(matrix.id, 0)
    by_platform = Counter(accounts_service.member_platforms(db, matrix.id))
    # The compliance check covers the subtree's accounts (the office's responsibility).
    check, report, checked = _compliance(db, matrix, failing_offset)
    active = report["active"]
    status_chart = charts.bar_chart(
        [("活跃 active", active), ("休眠 dormant", report["accounts"] - active),
         ("未通过合规 failing", report["failing"])],
        title="账号状态（合规检查）", color=charts.PALETTE[2],
    )  # fmt: skip
    platform_chart = charts.bar_chart(
        [(PLATFORM_LABELS.get(p, p), n) for p, n in by_platform.most_common()],
        title="各平台账号数",
    )
    lead = db.get(Account, matrix.lead_account_id) if matrix.lead_account_id else None
    division = regions.get(matrix.adcode) if matrix.adcode else None
    may_manage = access.can_manage_matrix(db, principal, matrix)
    may_move = may_manage and access.can_move_matrix(db, principal, matrix)
    parent = db.get(Matrix, matrix.parent_id) if matrix.parent_id else None
    # Both paged tables keep the period, the member search and each other's page.
    kept = {"period": asked, "mq": member_q.strip(), "moffset": member_offset or None,
            "foffset": failing_offset or None}  # fmt: skip
    path = f"/console/matrix/{matrix.id}"
    member_pager, member_rows = _member_page(db, matrix, member_q, member_offset, path, kept)
    failing_pager = Pager(total=report["failing"], offset=failing_offset, size=MEMBER_PAGE,
                          key="foffset", params=kept, anchor="compliance", path=path)  # fmt: skip
    return render(
        request, "matrix.html", area="matrix", matrix=matrix, lead=lead, division=division,
        tree=tree, member_counts=member_counts, n_members=n_members, by_platform=by_platform,
        n_checked=sum(checked.values()),
        member_rows=member_rows, member_pager=member_pager, member_q=member_q.strip(),
        failing_rows=report["rows"], failing_pager=failing_pager, asked_period=asked,
        platform_labels=PLATFORM_LABELS, check=check, report=report, active=active,
        reasons_zh=REASONS_ZH,
        status_chart=status_chart, platform_chart=platform_chart, period=period,
        period_is_latest=latest is not None,
        rates=desk.row,
        incidents=rescue_service.list_incidents(db, status="active"),
        **county_map,
        may_manage=may_manage, may_move=may_move, parent=parent,
        parent_options=_parent_options(db, principal, matrix) if may_move else [],
        top_level=principal.role == "admin", kinds=KIND_LABELS, member_roles=ROLE_LABELS,
        failed=failed, error=error, values=values or {},
        status_code=status_code or (error.status_code if error else 200), **extra,
    )  # fmt: skip


@router.get("/{matrix_id}/compliance/export")
def export_failing(
    db: ConsoleDB, principal: Viewer, matrix_id: int,
    format: Literal["csv", "xlsx"] = "xlsx",
) -> Response:  # fmt: skip
    """Download the matrix's accounts failing the compliance check, every platform and every
    page of the table, as Excel or CSV: reasons, last post and the check's date and window."""
    require(principal, "matrix")
    matrix = get_overseen(db, principal, matrix_id)
    keys, platforms = _checked(db, matrix)
    with analytics.analytics() as con:
        check = analytics.latest_check(con, sorted(platforms) or None)
        report = analytics.compliance_report(db, con, keys, check, failing_only=True,
                                             limit=None)  # fmt: skip
    index_access.name_matrices(db, report, matrix.id)
    rows = _failing_rows(report)
    about = (
        ("矩阵 matrix", matrix.name), ("范围 scope", SCOPE_LABEL),
        ("检查日期 check_date", report["check_date"]),
        ("检查窗口 window_days", report["window_days"]),
        ("检查回复 reply_check", report["reply_check"]), ("指数运行 run_id", check.run_id or "—"),
        ("参与检查账号 accounts", report["accounts"]), ("未通过 failing", report["failing"]),
    )  # fmt: skip

    def write(path: Path) -> None:
        if format == "csv":
            export.table_csv(FAILING_COLUMNS, rows, path)
            return
        from openpyxl import Workbook

        book = Workbook()
        export.table_sheet(book, "未通过合规", FAILING_COLUMNS, rows)
        export.about_sheet(book, about)
        book.save(path)

    name = f"未通过合规_{matrix.name}_{report['check_date']}.{format}"
    return file_download(write, format, stem="failing", name=name)


@router.get("/{matrix_id}", response_class=HTMLResponse)
def overview(
    request: Request, db: ConsoleDB, principal: Viewer, matrix_id: int, period: str | None = None,
    mq: str = "", moffset: Annotated[int, Query(ge=0)] = 0,
    foffset: Annotated[int, Query(ge=0)] = 0,
) -> HTMLResponse:  # fmt: skip
    """Show a matrix: accounts by platform, compliance gate, request rates, incidents, tree.

    The member table is searched by ``mq`` (name or UID) and paged by ``moffset``; the
    failing accounts are paged by ``foffset``; :data:`MEMBER_PAGE` rows a page each.
    """
    require(principal, "matrix")
    matrix = get_overseen(db, principal, matrix_id)
    return _overview(request, db, principal, matrix, period, member_q=mq,
                     member_offset=moffset, failing_offset=foffset)  # fmt: skip


def _refused(
    request: Request, db: Session, principal: Principal, matrix_id: int, form: str,
    exc: ZhengwuError, values: dict[str, str], **extra: Any,
) -> HTMLResponse:  # fmt: skip
    # Nothing of the refused change may stay: roll back, then show the form again with why.
    db.rollback()
    matrix = get_overseen(db, principal, matrix_id)
    return _overview(request, db, principal, matrix, failed=form, error=exc, values=values,
                     **extra)  # fmt: skip


@router.post("/{matrix_id}/children", response_class=HTMLResponse)
def create_child(
    request: Request, db: ConsoleDB, principal: Writer, matrix_id: int,
    name: Annotated[str, Form()] = "", kind: Annotated[str, Form()] = "regional",
    adcode: Annotated[str, Form()] = "", sector: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    """Create a sub-matrix under this one; errors come back in the form."""
    require(principal, "matrix")
    parent = get_overseen(db, principal, matrix_id)
    try:
        child = accounts_service.create_matrix(db, name=name, kind=kind, parent=parent,
                                               actor=principal, adcode=adcode, sector=sector)  # fmt: skip
    except ZhengwuError as exc:
        values = {"name": name, "kind": kind, "adcode": adcode, "sector": sector}
        return _refused(request, db, principal, matrix_id, "create", exc, values)
    return RedirectResponse(f"/console/matrix/{child.id}?done=matrix-created", status_code=303)


@router.post("/{matrix_id}/edit", response_class=HTMLResponse)
def edit(
    request: Request, db: ConsoleDB, principal: Writer, matrix_id: int,
    name: Annotated[str, Form()] = "", kind: Annotated[str, Form()] = "",
    parent_id: Annotated[str | None, Form()] = None, sector: Annotated[str | None, Form()] = None,
) -> Response:  # fmt: skip
    """Rename, retype, set the sector of or move this matrix ("" parent: top level, admin)."""
    require(principal, "matrix")
    matrix = get_overseen(db, principal, matrix_id)
    try:
        # The form always sends the sector: only a changed one is a change.
        changed_sector = sector
        if sector is not None and (" ".join(sector.split()) or None) == matrix.sector:
            changed_sector = None
        access.require_retype(principal, matrix, kind=kind or None, sector=changed_sector)
        new_parent = int_or_none(parent_id) if parent_id is not None else matrix.parent_id
        move = parent_id is not None and new_parent != matrix.parent_id
        parent = None
        if move:
            if not access.can_move_matrix(db, principal, matrix):
                raise ForbiddenError(
                    "不能移动您自己的根矩阵", "an office may not move its own root"
                )
            parent = access.require_parent(db, principal, new_parent)
        accounts_service.update_matrix(db, matrix=matrix, actor=principal, name=name,
                                       kind=kind or None, sector=changed_sector, move=move,
                                       parent=parent)  # fmt: skip
    except ZhengwuError as exc:
        values = {"name": name, "kind": kind, "parent_id": parent_id or "",
                  "sector": sector or ""}  # fmt: skip
        return _refused(request, db, principal, matrix_id, "edit", exc, values)
    return RedirectResponse(f"/console/matrix/{matrix_id}?done=matrix-updated", status_code=303)


@router.post("/{matrix_id}/delete", response_class=HTMLResponse)
def delete(
    request: Request, db: ConsoleDB, principal: Writer, matrix_id: int,
    confirm: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    """Delete this matrix (no sub-matrices, not referenced); an office keeps its own root."""
    require(principal, "matrix")
    matrix = get_overseen(db, principal, matrix_id)
    parent_id = matrix.parent_id
    try:
        if not access.can_manage_matrix(db, principal, matrix) or not access.can_move_matrix(
            db, principal, matrix
        ):
            raise ForbiddenError(
                "不能删除此矩阵（您自己的根矩阵或无管理权限）",
                "you may not delete this matrix (your own root, or not yours to manage)",
            )
        if confirm != "yes":
            raise InvalidInputError("请勾选确认删除", "tick the box to confirm the deletion")
        accounts_service.delete_matrix(db, matrix=matrix, actor=principal)
    except ZhengwuError as exc:
        return _refused(request, db, principal, matrix_id, "delete", exc, {})
    target = f"/console/matrix/{parent_id}" if parent_id is not None else "/console/matrix"
    return RedirectResponse(f"{target}?done=matrix-deleted", status_code=303)


def _find_account(
    db: Session, principal: Principal, *, account_id: str, platform: str, uid: str, q: str
) -> Account | list[Account]:
    """Return the account a member form names, or the candidates of a name search.

    A name search offers only the accounts ``principal`` may add (its account scope), so
    it shows an office no account names from outside it.
    """
    if account_id.strip():
        found = db.get(Account, int_or_none(account_id))
        if found is None:
            raise NotFoundError(f"账号不存在：{account_id}", f"no such account: {account_id}")
        return found
    if uid.strip():
        if not platform.strip():
            raise InvalidInputError("请选择平台", "choose a platform")
        return accounts_service.get_account(db, platform=platform.strip(), uid=uid.strip())
    if not q.strip():
        raise InvalidInputError(
            "请填写平台和 UID，或输入账号名称搜索", "give a platform and uid, or a name to search"
        )
    query = select(Account).where(Account.name.contains(q.strip(), autoescape=True))
    if principal.role != "admin":
        query = query.where(Account.id.in_(access.addable_account_ids(db, principal)))
    if platform.strip():
        query = query.where(Account.platform == platform.strip())
    candidates = list(db.scalars(query.order_by(Account.name, Account.id).limit(CANDIDATES + 1)))
    if not candidates:
        raise NotFoundError(f"您可添加的账号中没有名称包含「{q.strip()}」的",
                            f"no account you may add has a name containing {q!r}")  # fmt: skip
    return candidates[0] if len(candidates) == 1 else candidates


@router.post("/{matrix_id}/members", response_class=HTMLResponse)
def add_member(
    request: Request, db: ConsoleDB, principal: Writer, matrix_id: int,
    account_id: Annotated[str, Form()] = "", platform: Annotated[str, Form()] = "",
    uid: Annotated[str, Form()] = "", q: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "member",
) -> Response:  # fmt: skip
    """Add a member by platform + UID, by id, or by a name search (several: choose one)."""
    require(principal, "matrix")
    matrix = get_overseen(db, principal, matrix_id)
    values = {"platform": platform, "uid": uid, "q": q, "role": role}
    try:
        found = _find_account(db, principal, account_id=account_id, platform=platform, uid=uid, q=q)
        if isinstance(found, list):
            return _overview(request, db, principal, matrix, failed="member", values=values,
                             candidates=found[:CANDIDATES], more=len(found) > CANDIDATES)  # fmt: skip
        outcome = accounts_service.add_member(db, matrix=matrix, account=found, role=role,
                                              actor=principal)  # fmt: skip
    except ZhengwuError as exc:
        return _refused(request, db, principal, matrix_id, "member", exc, values)
    done = "member-already" if outcome == "already" else "member-added"
    return RedirectResponse(f"/console/matrix/{matrix_id}?done={done}#members", status_code=303)


@router.post("/{matrix_id}/members/{account_id}/remove", response_class=HTMLResponse)
def remove_member(
    request: Request, db: ConsoleDB, principal: Writer, matrix_id: int, account_id: int,
    confirm: Annotated[str, Form()] = "", mq: Annotated[str, Form()] = "",
    moffset: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    """Take an account out of this matrix (the row's confirm box must be ticked).

    The member search and page it was removed from come back with the redirect.
    """
    require(principal, "matrix")
    matrix = get_overseen(db, principal, matrix_id)
    try:
        if confirm != "yes":
            raise InvalidInputError("请勾选确认移除", "tick the box to confirm the removal")
        account = db.get(Account, account_id)
        if account is None:
            raise NotFoundError(f"账号不存在：{account_id}", f"no such account: {account_id}")
        accounts_service.remove_member(db, matrix=matrix, account=account, actor=principal)
    except ZhengwuError as exc:
        return _refused(request, db, principal, matrix_id, "remove", exc, {}, member_q=mq,
                        member_offset=int_or_none(moffset) or 0)  # fmt: skip
    back = {"done": "member-removed", "mq": mq.strip(), "moffset": int_or_none(moffset) or ""}
    query = urlencode({k: v for k, v in back.items() if v})
    return RedirectResponse(f"/console/matrix/{matrix_id}?{query}#members", status_code=303)


def _may_import_members(session: Session, principal: Principal, request: Request) -> None:
    """Refuse a member list upload from anyone who does not oversee the matrix (before the
    list is read: :func:`zhengwu.web.gate.before_body`)."""
    require(principal, "matrix")
    get_overseen(session, principal, path_int(request, "matrix_id"))


@router.post("/{matrix_id}/import", response_class=HTMLResponse)
@before_body(_may_import_members)
async def import_members(
    request: Request, db: ConsoleDB, principal: Writer, matrix_id: int,
    file: Annotated[UploadFile | None, File()] = None,
    dry_run: Annotated[str, Form()] = "", checked: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    """Check (检查: the import in a savepoint, rolled back) or import a member list; the
    page comes back with the counts and every rejected row.

    A check keeps its copy for the user (``checked``: its token in the page's form,
    :mod:`zhengwu.servicedesk.kept_uploads`), for this matrix alone, so that 导入 — or
    another check — needs no file chosen again; a file chosen anew is read instead.
    """
    filename = (file.filename or "") if file is not None else ""
    stream = file.file if file is not None else io.BytesIO()  # none: refused as unchosen
    checking = dry_run == "1"

    def work() -> Response:
        require(principal, "matrix")
        matrix = get_overseen(db, principal, matrix_id)
        try:
            (report, shown), token = kept_uploads.checked_or_chosen(
                lambda path: (accounts_service.import_member_file(
                    db, matrix=matrix, path=path, actor=principal, dry_run=checking,
                ), path.name),
                kind=f"{accounts_service.MEMBERS_FORMAT}:{matrix.id}", owner=principal,
                filename=filename, checked=checked, dry_run=checking,
                saved=lambda: upload.saved_upload(stream, filename,
                                                  **accounts_service.MEMBER_LIST_UPLOAD),
            )  # fmt: skip
        except ZhengwuError as exc:
            return _refused(request, db, principal, matrix_id, "import", exc, {})
        db.flush()
        return _overview(request, db, principal, matrix, import_report=report, filename=shown,
                         checked=token, kept_minutes=kept_uploads.kept_minutes())  # fmt: skip

    return await run_in_threadpool(work)
