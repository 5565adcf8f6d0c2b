"""Consistent copies of the operational database while the server runs (``zhengwu db backup``).

SQLite is copied with its online backup API, page by page inside read transactions, so the
copy is one consistent state even while the server and the worker write. PostgreSQL has
its own tool for that (``pg_dump``); this module refuses it with that advice. The copy is
marked as not yet restored (see :mod:`zhengwu.db.restore`).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import Engine

from zhengwu.db.restore import RESTORE_PENDING
from zhengwu.errors import ConflictError, InvalidInputError


def backup_sqlite(engine: Engine, dest: Path) -> int:
    """Copy the SQLite database behind ``engine`` to ``dest`` (a new file); return its size."""
    if engine.dialect.name != "sqlite":
        raise InvalidInputError(
            "PostgreSQL 请用 pg_dump 备份（见 docs/operations.md）",
            "back up PostgreSQL with pg_dump (see docs/operations.md)",
        )
    source = engine.url.database
    if not source or source == ":memory:":
        raise InvalidInputError("内存数据库无法备份", "an in-memory database has no file to copy")
    if dest.exists():
        raise ConflictError(f"目标文件已存在：{dest}", f"the backup file already exists: {dest}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".partial")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    try:
        out = sqlite3.connect(partial)
        try:
            src.backup(out)
            # Marked as a copy not yet restored: a server refuses it until `zhengwu db
            # restore` has carried the later revocations in (zhengwu.db.restore).
            out.execute(f"PRAGMA user_version = {RESTORE_PENDING}")
        finally:
            out.close()
    finally:
        src.close()
    partial.replace(dest)  # a half-written copy never carries the final name
    return dest.stat().st_size
