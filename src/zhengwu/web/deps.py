"""Request dependencies: the unit of work, the principal, role checks, CSRF."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from zhengwu.auth import service as auth_service
from zhengwu.auth.principal import PUBLIC, Principal
from zhengwu.errors import ForbiddenError

SESSION_COOKIE = "zw_session"


def _db(request: Request) -> Iterator[Session]:
    """Open the request's session; commit when the route returns, roll back on error."""
    session: Session = request.app.state.session_factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# scope="function": commit before the response is sent, so a 2xx means the data is stored.
DB = Annotated[Session, Depends(_db, scope="function")]


def _principal(request: Request, db: DB) -> Principal:
    """Return who is asking: a bearer token, a session cookie, or the anonymous public."""
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        principal = auth_service.principal_from_token(db, auth[7:].strip())
        if principal is None:
            raise ForbiddenError("API 令牌无效或已吊销", "invalid or revoked API token")
        return principal
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        principal = auth_service.principal_from_session(db, cookie)
        if principal is not None:
            return principal
    return PUBLIC


CurrentPrincipal = Annotated[Principal, Depends(_principal)]


def check_csrf(request: Request, principal: Principal, token: str | None) -> None:
    """Refuse a cookie-authenticated form post whose CSRF token does not match the session."""
    if request.headers.get("authorization", "").lower().startswith("bearer "):
        return  # token clients are not exposed to CSRF
    if principal.csrf_token is None:
        return  # anonymous public forms carry no session to ride on
    if not token or not secrets.compare_digest(token, principal.csrf_token):
        raise ForbiddenError("表单已过期，请刷新页面后重试（CSRF）", "CSRF token missing or wrong")


async def csrf_header_or_form(request: Request) -> str | None:
    """Return the CSRF token sent as the X-CSRF-Token header or a ``csrf_token`` form field."""
    token = request.headers.get("x-csrf-token")
    if token:
        return token
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get("csrf_token")
        return value if isinstance(value, str) else None
    return None


CsrfToken = Annotated[str | None, Depends(csrf_header_or_form)]


def require_csrf(request: Request, principal: CurrentPrincipal, token: CsrfToken) -> Principal:
    """Dependency for state-changing routes used by the console: check CSRF, return principal."""
    if request.method not in {"GET", "HEAD", "OPTIONS"}:
        check_csrf(request, principal, token)
    return principal


WritingPrincipal = Annotated[Principal, Depends(require_csrf)]
