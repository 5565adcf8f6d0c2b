"""报告: the influence reports of stored runs — a console list and the HTML / PDF downloads.

``/console/reports`` lists every stored run (index readers) with its publication and
download links. ``/reports/{system}/{period}.html|.pdf`` renders a run's report once and
serves it from ``<data_dir>/reports/cache`` until the run is computed again:
index readers (admin, matrix office, operator) may download any stored run, everyone else —
the public included — a published run only (:mod:`zhengwu.reports.access`).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from zhengwu.config import get_settings
from zhengwu.index import access as index_access
from zhengwu.index import results
from zhengwu.reports import access, service
from zhengwu.reports.awards import load_awards
from zhengwu.web.console import analytics
from zhengwu.web.console.base import ConsoleDB, ConsoleRoute, Viewer, render, require

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)


def cache_dir() -> Path:
    """Return where rendered reports are kept (``<data_dir>/reports/cache``)."""
    return get_settings().data_dir / "reports" / "cache"


def report_url(system: str, period: str, fmt: str) -> str:
    """Return the download address of a run's report."""
    return f"/reports/{quote(system, safe='')}/{quote(period, safe='')}.{fmt}"


@router.get("/console/reports", response_class=HTMLResponse)
def reports(request: Request, db: ConsoleDB, principal: Viewer) -> HTMLResponse:
    """List the stored runs with their publication and report downloads (HTML, PDF)."""
    require(principal, "reports")
    published = index_access.publications(db)
    with analytics.analytics() as con:
        runs = results.list_runs(con)
    for run in runs:
        found = published.get(run["run_id"])
        run["published_at"] = found.published_at if found else None
        run["html"] = report_url(run["system"], run["period"], "html")
        run["pdf"] = report_url(run["system"], run["period"], "pdf")
    return render(request, "reports.html", area="reports", runs=runs, awards=load_awards())


def _download(
    db: ConsoleDB, principal: Viewer, system: str, period: str, fmt: service.Format
) -> Response:
    with analytics.analytics() as con:
        run_id = service.find_run(con, system, period)
        access.require_download(db, principal, run_id)
        data = service.cached(con, run_id, fmt, directory=cache_dir())
    disposition = "inline" if fmt == "html" else "attachment"
    return Response(
        data,
        media_type=service.MEDIA_TYPES[fmt],
        headers={
            "Content-Disposition": f'{disposition}; filename="{service.file_name(run_id, fmt)}"',
            # Unpublished reports are staff-only: never kept by a shared cache.
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get("/reports/{system}/{period}.html")
def report_html(system: str, period: str, db: ConsoleDB, principal: Viewer) -> Response:
    """Return a run's report as one self-contained HTML file (published runs: everyone)."""
    return _download(db, principal, system, period, "html")


@router.get("/reports/{system}/{period}.pdf")
def report_pdf(system: str, period: str, db: ConsoleDB, principal: Viewer) -> Response:
    """Return a run's report as a PDF (published runs: everyone)."""
    return _download(db, principal, system, period, "pdf")
