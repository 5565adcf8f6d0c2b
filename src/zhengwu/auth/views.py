"""Admin routes for users and their API tokens: list, disable, enable, revoke (审计)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from zhengwu.auth import service as auth_service
from zhengwu.auth.models import ApiToken, ApiTokenRead, User, UserRead
from zhengwu.web.deps import DB, CurrentPrincipal, WritingPrincipal

router = APIRouter(prefix="/api/users", tags=["users 用户"])


@router.get("", response_model=list[UserRead])
def list_users(db: DB, principal: CurrentPrincipal) -> list[User]:
    """List every user with role, scope and whether they are active (admin only)."""
    principal.require("admin")
    return auth_service.list_users(db)


@router.get("/{username}/tokens", response_model=list[ApiTokenRead])
def list_tokens(db: DB, principal: CurrentPrincipal, username: str) -> list[ApiToken]:
    """List a user's API tokens: id, prefix, created, last used, revoked (admin only)."""
    principal.require("admin")
    return auth_service.list_tokens(db, user=auth_service.get_user(db, username=username))


@router.post("/tokens/{token_id}/revoke", response_model=ApiTokenRead)
def revoke_token(db: DB, principal: WritingPrincipal, token_id: int) -> ApiToken:
    """Revoke an API token at once; 409 when it already is (admin only, audited)."""
    principal.require("admin")
    token = auth_service.find_token(db, key=str(token_id))
    return auth_service.revoke_token(db, token=token, actor=principal)


@router.post("/{username}/disable", response_model=UserRead)
def disable_user(db: DB, principal: WritingPrincipal, username: str) -> User:
    """Disable a user: no login, their sessions and tokens refused at once (admin, audited)."""
    principal.require("admin")
    user = auth_service.get_user(db, username=username)
    return auth_service.set_active(db, user=user, active=False, actor=principal)


@router.post("/{username}/enable", response_model=UserRead)
def enable_user(db: DB, principal: WritingPrincipal, username: str) -> User:
    """Enable a disabled user again; they log in anew (admin only, audited)."""
    principal.require("admin")
    user = auth_service.get_user(db, username=username)
    return auth_service.set_active(db, user=user, active=True, actor=principal)


class ScopeChange(BaseModel):
    """The scope fields to change; a field left out stays, ``null`` clears it."""

    model_config = ConfigDict(extra="forbid")

    organization_id: int | None = None
    matrix_id: int | None = None
    team_id: int | None = None


@router.post("/{username}/scope", response_model=UserRead)
def set_scope(db: DB, principal: WritingPrincipal, username: str, change: ScopeChange) -> User:
    """Change a user's organisation, matrix or rescue team (admin only, audited).

    Only the fields sent change; the role keeps what it needs (a matrix office its matrix,
    else 422). It counts from the user's next request.
    """
    principal.require("admin")
    user = auth_service.get_user(db, username=username)
    changes = change.model_dump(exclude_unset=True)
    return auth_service.set_scope(db, user=user, actor=principal, **changes)
