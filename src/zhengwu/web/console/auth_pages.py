"""Login, logout, the site root and the console home (登录 / 退出 / 工作台)."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from zhengwu.auth import service as auth_service
from zhengwu.auth.principal import PUBLIC
from zhengwu.config import get_settings
from zhengwu.errors import ForbiddenError, ZhengwuError
from zhengwu.web.console.base import ConsoleDB, ConsoleRoute, Viewer, Writer, render
from zhengwu.web.deps import SESSION_COOKIE

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
LOGIN_CSRF_COOKIE = "zw_login_csrf"
# Where each role starts (admin: the matrix overview).
HOME = {
    "admin": "/console/matrix",
    "matrix_office": "/console/matrix",
    "operator": "/console/accounts",
    "handler": "/console/desk",
    "dispatcher": "/console/rescue",
    "verifier": "/console/rescue",
    "team": "/console/rescue",
}


def _safe_next(target: str | None) -> str | None:
    """Return ``target`` if it is a path on this site (no open redirect), else None."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


def _public_home(request: Request) -> str:
    """Return the public boards' entry page (a landing page when one is mounted)."""
    paths = {r.path for r in request.app.routes if isinstance(r, Route)}
    return "/board" if "/board" in paths else "/board/requests"


@router.get("/")
def root(request: Request, principal: Viewer) -> RedirectResponse:
    """Send users to their console and the public to the public boards."""
    target = "/console" if principal.is_authenticated else _public_home(request)
    return RedirectResponse(target, status_code=303)


@router.get("/console")
def home(request: Request, principal: Viewer) -> RedirectResponse:
    """Open the console page where the user's role starts."""
    if not principal.is_authenticated:
        return RedirectResponse("/login?next=/console", status_code=303)
    return RedirectResponse(HOME.get(principal.role, "/login"), status_code=303)


def _login_form(
    request: Request, *, next_url: str | None, error: ZhengwuError | None = None,
    username: str = "", status_code: int = 200,
) -> HTMLResponse:  # fmt: skip
    token = secrets.token_urlsafe(24)
    response = render(
        request, "login.html", principal=PUBLIC, status_code=status_code, csrf=token,
        next_url=next_url or "", error=error, username=username,
    )  # fmt: skip
    # Login CSRF: the form's token must match this cookie (double submit).
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", path="/login",
        secure=get_settings().env == "production", max_age=3600,
    )  # fmt: skip
    return response


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, principal: Viewer, next: str | None = None) -> Response:
    """Show the login form (登录)."""
    if principal.is_authenticated:
        return RedirectResponse(_safe_next(next) or "/console", status_code=303)
    return _login_form(request, next_url=_safe_next(next))


@router.post("/login", response_class=HTMLResponse)
def login_submit(
    request: Request,
    db: ConsoleDB,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    """Check the password, open a session (HttpOnly cookie) and go to the console."""
    next_url = _safe_next(next)
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not csrf_token or not secrets.compare_digest(cookie, csrf_token):
        error = ForbiddenError("登录表单已过期，请重新登录", "login form expired; try again")
        return _login_form(request, next_url=next_url, error=error, username=username,
                           status_code=403)  # fmt: skip
    client = request.client.host if request.client else "-"
    try:
        user = auth_service.authenticate(db, username=username, password=password, client=client)
    except ZhengwuError as exc:
        # Returned, not raised: the failed-attempt counter must be committed.
        return _login_form(request, next_url=next_url, error=exc, username=username,
                           status_code=exc.status_code)  # fmt: skip
    token, _csrf = auth_service.start_session(db, user)
    target = next_url or HOME.get(user.role, "/console")
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE, token, httponly=True, samesite="lax",
        secure=get_settings().env == "production", max_age=auth_service.SESSION_HOURS * 3600,
    )  # fmt: skip
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, db: ConsoleDB, principal: Writer) -> RedirectResponse:
    """End the session (退出登录) and go back to the login page."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        auth_service.end_session(db, token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
