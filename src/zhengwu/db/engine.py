"""Engine and session factories; the caller (request, CLI command, job) owns the transaction."""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from zhengwu.config import get_settings
from zhengwu.db import nulcheck


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine with the per-backend settings zhengwu relies on.

    Every engine refuses a NUL character in a statement's values alike on both backends
    (:mod:`zhengwu.db.nulcheck`).
    """
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

    else:
        kwargs.setdefault("pool_pre_ping", True)
        engine = create_engine(url, **kwargs)
    nulcheck.install(engine)
    return engine


# Every engine get_engine made that is still alive (see dispose_cached_engines).
_CACHED: weakref.WeakSet[Engine] = weakref.WeakSet()


@lru_cache(maxsize=4)
def get_engine(url: str | None = None, *, migrate: bool = True) -> Engine:
    """Return the process-wide engine for ``url`` (default: the configured database).

    With ``migrate`` (the default) the schema is brought up to date on first use.
    """
    settings = get_settings()
    if url is None and settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url or settings.resolved_database_url)
    if migrate:
        from zhengwu.db.migrate import ensure_current

        ensure_current(engine)
    _CACHED.add(engine)
    return engine


def dispose_cached_engines() -> None:
    """Close the pooled connections of every engine :func:`get_engine` made, then forget them.

    ``get_engine.cache_clear()`` alone drops the engines with their connections still open:
    the garbage collector closes them later, wherever it happens to run, and psycopg warns
    then (``ResourceWarning: … was deleted while still open``) — in the test suite, an
    error charged to whichever test runs at that moment. A disposed engine stays usable
    (it opens new connections), so disposing one someone still holds is safe.
    """
    for engine in list(_CACHED):
        engine.dispose()
    get_engine.cache_clear()


def nothing_stored_yet() -> bool:
    """Tell whether the configured database is the default SQLite file and it does not exist.

    Then nothing was ever written here (no ``zhengwu db upgrade``, import or server in this
    directory): a command that only reads (``zhengwu imports``, ``quarantine``, ``db
    current``) answers "nothing yet" without creating ``./zhengwu-data`` where it was run.
    """
    settings = get_settings()
    return settings.database_url is None and not (settings.data_dir / "zhengwu.db").exists()


def session_factory(engine: Engine | None = None) -> sessionmaker[Session]:
    """Return a session factory bound to ``engine`` (default: the configured one)."""
    return sessionmaker(bind=engine or get_engine(), expire_on_commit=False)


@contextmanager
def rolled_back_if(session: Session, dry_run: bool) -> Iterator[None]:
    """Run the block as it is, or with ``dry_run`` (a check, 检查; ``--dry-run``) in a
    savepoint rolled back at its end, whatever happened: the block sees and answers what it
    would do now, and nothing of it stays. The imports' dry runs share it (the hotline
    export's, a matrix's member list, the volunteers' sheet)."""
    if not dry_run:
        yield
        return
    savepoint = session.begin_nested()
    try:
        yield
    finally:
        savepoint.rollback()


@contextmanager
def unit_of_work(engine: Engine | None = None) -> Iterator[Session]:
    """Open a session, commit on success and roll back on error (for CLI commands and jobs)."""
    session = session_factory(engine)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
