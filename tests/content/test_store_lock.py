"""The analytics store is one DuckDB file that one process writes at a time.

A second process cannot open it, not even to read, while a writer holds it; opening waits
a little and then fails with a clear bilingual 503 (``BusyError``) naming the holder.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from zhengwu.content import store
from zhengwu.errors import BusyError

HOLD = (
    "import sys, duckdb; con = duckdb.connect(sys.argv[1]); "
    "print('ready', flush=True); sys.stdin.read(); con.close()"
)


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[tuple[Path, subprocess.Popen[str]]]:
    """Another process holding the store open for writing until its stdin closes."""
    path = tmp_path / "analytics.duckdb"
    store.connect(path).close()  # the tables exist
    with subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        text=True,
    ) as proc:  # fmt: skip
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        try:
            yield path, proc
        finally:
            if proc.stdin and not proc.stdin.closed:
                proc.stdin.close()
            proc.wait(timeout=30)


def test_a_reader_waits_then_gets_a_bilingual_busy_error(
    holder: tuple[Path, subprocess.Popen[str]],
) -> None:
    path, proc = holder
    started = time.monotonic()
    with pytest.raises(BusyError) as caught:
        store.connect(path, read_only=True, wait=0.4)
    assert time.monotonic() - started >= 0.4
    err = caught.value
    assert err.status_code == 503
    assert f"进程 {proc.pid}" in err.message_zh
    assert "请稍后再试" in err.message_zh
    assert f"process {proc.pid}" in err.message_en


def test_a_writer_gets_the_store_once_the_holder_lets_go(
    holder: tuple[Path, subprocess.Popen[str]],
) -> None:
    path, proc = holder
    assert proc.stdin is not None
    threading.Timer(0.5, proc.stdin.close).start()
    started = time.monotonic()
    con = store.connect(path, wait=30)
    try:
        assert time.monotonic() - started >= 0.4  # it did wait for the holder
        assert con.execute("SELECT count(*) FROM posts").fetchall() == [(0,)]
    finally:
        con.close()


def test_other_io_errors_are_not_taken_for_a_lock(tmp_path: Path) -> None:
    bad = tmp_path / "not-a-db.duckdb"
    bad.write_bytes(b"this is not a DuckDB file" * 100)
    started = time.monotonic()
    with pytest.raises(duckdb.IOException, match="not a valid DuckDB database"):
        store.connect(bad, wait=60)
    assert time.monotonic() - started < 30  # raised at once, not retried for the 60 s


def test_within_one_process_a_writer_waits_for_a_reader_and_a_reader_for_a_writer(
    tmp_path: Path,
) -> None:
    # The server's requests share one process: a page reading the store (read-only) while
    # an API call opens it to write (an index run, a publication) is refused by DuckDB
    # ("a different configuration than existing connections"), which was a 500. It is
    # waited out like another process's lock, and then a bilingual 503.
    path = tmp_path / "analytics.duckdb"
    store.connect(path).close()
    reader = store.connect(path, read_only=True)
    threading.Timer(0.5, reader.close).start()
    started = time.monotonic()
    writer = store.connect(path, wait=30)
    try:
        assert time.monotonic() - started >= 0.4  # it did wait for the reader
        assert writer.execute("SELECT count(*) FROM posts").fetchall() == [(0,)]
        with pytest.raises(BusyError) as caught:
            store.connect(path, read_only=True, wait=0.3)
        assert "分析库正被本进程的另一个请求占用" in caught.value.message_zh
        assert "in use by another request of this process" in caught.value.message_en
    finally:
        writer.close()
    store.connect(path, read_only=True, wait=0.3).close()  # free again
