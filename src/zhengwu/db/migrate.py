"""Run Alembic migrations programmatically (``zhengwu db upgrade``, tests).

Each domain's migrations form a branch on top of the foundation revision ``0001`` (index,
auth, service desk, rescue …), so domains evolve independently; ``heads`` upgrades them all.
"""

from __future__ import annotations

import fcntl
import os
import re
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine
from sqlalchemy.pool import NullPool

from zhengwu.errors import BusyError, InvalidInputError, ServerError

if TYPE_CHECKING:
    from alembic.script import ScriptDirectory


def alembic_config(url: str) -> Config:
    """Return an Alembic config pointing at zhengwu's packaged migrations."""
    cfg = Config()
    cfg.set_main_option("script_location", "zhengwu.db:migrations")
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


# The key of the PostgreSQL advisory lock that migrations take ("zhengw" in ASCII).
_MIGRATION_LOCK = 0x7A68656E6777
# How often a process waiting for another's migration lock tries it again (seconds).
_LOCK_POLL = 0.2

# The migration locks this process holds, by database (:func:`_lock_key`): a re-entrant
# lock per database, which the thread that holds the database's lock holds too, and how
# deep its nested uses go. Guarded by ``_LOCKS_GUARD``.
_LOCKS: dict[str, threading.RLock] = {}
_DEPTH: dict[str, int] = {}
_LOCKS_GUARD = threading.Lock()


@contextmanager
def migration_lock(engine: Engine, *, timeout: float | None = None) -> Iterator[None]:
    """Hold the database's migration lock: one process at a time migrates it.

    Every command and server process brings the schema up to date on first use
    (:func:`ensure_current`), so after an upgrade of the package, or on a new database,
    ``zhengwu serve --workers 4`` and ``zhengwu worker`` started together all found it
    behind and migrated it at once; all but one failed with a traceback (PostgreSQL:
    ``duplicate key … (typname, typnamespace)=(alembic_version, …)``). The others now wait
    here and find it done. PostgreSQL: a session advisory lock on a connection of its own;
    a SQLite file: an exclusive lock of ``<file>.migrate-lock`` beside it.

    The PostgreSQL connection is outside ``engine``'s pool: the migration inside takes the
    pool's (an engine of one connection waited for itself), and closing it releases the
    lock whatever happened — a pooled connection whose unlock failed would have gone back
    to the pool still holding it.

    Re-entrant: a use nested in one that the same thread holds (a command holding it that
    opens the migrating engine, :func:`ensure_current`) goes on at once; the lock was a
    second connection's or file descriptor's and waited for itself for ever. Another
    thread of the process waits as another process does. Waiting ends after ``timeout``
    seconds (default: the ``migration_lock_timeout`` setting; 0: the lock is tried once)
    with a :class:`~zhengwu.errors.BusyError` naming the process that holds it; before,
    a process waited for ever behind one that hung.
    """
    if timeout is None:
        from zhengwu.config import get_settings

        timeout = get_settings().migration_lock_timeout
    key = _lock_key(engine)
    if key is None:  # an in-memory SQLite database: no other process sees it
        yield
        return
    deadline = time.monotonic() + timeout
    with _LOCKS_GUARD:
        local = _LOCKS.setdefault(key, threading.RLock())
    if not local.acquire(timeout=timeout):  # another thread of this process migrates it
        raise _lock_busy(timeout, _holder_name())
    try:
        if _DEPTH.get(key, 0):  # nested: this thread holds the database's lock already
            _DEPTH[key] += 1
            try:
                yield
            finally:
                _DEPTH[key] -= 1
            return
        with _database_lock(engine, key, deadline, timeout):
            _DEPTH[key] = 1
            try:
                yield
            finally:
                _DEPTH[key] = 0
    finally:
        local.release()


def _lock_key(engine: Engine) -> str | None:
    """Return which database's migration lock ``engine`` takes (None: no lock needed).

    PostgreSQL's advisory locks are per database: its host, port and name. A SQLite
    file's lock is the file beside it, by its real path."""
    url = engine.url
    if engine.dialect.name == "postgresql":
        return f"postgresql://{url.host or ''}:{url.port or ''}/{url.database or ''}"
    database = url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return str(Path(f"{database}.migrate-lock").resolve())


@contextmanager
def _database_lock(engine: Engine, key: str, deadline: float, timeout: float) -> Iterator[None]:
    """Take the database's own lock, waiting until ``deadline`` (see :func:`migration_lock`)."""
    if engine.dialect.name == "postgresql":
        # The holder is named by its connection (PostgreSQL knows only its own pid).
        own = create_engine(
            engine.url, poolclass=NullPool, connect_args={"application_name": _holder_name()}
        )
        try:
            with own.connect() as conn:

                def take() -> bool:
                    sql = f"SELECT pg_try_advisory_lock({_MIGRATION_LOCK})"
                    got = bool(conn.exec_driver_sql(sql).scalar())
                    conn.commit()  # no transaction stays open while it waits
                    return got

                def holder() -> str | None:
                    high, low = divmod(_MIGRATION_LOCK, 1 << 32)
                    name = conn.exec_driver_sql(
                        "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a"
                        " ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted"
                        f" AND l.classid = {high} AND l.objid = {low} AND l.objsubid = 1"
                        " AND l.database = (SELECT oid FROM pg_database"
                        " WHERE datname = current_database())"
                    ).scalar()
                    conn.commit()
                    return None if name is None else str(name)

                _wait(take, holder, deadline, timeout)
                try:
                    yield
                finally:
                    conn.exec_driver_sql(f"SELECT pg_advisory_unlock({_MIGRATION_LOCK})")
                    conn.commit()
        finally:
            own.dispose()
        return
    path = Path(key)
    with path.open("a") as lock:

        def take_file() -> bool:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            return True

        def file_holder() -> str | None:
            try:  # the holder wrote its name into the file
                return path.read_text().strip()
            except OSError:
                return None

        _wait(take_file, file_holder, deadline, timeout)
        try:
            lock.truncate(0)
            lock.write(f"{_holder_name()}\n")
            lock.flush()
            yield
        finally:
            lock.truncate(0)
            fcntl.flock(lock, fcntl.LOCK_UN)


def _holder_name() -> str:
    """Return how a waiting process is told who holds the lock: ``zhengwu-migrate:<pid>@<host>``."""
    return f"zhengwu-migrate:{os.getpid()}@{socket.gethostname()}"[:63]


def _wait(
    take: Callable[[], bool], holder: Callable[[], str | None], deadline: float, timeout: float
) -> None:
    """Try ``take`` until it succeeds, or raise :func:`_lock_busy` past ``deadline``."""
    while not take():
        left = deadline - time.monotonic()
        if left <= 0:
            raise _lock_busy(timeout, holder())
        time.sleep(min(_LOCK_POLL, left))


def _lock_busy(timeout: float, holder: str | None) -> BusyError:
    """The error of a migration lock another process (``holder``: :func:`_holder_name`)
    held for all of ``timeout`` seconds."""
    pid, _, host = (holder or "").removeprefix("zhengwu-migrate:").partition("@")
    if not pid.isdigit():
        zh_who, en_who = "另一个进程", "another process"
    elif host and host != socket.gethostname():
        zh_who, en_who = f"主机 {host} 上的进程 {pid} ", f"process {pid} on {host}"
    else:
        zh_who, en_who = f"进程 {pid} ", f"process {pid}"
    return BusyError(
        f"数据库迁移锁被{zh_who}占用，已等待 {timeout:g} 秒，放弃：它正在升级或降级数据库"
        "（zhengwu db upgrade、zhengwu db downgrade，或正在启动的服务、worker）。"
        "等它结束后重试；迁移需要更久时调大 ZHENGWU_MIGRATION_LOCK_TIMEOUT",
        f"the database's migration lock is held by {en_who}; gave up after waiting "
        f"{timeout:g} s: it is upgrading or downgrading the database (zhengwu db upgrade, "
        "zhengwu db downgrade, or a server or worker starting). Try again when it is done; "
        "for a migration that takes longer, raise ZHENGWU_MIGRATION_LOCK_TIMEOUT",
    )


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Upgrade the database behind ``engine`` to ``revision``.

    On SQLite, a migration that changes a table in batch mode rebuilds it (a copy, the old
    table dropped, the copy renamed); with foreign keys enforced — zhengwu's connections
    enforce them — dropping a table that other rows point at fails, so a database with
    data could not be upgraded past such a migration (0023 rebuilds ``help_requests``,
    which ``help_sources`` rows point at). As SQLite's own procedure for changing a table
    asks, the upgrade runs with foreign keys off, checks every key before it commits
    (``PRAGMA foreign_key_check``: a key the upgrade broke rolls it all back, DDL
    included), and turns them on again on the connection, which goes back to the pool.
    """
    _migrate(engine, command.upgrade, revision, ("升级", "upgrade"))


def downgrade(engine: Engine, revision: str) -> None:
    """Downgrade the database behind ``engine`` to ``revision``, as :func:`upgrade` runs:
    on SQLite a downgrade rebuilds tables too (0038's drops ``outbox``'s error columns by
    rebuilding ``outbox``, which ``library_distributions`` rows point at)."""
    _migrate(engine, command.downgrade, revision, ("降级", "downgrade"))


def _migrate(
    engine: Engine, run: Callable[[Config, str], None], revision: str, words: tuple[str, str]
) -> None:
    """Run Alembic's ``run`` (upgrade or downgrade) to ``revision`` (see :func:`upgrade`);
    ``words``: what it is called in Chinese and English, in the error.

    Under the database's :func:`migration_lock` (re-entrant: the caller may hold it
    already): a downgrade took none, and ran at once beside a server starting that was
    upgrading the same database. A revision Alembic cannot find or reach from the
    current one is an :class:`~zhengwu.errors.InvalidInputError`, not a traceback."""
    from alembic.util import CommandError

    with migration_lock(engine):
        try:
            _migrate_locked(engine, run, revision, words)
        except CommandError as exc:
            zh, en = words
            raise InvalidInputError(
                f"无法{zh}到结构版本 {revision}：{_refusal_zh(str(exc))}",
                f"cannot {en} to revision {revision}: {exc}",
            ) from None


# Alembic's refusals of a target revision, and what they mean in Chinese (the English
# line keeps Alembic's own words).
_ALEMBIC_REFUSALS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"Can't locate revision identified by '([^']*)'"),
     "本版本的迁移中没有 {0}（zhengwu db current -v 列出各分支的版本）"),
    (re.compile(r"Destination (\S+) is not a valid downgrade target"),
     "{0} 不在当前结构之前（尚未应用，或不在这些分支上）"),
    (re.compile(r"Relative revision ([-+]?\d+) didn't produce"),
     "该分支上没有这么多步可退或可进（{0}）"),
    (re.compile(r"Multiple head revisions are present"),
     "各分支的版本不同，请给出一个版本（zhengwu db current -v 列出各分支的版本），或 版本@-1"),
    (re.compile(r"Range revision not allowed"), "不能给出版本范围，请给出一个版本"),
)  # fmt: skip


def _refusal_zh(message: str) -> str:
    """Return why Alembic refused a target revision (its ``message``), in Chinese."""
    for pattern, zh in _ALEMBIC_REFUSALS:
        found = pattern.search(message)
        if found:
            return zh.format(*found.groups())
    return "迁移工具不接受这个版本（原因见英文信息）"


def _migrate_locked(
    engine: Engine, run: Callable[[Config, str], None], revision: str, words: tuple[str, str]
) -> None:
    """:func:`_migrate` once it holds the migration lock."""
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    if engine.dialect.name != "sqlite":
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            run(cfg, revision)
        return
    zh, en = words
    with engine.connect() as conn:
        # Outside a transaction, or SQLite ignores it.
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        conn.commit()
        # Python's sqlite3 opens a transaction only before INSERT, UPDATE or DELETE: the
        # DDL before them would run in autocommit, and a failed migration leave half of
        # it behind (a batch's ``_alembic_tmp_…`` table). It opens its own transaction
        # instead, so that all of it commits or none.
        raw: Any = conn.connection.driver_connection
        implicit = raw.isolation_level
        raw.isolation_level = None
        try:
            with conn.begin():
                conn.exec_driver_sql("BEGIN")
                before = _broken_keys(conn)
                cfg.attributes["connection"] = conn
                run(cfg, revision)
                after = _broken_keys(conn)
                added = {t: n - before.get(t, 0) for t, n in after.items() if n > before.get(t, 0)}
                if added:
                    tables = ", ".join(f"{t} {n}" for t, n in sorted(added.items()))
                    raise ServerError(
                        f"数据库{zh}使一些行的外键指向不存在的记录（{tables}），"
                        f"{zh}已撤销，数据未改动",
                        f"the {en} left rows whose foreign keys point at no row ({tables});"
                        " it was rolled back and the data left as it was",
                    )
        finally:
            raw.isolation_level = implicit
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")
            conn.commit()


def _broken_keys(conn: Connection) -> dict[str, int]:
    """Rows per table whose foreign key points at no row (SQLite). A database written
    with the keys off — the ``sqlite3`` shell's default — may hold some already; only
    those an upgrade adds stop it."""
    rows = {(str(t), rowid) for t, rowid, *_ in conn.exec_driver_sql("PRAGMA foreign_key_check")}
    return dict(Counter(table for table, _ in rows))


def current(engine: Engine) -> str | None:
    """Return the database's current revision(s), comma-separated (None when not migrated)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        heads = MigrationContext.configure(conn).get_current_heads()
    return ",".join(sorted(heads)) or None


@dataclass(frozen=True)
class SchemaState:
    """Where a database's schema stands against the code's migrations.

    ``heads``: the tips the version table lists, one per domain branch (13 on an up-to-date
    database, meaningless to an operator); ``applied``: every revision they cover;
    ``latest``: the code's newest revision.
    """

    heads: tuple[str, ...]
    applied: frozenset[str]
    code_heads: tuple[str, ...]
    # Listed revisions this code has no migration of: the database belongs to a newer
    # zhengwu (which has to take it back first: ``zhengwu db downgrade``).
    unknown: tuple[str, ...] = ()
    # The code's migrations not applied, in order (behind the newest applied as well:
    # a branch taken back, ``db upgrade 0019``).
    pending: tuple[str, ...] = ()

    @property
    def newest(self) -> str | None:
        """The newest revision applied (revisions are numbered in order), None if none."""
        return max(self.applied | set(self.unknown), default=None)

    @property
    def latest(self) -> str:
        """The code's newest revision."""
        return max(self.code_heads)

    @property
    def up_to_date(self) -> bool:
        """Whether every migration of the code is applied."""
        return set(self.code_heads) <= self.applied


def _known(script: ScriptDirectory, revision: str) -> bool:
    """Tell whether this code has a migration of ``revision``."""
    from alembic.script.revision import ResolutionError

    try:
        return script.revision_map.get_revision(revision) is not None
    except ResolutionError:
        return False


def schema_state(engine: Engine | None) -> SchemaState:
    """Return where the schema of the database behind ``engine`` stands (no migrating);
    ``None``: no database yet (no schema)."""
    from alembic.script import ScriptDirectory

    url = "sqlite://" if engine is None else engine.url.render_as_string(hide_password=False)
    script = ScriptDirectory.from_config(alembic_config(url))
    listed = set() if engine is None else set((current(engine) or "").split(",")) - {""}
    unknown = tuple(sorted(r for r in listed if not _known(script, r)))
    have = tuple(sorted(listed - set(unknown)))
    # The version table keeps only the tips: a revision another one depends on (0018 on
    # 0014 and 0017) is applied without being listed, so count what the tips cover.
    applied = (
        frozenset(r.revision for r in script.revision_map.iterate_revisions(have, "base"))
        if have
        else frozenset()
    )
    code_heads = tuple(sorted(script.get_heads()))
    everything = {r.revision for r in script.revision_map.iterate_revisions(code_heads, "base")}
    pending = tuple(sorted(everything - applied))
    return SchemaState(tuple(sorted(listed)), applied, code_heads, unknown, pending)


def ensure_current(engine: Engine) -> bool:
    """Migrate the database (and load regions) when it is behind the code; return if it was.

    The CLI and the server call this on start, so a new user never meets "no such table":
    a fresh SQLite file is created and migrated on first use.
    """
    from sqlalchemy.orm import Session

    from zhengwu.regions.service import sync_regions

    def behind() -> bool:
        return not schema_state(engine).up_to_date

    if not behind():
        return False
    with migration_lock(engine):
        if not behind():  # another process migrated it while this one waited
            return False
        upgrade(engine)
        with Session(engine) as session:
            sync_regions(session)
            session.commit()
    return True
