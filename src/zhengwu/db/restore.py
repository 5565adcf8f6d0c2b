"""Restoring the operational database without bringing revoked credentials back to life.

A backup is an earlier state: an API token revoked (perhaps because it leaked), a user
disabled or a password changed after the backup was taken would be live again in the
restored copy. ``zhengwu db restore`` therefore carries the *revocations* of the database
being replaced (the "previous" database) into the restored one:

* a token revoked in the previous database, or no longer there at all, is revoked;
* a user disabled in the previous database, or no longer there, is disabled; a user whose
  password changed keeps the current password;
* every login session of the restored copy is deleted: everyone logs in again.

Nothing else of the previous database is kept: the data is the backup's. When there is no
previous database to read (it was lost), the operator says what to do with the tokens:
revoke them all (safe: scripts get new tokens) or keep them (only when none can have been
revoked since the backup).

SQLite backups made by ``zhengwu db backup`` are marked as not yet restored (the file's
``user_version``): a server started on a copied backup refuses to start until ``zhengwu db
restore`` has reconciled it, so the hand-copy procedure cannot skip this step.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, Engine, delete, inspect, select, text, update

from zhengwu.db.base import utcnow
from zhengwu.db.engine import make_engine
from zhengwu.errors import ConflictError, InvalidInputError

# ``PRAGMA user_version`` of a SQLite backup copy that has not been restored yet ("zwrb").
RESTORE_PENDING = 0x7A777262


@dataclass
class Revocations:
    """What the previous database revoked: token hashes, users and their passwords."""

    revoked_tokens: set[str] = field(default_factory=set)
    live_tokens: set[str] = field(default_factory=set)
    disabled_users: set[str] = field(default_factory=set)
    passwords: dict[str, str] = field(default_factory=dict)  # username → current hash


@dataclass
class RestoreReport:
    """What a restore changed in the restored copy."""

    sessions_ended: int = 0
    tokens_revoked: int = 0
    users_disabled: int = 0
    passwords_kept: int = 0
    previous: str = ""

    def as_dict(self) -> dict[str, int | str]:
        """Return the report as JSON-ready data."""
        return {
            "sessions_ended": self.sessions_ended, "tokens_revoked": self.tokens_revoked,
            "users_disabled": self.users_disabled, "passwords_kept": self.passwords_kept,
            "previous": self.previous,
        }  # fmt: skip


def has_users(engine: Engine) -> bool:
    """Return whether ``engine``'s database holds zhengwu's users (is an installation)."""
    if engine.dialect.name == "sqlite":
        path = engine.url.database
        if not path or path == ":memory:" or not Path(path).exists():
            return False
    names = set(inspect(engine).get_table_names())
    return {"users", "api_tokens", "user_sessions"} <= names


def read_revocations(engine: Engine) -> Revocations:
    """Read the tokens, disabled users and password hashes of the previous database."""
    found = Revocations()
    with engine.connect() as conn:
        for token_hash, revoked_at in conn.execute(
            text("SELECT token_hash, revoked_at FROM api_tokens")
        ):
            (found.revoked_tokens if revoked_at is not None else found.live_tokens).add(token_hash)
        for username, active, password_hash in conn.execute(
            text("SELECT username, is_active, password_hash FROM users")
        ):
            found.passwords[username] = password_hash
            if not active:
                found.disabled_users.add(username)
    return found


def apply_revocations(
    conn: Connection, previous: Revocations | None, *, keep_tokens: bool
) -> RestoreReport:
    """Carry ``previous``'s revocations into the restored database behind ``conn``.

    ``previous`` None: no previous database; every token is revoked unless ``keep_tokens``.
    """
    from zhengwu.auth.models import ApiToken, User, UserSession

    report = RestoreReport()
    report.sessions_ended = conn.execute(delete(UserSession)).rowcount
    tokens = conn.execute(
        select(ApiToken.id, ApiToken.token_hash).where(ApiToken.revoked_at.is_(None))
    ).all()
    to_revoke = [
        token_id for token_id, token_hash in tokens
        if (previous is None and not keep_tokens)
        or (previous is not None and token_hash not in previous.live_tokens)
    ]  # fmt: skip
    if to_revoke:
        conn.execute(update(ApiToken).where(ApiToken.id.in_(to_revoke)).values(revoked_at=utcnow()))
    report.tokens_revoked = len(to_revoke)
    if previous is None:
        return report
    users = conn.execute(select(User.id, User.username, User.is_active, User.password_hash)).all()
    for user_id, username, active, password_hash in users:
        if active and (username in previous.disabled_users or username not in previous.passwords):
            conn.execute(update(User).where(User.id == user_id).values(is_active=False))
            report.users_disabled += 1
        current = previous.passwords.get(username)
        if current is not None and current != password_hash:
            conn.execute(update(User).where(User.id == user_id).values(password_hash=current))
            report.passwords_kept += 1
    return report


def is_restore_pending(engine: Engine) -> bool:
    """Return whether ``engine``'s database is a backup copy not yet restored (SQLite only)."""
    if engine.dialect.name != "sqlite":
        return False
    with engine.connect() as conn:
        return bool(conn.exec_driver_sql("PRAGMA user_version").scalar() == RESTORE_PENDING)


def refuse_pending(engine: Engine) -> None:
    """Refuse to serve a database that is a backup copy not yet restored."""
    if is_restore_pending(engine):
        raise ConflictError(
            "该数据库是尚未恢复的备份副本：请先运行 zhengwu db restore（见 docs/operations.md），"
            "以免已吊销的令牌和会话重新生效",
            "this database is a backup copy not yet restored: run `zhengwu db restore` first "
            "(docs/operations.md), so that tokens and sessions revoked since the backup stay "
            "revoked",
        )


def restore(
    engine: Engine,
    *,
    backup: Path | None,
    revocations_from: str | None,
    revoke_all_tokens: bool,
    keep_tokens: bool,
) -> RestoreReport:
    """Restore ``backup`` into ``engine``'s database (or finish a restore made by hand).

    SQLite with ``backup``: the configured database file is replaced by the backup's
    contents; its revocations are read first (unless ``revocations_from`` names another
    database). Without ``backup`` (PostgreSQL after ``pg_restore``, or a copied SQLite
    file) the database is already the restored one and ``revocations_from`` names the
    previous database, or ``revoke_all_tokens`` / ``keep_tokens`` says there is none.
    """
    if revoke_all_tokens and keep_tokens:
        raise InvalidInputError(
            "--revoke-all-tokens 与 --keep-tokens 只能选一个",
            "choose one of --revoke-all-tokens and --keep-tokens",
        )
    if backup is not None and engine.dialect.name != "sqlite":
        raise InvalidInputError(
            "PostgreSQL 请先用 pg_restore 恢复到新数据库，再运行 zhengwu db restore "
            "--revocations-from 旧数据库（见 docs/operations.md）",
            "PostgreSQL: pg_restore into a new database first, then run `zhengwu db restore "
            "--revocations-from OLD_DATABASE_URL` (docs/operations.md)",
        )
    if backup is not None and not backup.is_file():
        raise InvalidInputError(f"备份文件不存在：{backup}", f"no such backup file: {backup}")
    previous_engine: Engine | None = None
    previous_name = ""
    if revocations_from is not None:
        previous_engine = make_engine(revocations_from)
        previous_name = previous_engine.url.render_as_string(hide_password=True)
        if previous_engine.url == engine.url or not has_users(previous_engine):
            previous_engine.dispose()
            raise InvalidInputError(
                f"--revocations-from 不是另一个 zhengwu 数据库：{previous_name}",
                f"--revocations-from is not another zhengwu database: {previous_name}",
            )
    elif backup is not None and has_users(engine):
        previous_engine, previous_name = engine, "(the database being replaced)"
    if previous_engine is None and not (revoke_all_tokens or keep_tokens):
        raise InvalidInputError(
            "没有可读取吊销记录的旧数据库：请用 --revocations-from 指定旧数据库；若旧数据库已丢失，"
            "用 --revoke-all-tokens 吊销备份中的全部 API 令牌（或确认备份后未吊销任何令牌时用 "
            "--keep-tokens）",
            "no previous database to read revocations from: name it with --revocations-from; "
            "if it is lost, use --revoke-all-tokens to revoke every API token of the backup (or "
            "--keep-tokens when you know none was revoked since the backup)",
        )
    previous = read_revocations(previous_engine) if previous_engine is not None else None
    if previous_engine is not None and previous_engine is not engine:
        previous_engine.dispose()
    if backup is not None:
        _copy_into(backup, engine)
    elif not has_users(engine):
        raise InvalidInputError(
            "当前配置的数据库不是 zhengwu 数据库，无可恢复",
            "the configured database is not a zhengwu database",
        )
    with engine.begin() as conn:
        report = apply_revocations(conn, previous, keep_tokens=keep_tokens)
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA user_version = 0")
    report.previous = previous_name or (
        "(none: every token kept)" if keep_tokens else "(none: every token revoked)"
    )
    return report


def _copy_into(backup: Path, engine: Engine) -> None:
    """Replace the SQLite database behind ``engine`` with the contents of ``backup``."""
    target = engine.url.database
    if not target or target == ":memory:":
        raise InvalidInputError("内存数据库无法恢复", "cannot restore into an in-memory database")
    if Path(target).resolve() == backup.resolve():
        raise InvalidInputError(
            "备份文件就是当前数据库：不带文件参数运行 zhengwu db restore 即可完成恢复",
            "the backup is the configured database itself: run `zhengwu db restore` without a file",
        )
    engine.dispose()  # no pooled connection keeps the old pages
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{backup}?mode=ro", uri=True, timeout=30)
    try:
        out = sqlite3.connect(target, timeout=30)
        try:
            src.backup(out)  # page by page, under the target's write lock
        finally:
            out.close()
    finally:
        src.close()
