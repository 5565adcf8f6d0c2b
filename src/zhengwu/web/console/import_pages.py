"""设置 › 导入记录: the import runs, newest first, as ``zhengwu imports`` lists them.

Each run of ``zhengwu import``, ``zhengwu desk import-csv`` and the sheet imports (a hotline
export, a category tree, a routing table, a matrix's member list): its format, files, when
it ran, its counts, and the files it refused whole (a GBK CSV, a member of an archive not
in the format) with why, to fix and import again. The console has no quarantine page: a
run's quarantined records are listed by ``zhengwu quarantine --run N``, which the page
names. Only the admin opens it (the runs name files on the server from every area), from
a tile of the settings page the admin alone sees.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import func, select

from zhengwu.auth.principal import Principal
from zhengwu.errors import ForbiddenError
from zhengwu.ingest.models import ImportRun
from zhengwu.web.console.base import ConsoleDB, ConsoleRoute, Pager, Viewer, render, require

router = APIRouter(
    prefix="/console/settings/imports", route_class=ConsoleRoute, include_in_schema=False
)
PAGE = 50


def require_admin(principal: Principal) -> None:
    """Refuse everyone but the admin (403; a visitor is sent to the login first)."""
    require(principal, "settings")
    if principal.role != "admin":
        raise ForbiddenError(
            "只有平台管理员可以查看导入记录", "only the platform admin may see the import runs"
        )


@router.get("", response_class=HTMLResponse)
def import_runs(
    request: Request, db: ConsoleDB, principal: Viewer, offset: Annotated[int, Query(ge=0)] = 0
) -> HTMLResponse:
    """List the import runs newest first, with their counts and refused files; paged."""
    require_admin(principal)
    total = db.scalar(select(func.count()).select_from(ImportRun)) or 0
    pager = Pager(total=total, offset=offset, size=PAGE, anchor="import-runs")
    newest = select(ImportRun).order_by(ImportRun.id.desc())
    runs = list(db.scalars(newest.offset(pager.offset).limit(PAGE)))
    return render(request, "imports.html", area="settings", runs=runs, pager=pager)
