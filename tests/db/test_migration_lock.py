"""The migration lock: re-entrant in its thread, and a wait for another process that ends.

Before, a use nested in one the same thread held (a command holding the lock that opens
the migrating engine) waited for itself for ever — the lock was a second connection's
(PostgreSQL) or file descriptor's (SQLite) — and a process waited for ever behind one that
hung while holding it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine

from zhengwu.config import get_settings
from zhengwu.db import migrate
from zhengwu.db.engine import make_engine
from zhengwu.errors import BusyError

# A process that takes the migration lock of the database at argv[1], says so, and holds
# it until its standard input closes.
HOLDER = """
import sys
from zhengwu.db import migrate
from zhengwu.db.engine import make_engine
engine = make_engine(sys.argv[1])
with migrate.migration_lock(engine):
    print("held", flush=True)
    sys.stdin.read()
engine.dispose()
"""


@pytest.fixture
def lock_url(empty_engine: Engine) -> str:
    return empty_engine.url.render_as_string(hide_password=False)


@contextmanager
def holding(url: str) -> Iterator[subprocess.Popen[str]]:
    """Another process that holds the database's migration lock until its input closes."""
    with subprocess.Popen(
        [sys.executable, "-c", HOLDER, url],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    ) as process:  # fmt: skip
        assert process.stdout is not None and process.stdin is not None
        assert process.stdout.readline().strip() == "held", process.stderr
        try:
            yield process
        finally:
            if not process.stdin.closed:
                process.stdin.close()
            process.wait(timeout=60)


@pytest.fixture
def holder(lock_url: str) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the database's migration lock (released when the test ends)."""
    with holding(lock_url) as process:
        yield process


def test_a_nested_use_in_the_same_thread_goes_on(empty_engine: Engine) -> None:
    done: list[str | None] = []

    def nested() -> None:
        with migrate.migration_lock(empty_engine), migrate.migration_lock(empty_engine):
            # The migrating engine's first use, inside a command that holds the lock.
            assert migrate.ensure_current(empty_engine) is True
            with migrate.migration_lock(empty_engine):
                done.append(migrate.current(empty_engine))

    worker = threading.Thread(target=nested, daemon=True)
    worker.start()
    worker.join(timeout=120)
    assert not worker.is_alive(), "a nested use of the migration lock waited for itself"
    assert done and done[0]
    with migrate.migration_lock(empty_engine, timeout=0):  # and all of it released
        pass


def test_waiting_for_another_process_gives_up_after_the_timeout(
    empty_engine: Engine, holder: subprocess.Popen[str]
) -> None:
    started = time.monotonic()
    with pytest.raises(BusyError) as refused, migrate.migration_lock(empty_engine, timeout=1):
        pytest.fail("took a lock another process holds")
    waited = time.monotonic() - started
    assert 1 <= waited < 10
    error = refused.value
    assert f"数据库迁移锁被进程 {holder.pid} 占用，已等待 1 秒" in error.message_zh
    assert "ZHENGWU_MIGRATION_LOCK_TIMEOUT" in error.message_zh
    assert f"held by process {holder.pid}; gave up after waiting 1 s" in error.message_en
    assert "ZHENGWU_MIGRATION_LOCK_TIMEOUT" in error.message_en
    assert error.status_code == 503
    # Released by the other process, it is free again.
    assert holder.stdin is not None
    holder.stdin.close()
    assert holder.wait(timeout=60) == 0
    with migrate.migration_lock(empty_engine, timeout=10):
        pass


def test_a_command_gives_up_after_the_configured_timeout(
    lock_url: str, holder: subprocess.Popen[str], tmp_path: Path
) -> None:
    cli = Path(sys.executable).parent / "zhengwu"
    env = {**os.environ, "ZHENGWU_DATABASE_URL": lock_url, "ZHENGWU_DATA_DIR": str(tmp_path),
           "ZHENGWU_MIGRATION_LOCK_TIMEOUT": "2"}  # fmt: skip
    started = time.monotonic()
    upgrade = subprocess.run(
        [str(cli), "db", "upgrade"], env=env, capture_output=True, text=True, timeout=60
    )
    assert 2 <= time.monotonic() - started < 60
    said = " ".join(upgrade.stderr.split())  # rich wraps long lines
    assert upgrade.returncode == 2, (upgrade.stdout, upgrade.stderr)
    assert f"数据库迁移锁被进程 {holder.pid} 占用，已等待 2 秒" in said
    assert f"held by process {holder.pid}; gave up after waiting 2 s" in said
    assert "Traceback" not in upgrade.stderr


def test_a_wait_shorter_than_the_timeout_takes_the_lock(
    lock_url: str, empty_engine: Engine
) -> None:
    # The other process holds it for a moment: the waiter gets it when it is released.
    with holding(lock_url) as process:
        assert process.stdin is not None
        threading.Timer(1.0, process.stdin.close).start()
        started = time.monotonic()
        with migrate.migration_lock(empty_engine, timeout=60):
            assert time.monotonic() - started >= 0.5
            assert process.wait(timeout=60) == 0


def test_another_thread_of_the_process_waits_like_another_process(lock_url: str) -> None:
    engine = make_engine(lock_url)
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with migrate.migration_lock(engine):
            holding.set()
            release.wait(timeout=60)

    other = threading.Thread(target=hold, daemon=True)
    other.start()
    try:
        assert holding.wait(timeout=60)
        with pytest.raises(BusyError) as refused, migrate.migration_lock(engine, timeout=0.5):
            pytest.fail("took a lock another thread holds")
        assert f"process {os.getpid()}" in refused.value.message_en
    finally:
        release.set()
        other.join(timeout=60)
        engine.dispose()


def test_an_upgrade_or_a_downgrade_waits_for_the_lock(
    empty_engine: Engine, lock_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A downgrade took no lock: it ran at once beside another process migrating.
    migrate.upgrade(empty_engine, "0010")
    monkeypatch.setenv("ZHENGWU_MIGRATION_LOCK_TIMEOUT", "1")
    get_settings.cache_clear()
    try:
        with holding(lock_url):
            with pytest.raises(BusyError, match="migration lock is held by process"):
                migrate.downgrade(empty_engine, "0002")
            with pytest.raises(BusyError, match="migration lock is held by process"):
                migrate.upgrade(empty_engine, "0016")
            assert migrate.current(empty_engine) == "0010"
        migrate.downgrade(empty_engine, "0002")
        assert migrate.current(empty_engine) == "0002"
    finally:
        get_settings.cache_clear()
