"""``zhengwu store backup``: a consistent copy of the DuckDB store, waiting for a writer."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from zhengwu.cli.store import app
from zhengwu.config import get_settings
from zhengwu.content import store
from zhengwu.errors import BusyError, ConflictError, NotFoundError

runner = CliRunner()
# A writer (an import): holds the store, writes a post, and closes when its stdin closes.
WRITER = (
    "import sys, duckdb; con = duckdb.connect(sys.argv[1]); print('ready', flush=True); "
    'sys.stdin.readline(); con.execute("INSERT INTO posts (platform, post_id, created_at) '
    "VALUES ('weibo', 'late', TIMESTAMP '2025-07-02 00:00:00')\"); con.close()"
)


def _post(path: Path, post_id: str) -> None:
    with store.open_store(path) as con:
        con.execute(
            "INSERT INTO posts (platform, post_id, created_at) VALUES ('weibo', ?, ?)",
            [post_id, "2025-07-01 08:00:00"],
        )


def _posts(path: Path) -> list[str]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return [r[0] for r in con.execute("SELECT post_id FROM posts ORDER BY post_id").fetchall()]
    finally:
        con.close()


def test_the_copy_holds_the_store_and_refuses_to_overwrite(tmp_path: Path) -> None:
    dest = tmp_path / "backup" / "analytics.duckdb"
    with pytest.raises(NotFoundError, match="no analytics store"):
        store.backup(dest)
    _post(get_settings().resolved_analytics_path, "p1")
    result = json.loads(runner.invoke(app, ["backup", str(dest), "--json"]).stdout)
    assert result == {"path": str(dest), "bytes": dest.stat().st_size, "posts": 1}
    assert _posts(dest) == ["p1"]
    assert not dest.with_name(dest.name + ".partial").exists()
    with pytest.raises(ConflictError, match="already exists"):
        store.backup(dest)
    again = runner.invoke(app, ["backup", str(dest)])
    assert again.exit_code == 2 and "目标文件已存在" in again.output


def test_a_backup_waits_for_the_writer_and_copies_what_it_wrote(tmp_path: Path) -> None:
    source = get_settings().resolved_analytics_path
    _post(source, "p1")
    dest = tmp_path / "copy.duckdb"
    with subprocess.Popen(
        [sys.executable, "-c", WRITER, str(source)], stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, text=True,
    ) as writer:  # fmt: skip
        assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
        with pytest.raises(BusyError):
            store.backup(tmp_path / "too-soon.duckdb", wait=0.3)  # the writer holds it
        outcome: dict[str, object] = {}
        thread = threading.Thread(target=lambda: outcome.update(store.backup(dest, wait=30)))
        thread.start()
        time.sleep(0.5)
        assert thread.is_alive()  # still waiting for the writer
        assert writer.stdin is not None
        writer.stdin.write("go\n")
        writer.stdin.close()
        writer.wait(timeout=30)
        thread.join(timeout=40)
    assert outcome["posts"] == 2
    assert _posts(dest) == ["late", "p1"]  # the writer's last post is in the copy
