"""Request dependencies: the unit of work, the principal, role checks, CSRF."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from pydantic import BeforeValidator
from sqlalchemy.orm import Session

from zhengwu.auth import service as auth_service
from zhengwu.auth.principal import PUBLIC, Principal
from zhengwu.chinatime import in_china, parse_china_time
from zhengwu.errors import ForbiddenError, InvalidInputError
from zhengwu.web.forms import read_form

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
    """Return who is asking: a bearer token, a session cookie, or the anonymous public.

    It is kept on ``request.state.principal`` too: an error handler says more to staff than
    to the public (:func:`zhengwu.web.app.out_of_memory`).
    """
    principal = resolve_principal(request, db)
    request.state.principal = principal
    return principal


def resolve_principal(request: Request, db: Session) -> Principal:
    """Return who is asking, from the request's headers alone (never its body): a bearer
    token (403 when it is invalid or revoked), a session cookie, or the anonymous public."""
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        principal = auth_service.principal_from_token(db, auth[7:].strip())
        if principal is None:
            raise ForbiddenError(
                "API 令牌无效或已吊销，或其用户已停用",
                "invalid or revoked API token, or its user is disabled",
            )
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
        form = await read_form(request)  # in its charset; the bytes stay for the route
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


def _china_time(value: Any) -> Any:
    """Read a query parameter's ISO 8601 date or time, China time when it has no offset."""
    if isinstance(value, datetime):
        return in_china(value)
    if not isinstance(value, str):
        return value  # left to pydantic, which refuses it
    try:
        return parse_china_time(value)
    except ValueError:
        raise ValueError(
            f"不是 ISO 8601 日期或时间（如 2025-07-01 或 2025-07-01T08:00:00+08:00）：{value} / "
            f"not an ISO 8601 date or time (e.g. 2025-07-01 or 2025-07-01T08:00:00+08:00)"
        ) from None


# A date or time parameter: a bare date is midnight in China, a time without an offset is
# China time (the database refuses naive times; people in China do not type +08:00).
ChinaTime = Annotated[datetime, BeforeValidator(_china_time)]


def check_choices(
    name: str, values: Iterable[str] | None, choices: Mapping[str, str] | Iterable[str]
) -> None:
    """Refuse (422) a filter value that is not one of ``choices``, listing the valid ones.

    ``choices`` is a list of values or a mapping of value → Chinese label; an unknown
    value must not quietly match nothing (an empty list reads as "no such requests").
    """
    wrong = [v for v in values or () if v not in choices]
    if not wrong:
        return
    labels = dict(choices) if isinstance(choices, Mapping) else dict.fromkeys(choices, "")
    zh = "、".join(f"{v}（{label}）" if label else v for v, label in labels.items())
    bad = ", ".join(wrong)
    raise InvalidInputError(
        f"{name} 的取值无效：{bad}；可选：{zh}",
        f"invalid {name}: {bad}; valid values: {', '.join(labels)}",
    )
