"""The operations console (政务新媒体操作后台): server-rendered Chinese pages under ``/console``.

Pages per area — matrix overview, accounts, organisations, rankings, service desk, rescue
dispatch, settings — each in its own module, all thin over the domain services. ``setup``
mounts the console's own static files (no CDN, no third-party assets) and gives the app its
HTML error pages.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

from zhengwu.errors import NotFoundError, ZhengwuError
from zhengwu.web.console.base import ConsoleRoute, Viewer, error_page

STATIC_DIR = Path(__file__).parent / "static"

# Page modules, one per area, in navigation order; each exposes ``router``.
PAGE_MODULES = (
    "auth_pages",
    "matrix_pages",
    "coverage_pages",
    "account_pages",
    "organization_pages",
    "ranking_pages",
    "report_pages",
    "topic_pages",
    "desk_pages",
    "desk_import_pages",
    "rescue_pages",
    "rescue_team_pages",
    "rescue_intake_pages",
    "library_pages",
    "search_pages",
    "settings_pages",
    "import_pages",
)

router = APIRouter(include_in_schema=False)
for _name in PAGE_MODULES:
    router.include_router(importlib.import_module(f"{__name__}.{_name}").router)

_fallback = APIRouter(route_class=ConsoleRoute, include_in_schema=False)


@_fallback.get("/console/{rest:path}", response_class=HTMLResponse)
def not_found(request: Request, principal: Viewer, rest: str) -> Response:
    """Answer an unknown console address with a 404 page (not a bare JSON error)."""
    raise NotFoundError(f"页面不存在：/console/{rest}", f"no such page: /console/{rest}")


router.include_router(_fallback)


def html_error_handler(request: Request, exc: ZhengwuError) -> Response:
    """Render an expected error of any HTML page (boards, forms) as a console error page."""
    return error_page(request, exc)


def setup(app: FastAPI) -> None:
    """Mount the console's static files and register its HTML error pages with the app."""
    app.mount("/console/static", StaticFiles(directory=STATIC_DIR), name="console-static")
    app.state.html_error_handler = html_error_handler


__all__ = ["html_error_handler", "router", "setup"]
