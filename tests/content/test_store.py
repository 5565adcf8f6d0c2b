"""The analytics store classifies observations and keeps snapshots only on change."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from zhengwu.content import store
from zhengwu.ingest.collect import Collector
from zhengwu.ingest.registry import ImportItem
from zhengwu.platforms.records import PostRecord

T0 = datetime(2025, 7, 1, tzinfo=UTC)
T1 = datetime(2025, 7, 2, tzinfo=UTC)


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    with store.open_store(tmp_path / "a.duckdb") as c:
        yield c


def _post(pid: str, likes: int | None, reads: int | None = None, **kw: object) -> PostRecord:
    return PostRecord(platform="weibo", post_id=pid, account_uid="1", created_at=T0,
                      text=f"post {pid}", likes=likes, reads=reads, **kw)  # type: ignore[arg-type]  # fmt: skip


def _write(
    con: duckdb.DuckDBPyConnection, posts: list[PostRecord], at: datetime = T0
) -> store.WriteCounts:
    c = Collector(observed_at=at)
    for p in posts:
        c.add(ImportItem(primary=p))
    return store.write_posts(con, c.posts_table())


def test_new_changed_and_unchanged_posts(con: duckdb.DuckDBPyConnection) -> None:
    first = _write(con, [_post("a", 1), _post("b", 2)])
    assert (first.imported, first.updated, first.duplicates) == (2, 0, 0)
    second = _write(con, [_post("a", 1), _post("b", 5)], T1)
    assert (second.imported, second.updated, second.duplicates) == (0, 1, 1)
    assert con.execute("SELECT likes FROM posts WHERE post_id='b'").fetchone() == (5,)
    snaps = con.execute(
        "SELECT post_id, likes FROM post_snapshots ORDER BY post_id, observed_at"
    ).fetchall()
    assert snaps == [("a", 1), ("b", 2), ("b", 5)]


def test_repeats_inside_one_batch_compare_with_the_previous_row(
    con: duckdb.DuckDBPyConnection,
) -> None:
    counts = _write(con, [_post("a", 1), _post("a", 1), _post("a", 3)])
    assert (counts.imported, counts.updated, counts.duplicates) == (1, 1, 1)
    assert con.execute("SELECT count(*), max(likes) FROM posts").fetchone() == (1, 3)


def test_missing_count_is_not_a_change(con: duckdb.DuckDBPyConnection) -> None:
    _write(con, [_post("a", 4, reads=100)])
    counts = _write(con, [_post("a", None, reads=100)], T1)
    assert counts.duplicates == 1
    assert con.execute("SELECT likes, reads FROM posts").fetchone() == (4, 100)


def test_dry_run_classifies_without_writing(con: duckdb.DuckDBPyConnection) -> None:
    c = Collector(observed_at=T0)
    c.add(ImportItem(primary=_post("a", 1)))
    counts = store.write_posts(con, c.posts_table(), dry_run=True)
    assert counts.imported == 1
    assert con.execute("SELECT count(*) FROM posts").fetchone() == (0,)


def test_related_rows_are_stored_but_not_counted(con: duckdb.DuckDBPyConnection) -> None:
    c = Collector(observed_at=T0)
    c.add(ImportItem(primary=_post("r", 1, is_repost=True, root_post_id="root"),
                     related=[_post("root", 100)]))  # fmt: skip
    counts = store.write_posts(con, c.posts_table())
    assert (counts.imported, counts.updated, counts.duplicates) == (1, 0, 0)
    assert con.execute("SELECT count(*) FROM posts").fetchone() == (2,)


def test_export_parquet_partitions_by_platform_and_month(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    _write(con, [_post("a", 1), _post("b", 2)])
    files = store.export_parquet(con, tmp_path / "pq")
    assert any("platform=weibo" in str(f) and "month=2025-07" in str(f) for f in files)
    n = (
        duckdb.connect()
        .execute(f"SELECT count(*) FROM read_parquet('{tmp_path}/pq/posts/**/*.parquet')")
        .fetchone()
    )
    assert n == (2,)


def test_an_older_observation_adds_history_but_not_a_new_state(
    con: duckdb.DuckDBPyConnection,
) -> None:
    _write(con, [_post("a", 10)], T1)
    older = _write(con, [_post("a", 4)], T0)
    assert older.updated == 1
    assert con.execute("SELECT likes FROM posts").fetchone() == (10,)
    again = _write(con, [_post("a", 4)], T0)
    assert again.duplicates == 1
    assert con.execute("SELECT count(*) FROM post_snapshots").fetchone() == (2,)
