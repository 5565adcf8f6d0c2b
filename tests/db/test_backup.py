"""``zhengwu db backup``: SQLite copied consistently while in use; PostgreSQL sent to pg_dump."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from zhengwu.auth import service as auth_service
from zhengwu.cli.db import app

runner = CliRunner()


def test_db_backup_copies_sqlite_and_points_postgresql_to_pg_dump(
    configured_database: str, committed_engine: Engine, tmp_path: Path
) -> None:
    with Session(committed_engine) as s:
        auth_service.create_user(s, username="wang", password="long-enough-1", role="admin")
        s.commit()
    dest = tmp_path / "b" / "zhengwu.db"
    # An open transaction with an uncommitted user: the copy has the committed state only.
    with committed_engine.connect() as busy:
        busy.begin()
        auth_service.create_user(
            Session(bind=busy), username="uncommitted", password="long-enough-1", role="admin"
        )
        result = runner.invoke(app, ["backup", str(dest), "--json"])
    if committed_engine.dialect.name == "postgresql":
        assert result.exit_code == 2
        assert "pg_dump" in result.output and not dest.exists()
        return
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"path": str(dest), "bytes": dest.stat().st_size}
    copy = sqlite3.connect(dest)
    try:
        names = [r[0] for r in copy.execute("SELECT username FROM users ORDER BY id")]
        revision = copy.execute("SELECT count(*) FROM alembic_version").fetchone()
    finally:
        copy.close()
    assert names == ["wang"]
    assert revision is not None and revision[0] > 0
    again = runner.invoke(app, ["backup", str(dest)])
    assert again.exit_code == 2 and "already exists" in again.output
