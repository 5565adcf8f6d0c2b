"""Run Alembic migrations programmatically (``zhengwu db upgrade``, tests).

Each domain's migrations form a branch on top of the foundation revision ``0001`` (index,
auth, service desk, rescue …), so domains evolve independently; ``heads`` upgrades them all.
"""

from __future__ import annotations

import fcntl
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine
from sqlalchemy.pool import NullPool

from zhengwu.errors import ServerError


def alembic_config(url: str) -> Config:
    """Return an Alembic config pointing at zhengwu's packaged migrations."""
    cfg = Config()
    cfg.set_main_option("script_location", "zhengwu.db:migrations")
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


# The key of the PostgreSQL advisory lock that migrations take ("zhengw" in ASCII).
_MIGRATION_LOCK = 0x7A68656E6777


@contextmanager
def migration_lock(engine: Engine) -> Iterator[None]:
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
    """
    if engine.dialect.name == "postgresql":
        own = create_engine(engine.url, poolclass=NullPool)
        try:
            with own.connect() as conn:
                conn.exec_driver_sql(f"SELECT pg_advisory_lock({_MIGRATION_LOCK})")
                conn.commit()
                try:
                    yield
                finally:
                    conn.exec_driver_sql(f"SELECT pg_advisory_unlock({_MIGRATION_LOCK})")
                    conn.commit()
        finally:
            own.dispose()
        return
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:" or database.startswith("file:"):
        yield
        return
    with Path(f"{database}.migrate-lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


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
    ``words``: what it is called in Chinese and English, in the error."""
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


def ensure_current(engine: Engine) -> bool:
    """Migrate the database (and load regions) when it is behind the code; return if it was.

    The CLI and the server call this on start, so a new user never meets "no such table":
    a fresh SQLite file is created and migrated on first use.
    """
    from alembic.script import ScriptDirectory
    from sqlalchemy.orm import Session

    from zhengwu.regions.service import sync_regions

    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    script = ScriptDirectory.from_config(cfg)

    def behind() -> bool:
        have = tuple(sorted(set((current(engine) or "").split(",")) - {""}))
        # The version table keeps only the tips: a revision another one depends on (0018
        # on 0014 and 0017) is applied without being listed, so compare what the tips cover.
        applied = (
            {r.revision for r in script.revision_map.iterate_revisions(have, "base")}
            if have
            else set()
        )
        return not set(script.get_heads()) <= applied

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
