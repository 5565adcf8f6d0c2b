"""Permission checks that run before a request's body is read (先查权限，再收上传).

FastAPI reads a route's form body — every file of an upload, spooled to disk above 1 MB —
before it solves the route's dependencies and calls it; and a console form's CSRF check
(:func:`zhengwu.web.deps.csrf_header_or_form`) reads the form too. A role check in the
route, or in a dependency, therefore ran only once the whole upload had arrived: a caller
without the right could make the server take in up to the body cap
(:mod:`zhengwu.web.bodylimit`) before hearing 403.

An upload route marks its check with :func:`before_body`; its route class
(:class:`GatedRoute`, and the console's :class:`~zhengwu.web.console.base.ConsoleRoute`)
runs the check first, on a short session of its own, with the caller resolved as the
route's dependencies resolve it (bearer token, else session cookie). A refused caller gets
the refusal (403, or 404 for an unknown matrix …) while the upload is still unread. The
route itself checks again as it always did: it needs the objects the check looked up, in
its own unit of work.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from fastapi import Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session

from zhengwu.auth.principal import Principal
from zhengwu.errors import InvalidInputError
from zhengwu.web.deps import resolve_principal

Check = Callable[[Session, Principal, Request], object]
_F = TypeVar("_F", bound=Callable[..., Any])
MARK = "__zhengwu_before_body__"  # the attribute a checked endpoint carries


def before_body(check: Check) -> Callable[[_F], _F]:
    """Mark an endpoint: its route runs ``check(session, principal, request)`` before the
    body is read. ``check`` raises (a :class:`~zhengwu.errors.ZhengwuError`) to refuse.

    Put it under the router's decorator (it must mark the function the router registers).
    """

    def mark(endpoint: _F) -> _F:
        setattr(endpoint, MARK, check)
        return endpoint

    return mark


def path_int(request: Request, name: str) -> int:
    """Return the path parameter ``name`` as an int (422, as the route would answer, if not)."""
    value = request.path_params.get(name)
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InvalidInputError(
            f"路径参数 {name} 应为整数：{value}",
            f"path parameter {name} is not an integer: {value}",
        ) from None


class GatedRoute(APIRoute):
    """A route that runs its endpoint's :func:`before_body` check before reading the body."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Return FastAPI's handler, preceded by the endpoint's check when it has one."""
        handler = super().get_route_handler()
        check: Check | None = getattr(self.endpoint, MARK, None)
        if check is None:
            return handler

        async def gated(request: Request) -> Response:
            await run_in_threadpool(self._check, request, check)
            return await handler(request)

        return gated

    def remember(self, request: Request, principal: Principal) -> None:
        """Keep the caller on the request (an error page shows a refused staff member more)."""
        request.state.principal = principal

    def _check(self, request: Request, check: Check) -> None:
        session: Session = request.app.state.session_factory()
        try:
            principal = resolve_principal(request, session)
            self.remember(request, principal)
            check(session, principal, request)
        finally:
            # Only read: the route's own unit of work records what it does (a token's use).
            session.rollback()
            session.close()
