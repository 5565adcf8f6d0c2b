"""Users, passwords (argon2), login throttling, sessions and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from zhengwu.audit import service as audit_service
from zhengwu.auth.models import ROLES, ApiToken, User, UserSession
from zhengwu.auth.principal import Principal
from zhengwu.errors import (
    ConflictError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    ZhengwuError,
)
from zhengwu.ratelimit import service as ratelimit_service

_hasher = PasswordHasher()
MAX_FAILED_LOGINS = 5
LOCK_MINUTES = 5
SESSION_HOURS = 12
PREFIX_LEN = 11  # "zw_" and 8 characters of a token are kept to name it (48 bits of 256)
# Per-client throttle: at most this many login attempts per window, counted in the database
# (shared by every server process) unless ZHENGWU_RATE_LIMIT_STORE=memory.
IP_ATTEMPTS, IP_WINDOW_SECONDS = 20, 60.0
_login_limiter = ratelimit_service.WindowLimiter("login", IP_ATTEMPTS, IP_WINDOW_SECONDS)
_ip_attempts = _login_limiter.events  # the in-process counts (tests clear them)


class LoginThrottledError(ZhengwuError):
    """Too many login attempts."""

    status_code = 429


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def hash_password(password: str) -> str:
    """Return an argon2id hash of ``password``."""
    if len(password) < 8:
        raise InvalidInputError("密码至少 8 位", "passwords need at least 8 characters")
    return _hasher.hash(password)


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: str,
    display_name: str | None = None,
    organization_id: int | None = None,
    matrix_id: int | None = None,
    team_id: int | None = None,
) -> User:
    """Create a user with a role and the scope that role needs."""
    if role not in ROLES:
        raise InvalidInputError(
            f"未知角色 {role!r}（可选：{', '.join(ROLES)}）",
            f"unknown role {role!r} (valid roles: {', '.join(ROLES)})",
        )
    if role in {"handler", "operator"} and organization_id is None:
        raise InvalidInputError("承办人/运营账号需要所属机构", f"role {role} needs an organisation")
    if role == "matrix_office" and matrix_id is None:
        raise InvalidInputError("矩阵管理员需要所属矩阵", "role matrix_office needs a matrix")
    if role == "team" and team_id is None:
        raise InvalidInputError("救援队员需要所属队伍", "role team needs a rescue team")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise ConflictError(f"用户名已存在：{username}", f"username already exists: {username}")
    user = User(
        username=username, display_name=display_name or username,
        password_hash=hash_password(password), role=role, organization_id=organization_id,
        matrix_id=matrix_id, team_id=team_id,
    )  # fmt: skip
    session.add(user)
    session.flush()
    return user


def principal_of(user: User, csrf_token: str | None = None) -> Principal:
    """Return the principal acting as ``user``."""
    return Principal(
        role=user.role, user_id=user.id, username=user.username, display_name=user.display_name,
        organization_id=user.organization_id, matrix_id=user.matrix_id, team_id=user.team_id,
        csrf_token=csrf_token,
    )  # fmt: skip


def _throttle_ip(session: Session, client: str) -> None:
    # Counted in a transaction of its own: the failed login's rollback must not undo it.
    bind = session.get_bind() if ratelimit_service.shared() else None
    if not _login_limiter.allow(client, bind=bind):
        raise LoginThrottledError(
            "登录尝试过于频繁，请稍后再试", "too many login attempts; try later"
        )


def authenticate(session: Session, *, username: str, password: str, client: str = "-") -> User:
    """Check a password; lock the user for a while after repeated failures."""
    _throttle_ip(session, client)
    user = session.scalar(select(User).where(User.username == username))
    now = datetime.now(UTC)
    bad = ForbiddenError("用户名或密码错误", "wrong username or password")
    if user is None or not user.is_active:
        _hasher.hash("timing-equaliser")  # same cost as a real check
        raise bad
    if user.locked_until and user.locked_until > now:
        raise LoginThrottledError(
            "账号已临时锁定，请稍后再试", "account temporarily locked; try later"
        )
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until = now + timedelta(minutes=LOCK_MINUTES)
            user.failed_logins = 0
        session.flush()
        raise bad from None
    user.failed_logins = 0
    user.locked_until = None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


def start_session(session: Session, user: User) -> tuple[str, str]:
    """Open a login session; return (cookie token, CSRF token)."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    session.add(
        UserSession(token_hash=_digest(token), user_id=user.id, csrf_token=csrf,
                    expires_at=datetime.now(UTC) + timedelta(hours=SESSION_HOURS))
    )  # fmt: skip
    session.flush()
    return token, csrf


def principal_from_session(session: Session, token: str) -> Principal | None:
    """Return the principal of a live session cookie, or None."""
    row = session.execute(
        select(UserSession, User).join(User, User.id == UserSession.user_id)
        .where(UserSession.token_hash == _digest(token))
    ).first()  # fmt: skip
    if row is None:
        return None
    user_session, user = row
    if user_session.expires_at < datetime.now(UTC) or not user.is_active:
        return None
    return principal_of(user, user_session.csrf_token)


def end_session(session: Session, token: str) -> None:
    """Log out: delete the session."""
    session.execute(delete(UserSession).where(UserSession.token_hash == _digest(token)))


def create_token(session: Session, user: User, name: str) -> str:
    """Create an API token for ``user``; the plain token is shown once."""
    token = "zw_" + secrets.token_urlsafe(32)
    session.add(
        ApiToken(user_id=user.id, name=name, token_hash=_digest(token), prefix=token[:PREFIX_LEN])
    )
    session.flush()
    return token


def principal_from_token(session: Session, token: str) -> Principal | None:
    """Return the principal of a valid API token, or None."""
    row = session.execute(
        select(ApiToken, User).join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == _digest(token), ApiToken.revoked_at.is_(None))
    ).first()  # fmt: skip
    if row is None or not row[1].is_active:
        return None
    now = datetime.now(UTC)
    # Record use at most every few minutes: a write per request would serialise API clients.
    if row[0].last_used_at is None or now - row[0].last_used_at > timedelta(minutes=5):
        row[0].last_used_at = now
    return principal_of(row[1])


def get_user(session: Session, *, username: str) -> User:
    """Return the user called ``username`` (NotFoundError when there is none)."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFoundError(f"用户不存在：{username}", f"no such user: {username}")
    return user


def list_tokens(session: Session, *, user: User) -> list[ApiToken]:
    """Return a user's API tokens, revoked ones too, oldest first."""
    return list(
        session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id))
    )


def find_token(session: Session, *, key: str) -> ApiToken:
    """Return the token with id ``key``, or whose full value is ``key`` (a leaked token)."""
    key = key.strip()
    if key.isdigit():
        row = session.get(ApiToken, int(key))
    else:
        row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(key)))
    if row is None:
        shown = key if key.isdigit() else key[:PREFIX_LEN] + "…"
        raise NotFoundError(f"API 令牌不存在：{shown}", f"no such API token: {shown}")
    return row


def revoke_token(session: Session, *, token: ApiToken, actor: Principal) -> ApiToken:
    """Revoke an API token: every request that sends it is refused from now on (审计)."""
    if token.revoked_at is not None:
        raise ConflictError(
            f"API 令牌 {token.id} 已于 {token.revoked_at:%Y-%m-%d %H:%M} UTC 吊销",
            f"API token {token.id} was already revoked at {token.revoked_at:%Y-%m-%d %H:%M} UTC",
        )
    token.revoked_at = datetime.now(UTC)
    audit_service.record(
        session, entity_type="api_token", entity_id=token.id, action="revoke", actor=actor,
        from_state="active", to_state="revoked",
        data={"user_id": token.user_id, "name": token.name, "prefix": token.prefix},
    )  # fmt: skip
    session.flush()
    return token


def set_active(session: Session, *, user: User, active: bool, actor: Principal) -> User:
    """Disable (停用) or enable (启用) a user, recorded in the audit log.

    A disabled user cannot log in, and neither their sessions nor their API tokens are
    accepted (both are checked against ``is_active`` on every request). Disabling also
    deletes the user's sessions, so enabling again does not bring an old cookie back.
    """
    if user.is_active == active:
        state = "启用" if active else "停用"
        raise ConflictError(
            f"用户 {user.username} 已是{state}状态",
            f"user {user.username} is already {'enabled' if active else 'disabled'}",
        )
    if not active and actor.user_id == user.id:
        raise ConflictError("不能停用自己的账号", "you cannot disable your own account")
    user.is_active = active
    sessions = 0
    if active:
        user.failed_logins = 0
        user.locked_until = None
    else:
        sessions = len(
            session.scalars(select(UserSession.id).where(UserSession.user_id == user.id)).all()
        )
        session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    audit_service.record(
        session, entity_type="user", entity_id=user.id,
        action="enable" if active else "disable", actor=actor,
        from_state="disabled" if active else "active", to_state="active" if active else "disabled",
        data={"username": user.username, "sessions_ended": sessions},
    )  # fmt: skip
    session.flush()
    return user


_SCOPES = ("organization_id", "matrix_id", "team_id")


def set_scope(session: Session, *, user: User, actor: Principal, **changes: int | None) -> User:
    """Change a user's scope — organisation, matrix, rescue team — recorded in the audit log.

    ``changes`` holds only what changes (``organization_id=…``, ``matrix_id=…``,
    ``team_id=…``; ``None`` clears one). The role's own need stays met: a matrix office
    keeps a matrix, a handler or operator an organisation, a team member a team. It counts
    from the user's next request: sessions and tokens read the user each time.
    """
    unknown = sorted(set(changes) - set(_SCOPES))
    if unknown or not changes:
        raise InvalidInputError(
            f"请指定要更改的范围（机构、矩阵或队伍）{'：未知 ' + '、'.join(unknown) if unknown else ''}",
            "say which scope to change (organisation, matrix or team)"
            + (f": unknown {', '.join(unknown)}" if unknown else ""),
        )
    before = {k: getattr(user, k) for k in _SCOPES}
    after = before | changes
    if user.role in {"handler", "operator"} and after["organization_id"] is None:
        raise InvalidInputError(
            "承办人/运营账号需要所属机构", f"role {user.role} needs an organisation"
        )
    if user.role == "matrix_office" and after["matrix_id"] is None:
        raise InvalidInputError("矩阵管理员需要所属矩阵", "role matrix_office needs a matrix")
    if user.role == "team" and after["team_id"] is None:
        raise InvalidInputError("救援队员需要所属队伍", "role team needs a rescue team")
    _check_scope_rows(session, after)
    for key, value in changes.items():
        setattr(user, key, value)
    audit_service.record(
        session, entity_type="user", entity_id=user.id, action="set_scope", actor=actor,
        data={"username": user.username, "before": before, "after": after},
    )  # fmt: skip
    session.flush()
    return user


def _check_scope_rows(session: Session, scope: dict[str, int | None]) -> None:
    """Refuse (404) an organisation, matrix or team id that names no row."""
    from zhengwu.accounts.models import Matrix, Organization
    from zhengwu.rescue.models import Team

    tables = (
        ("organization_id", Organization, "机构", "organisation"),
        ("matrix_id", Matrix, "矩阵", "matrix"),
        ("team_id", Team, "救援队伍", "rescue team"),
    )
    for key, model, zh, en in tables:
        value = scope[key]
        if value is not None and session.get(model, value) is None:
            raise NotFoundError(f"{zh}不存在：{value}", f"no such {en}: {value}")


def list_users(session: Session) -> list[User]:
    """Return every user, in order of creation."""
    return list(session.scalars(select(User).order_by(User.id)))
