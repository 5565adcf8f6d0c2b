"""Tables of users, login sessions and API tokens."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from zhengwu.auth.principal import ROLE_LABELS as ROLE_LABELS  # re-exported
from zhengwu.db.base import Base, utcnow

# 角色: platform admin, matrix office (矩阵管理员), account operator (运营), request handler
# (承办人, of one organisation), rescue dispatcher (调度), verifier (核实), rescue team member.
ROLES = ("admin", "matrix_office", "operator", "handler", "dispatcher", "verifier", "team")


class User(Base):
    """A person who logs in; scoped to an organisation, a matrix or a rescue team by role."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16), index=True)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    matrix_id: Mapped[int | None] = mapped_column(ForeignKey("matrices.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(
        Integer, index=True
    )  # rescue team (no FK: other domain)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class UserSession(Base):
    """A browser login session; the cookie holds a random token, the DB only its hash."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]


class ApiToken(Base):
    """A bearer token for scripts, acting as its user."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The token's first characters ("zw_AbCd1234"), so an operator can tell which token a
    # leaked value is; None for tokens issued before revision 0016.
    prefix: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class UserRead(BaseModel):
    """A user as the admin API shows them (never the password hash)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    display_name: str
    role: str
    organization_id: int | None
    matrix_id: int | None
    team_id: int | None
    is_active: bool
    created_at: datetime


class ApiTokenRead(BaseModel):
    """An API token as listed: its id and first characters, never the token itself."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    user_id: int
    name: str
    prefix: str | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
