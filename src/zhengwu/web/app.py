"""Build the FastAPI application: API routers, console, public pages, Open311."""

from __future__ import annotations

import importlib
import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import Engine

from zhengwu import __version__
from zhengwu.db.engine import get_engine, session_factory
from zhengwu.errors import ZhengwuError

log = logging.getLogger(__name__)

# Routers of the domains, mounted when their module exists; each module exposes `router`.
ROUTERS = (
    "zhengwu.web.auth_views",
    "zhengwu.accounts.views",
    "zhengwu.index.views",
    "zhengwu.servicedesk.views",
    "zhengwu.servicedesk.open311.views",
    "zhengwu.rescue.views",
    "zhengwu.content.views",
    "zhengwu.library.views",
    "zhengwu.search.views",
    "zhengwu.web.console",
    "zhengwu.web.public",
)


def create_app(engine: Engine | None = None) -> FastAPI:
    """Create the app bound to ``engine`` (default: the configured operational DB)."""
    app = FastAPI(
        title="zhengwu 政务新媒体开放平台",
        version=__version__,
        description="JSON API of zhengwu: accounts and matrices, influence index, service desk "
        "(诉求办理), emergency help (应急求助). Open311 GeoReport v2 lives under /open311/v2/.",
    )
    app.state.engine = engine or get_engine()
    app.state.session_factory = session_factory(app.state.engine)

    @app.exception_handler(ZhengwuError)
    async def _zhengwu_error(request: Request, exc: ZhengwuError) -> Response:
        handler = getattr(request.app.state, "html_error_handler", None)
        if handler is not None and "text/html" in request.headers.get("accept", ""):
            return handler(request, exc)  # type: ignore[no-any-return]
        return JSONResponse(exc.to_dict(), status_code=exc.status_code)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        """Report that the server is up."""
        return {"status": "ok", "version": __version__}

    for module_name in ROUTERS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and module_name.startswith(exc.name):
                continue  # domain not installed in this build
            raise
        setup = getattr(module, "setup", None)
        if setup is not None:
            setup(app)
        app.include_router(module.router)
    return app
