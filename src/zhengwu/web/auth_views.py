"""Login, logout and "who am I" for the JSON API and the console."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from pydantic import BaseModel

from zhengwu.auth import service as auth_service
from zhengwu.auth.models import ROLE_LABELS
from zhengwu.auth.principal import Principal
from zhengwu.config import get_settings
from zhengwu.errors import ForbiddenError
from zhengwu.web.deps import DB, SESSION_COOKIE, CurrentPrincipal

router = APIRouter(prefix="/api/auth", tags=["auth"])


class Me(BaseModel):
    """The current principal."""

    username: str
    display_name: str
    role: str
    role_label: str
    organization_id: int | None
    matrix_id: int | None
    team_id: int | None
    csrf_token: str | None


def _me(principal: Principal) -> Me:
    return Me(
        username=principal.username, display_name=principal.display_name, role=principal.role,
        role_label=ROLE_LABELS.get(principal.role, principal.role),
        organization_id=principal.organization_id, matrix_id=principal.matrix_id,
        team_id=principal.team_id, csrf_token=principal.csrf_token,
    )  # fmt: skip


@router.post("/login")
def login(
    request: Request,
    response: Response,
    db: DB,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
) -> Me:
    """Log in with username and password; sets an HttpOnly session cookie."""
    client = request.client.host if request.client else "-"
    try:
        user = auth_service.authenticate(db, username=username, password=password, client=client)
    except ForbiddenError:
        db.commit()  # keep the failed-login count, or the lockout would never trigger
        raise
    token, csrf = auth_service.start_session(db, user)
    response.set_cookie(
        SESSION_COOKIE, token, httponly=True, samesite="lax",
        secure=get_settings().env == "production", max_age=auth_service.SESSION_HOURS * 3600,
    )  # fmt: skip
    return _me(auth_service.principal_of(user, csrf))


@router.post("/logout")
def logout(request: Request, response: Response, db: DB) -> dict[str, bool]:
    """Log out and forget the session cookie."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        auth_service.end_session(db, token)
    response.delete_cookie(SESSION_COOKIE)
    return {"ok": True}


@router.get("/me")
def me(principal: CurrentPrincipal) -> Me:
    """Return who is logged in (the public when nobody is)."""
    return _me(principal)
