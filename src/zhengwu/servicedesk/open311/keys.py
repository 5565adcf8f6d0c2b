"""API keys of Open311 clients: create (shown once), list, revoke, check (the caller commits)."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhengwu.db.base import utcnow
from zhengwu.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError
from zhengwu.servicedesk.open311.models import Open311ApiKey

KEY_PREFIX = "zw311_"


class ApiKeyError(ForbiddenError):
    """The api_key is missing, unknown or revoked (Open311: 403)."""


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(session: Session, *, name: str) -> tuple[Open311ApiKey, str]:
    """Create a key for the application ``name``; return the row and the key (shown once)."""
    name = name.strip()
    if not name or len(name) > 64:
        raise InvalidInputError("应用名称须为 1–64 个字符", "the name must be 1–64 characters")
    active = select(Open311ApiKey.id).where(
        Open311ApiKey.name == name, Open311ApiKey.revoked_at.is_(None)
    )
    if session.scalar(active) is not None:
        raise ConflictError(
            f"应用 {name} 已有有效的密钥，请先吊销",
            f"{name} already has an active key; revoke it first",
        )
    key = KEY_PREFIX + secrets.token_urlsafe(24)
    row = Open311ApiKey(name=name, key_hash=_digest(key))
    session.add(row)
    session.flush()
    return row, key


def list_keys(session: Session) -> list[Open311ApiKey]:
    """Return every key, active and revoked, oldest first."""
    return list(session.scalars(select(Open311ApiKey).order_by(Open311ApiKey.id)))


def revoke_key(session: Session, *, key: str) -> Open311ApiKey:
    """Revoke a key given by its id or its application's name (the active key of that name)."""
    query = select(Open311ApiKey).where(Open311ApiKey.revoked_at.is_(None))
    if key.isdigit():
        row = session.scalar(select(Open311ApiKey).where(Open311ApiKey.id == int(key)))
    else:
        row = session.scalar(query.where(Open311ApiKey.name == key))
    if row is None:
        raise NotFoundError(f"没有这个密钥：{key}", f"no such key: {key}")
    if row.revoked_at is not None:
        raise ConflictError(f"密钥 {key} 已吊销", f"key {key} is already revoked")
    row.revoked_at = utcnow()
    session.flush()
    return row


def check_key(session: Session, key: str | None) -> Open311ApiKey:
    """Return the active key ``key`` and mark it used; raise ApiKeyError otherwise."""
    if not key:
        raise ApiKeyError("缺少 api_key", "api_key was not provided")
    row = session.scalar(select(Open311ApiKey).where(Open311ApiKey.key_hash == _digest(key)))
    if row is None or row.revoked_at is not None:
        raise ApiKeyError("api_key 无效或已吊销", "api_key is invalid or revoked")
    row.last_used_at = utcnow()
    return row
