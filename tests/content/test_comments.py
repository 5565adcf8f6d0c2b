"""Comments in the analytics store: classification, latest counts, and the own-reply view."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from zhengwu.content import store
from zhengwu.content.comments import write_comments
from zhengwu.index.compliance import has_table
from zhengwu.ingest.collect import Collector
from zhengwu.ingest.registry import ImportItem
from zhengwu.platforms.records import CommentRecord, PostRecord

T0 = datetime(2025, 7, 1, 2, 0, tzinfo=UTC)
T1 = T0 + timedelta(days=1)
ACCOUNT = "1288915263"


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    with store.open_store(tmp_path / "a.duckdb") as c:
        yield c


def _comment(cid: str, likes: int | None = 1, subs: int | None = 0, **kw: object) -> CommentRecord:
    values: dict[str, object] = {
        "platform": "weibo", "comment_id": cid, "note_id": "n1", "account_uid": "citizen",
        "created_at": T0, "content": f"评论{cid}", "likes": likes, "sub_comments": subs,
    }  # fmt: skip
    values.update(kw)
    return CommentRecord(**values)  # type: ignore[arg-type]


def _write(
    con: duckdb.DuckDBPyConnection,
    comments: list[CommentRecord],
    at: datetime = T0,
    *,
    dry_run: bool = False,
) -> store.WriteCounts:
    c = Collector(observed_at=at)
    for comment in comments:
        c.add(ImportItem(primary=comment))
    return write_comments(con, c.comments_table(), dry_run=dry_run)


def _counts(result: store.WriteCounts) -> tuple[int, int, int]:
    return result.imported, result.updated, result.duplicates


def test_new_changed_and_unchanged_comments(con: duckdb.DuckDBPyConnection) -> None:
    assert _counts(_write(con, [_comment("a", 1), _comment("b", 2)])) == (2, 0, 0)
    assert _counts(_write(con, [_comment("a", 1), _comment("b", 2)], T1)) == (0, 0, 2)
    later = _write(con, [_comment("a", 1, subs=3), _comment("b", 5), _comment("c")], T1)
    assert _counts(later) == (1, 2, 0)
    rows = con.execute(
        "SELECT comment_id, likes, sub_comments, observed_at, first_seen FROM comments "
        "ORDER BY comment_id"
    ).fetchall()
    naive = T1.replace(tzinfo=None)
    assert rows == [
        ("a", 1, 3, naive, T0.replace(tzinfo=None)),
        ("b", 5, 0, naive, T0.replace(tzinfo=None)),
        ("c", 1, 0, naive, naive),
    ]


def test_an_older_observation_changes_nothing(con: duckdb.DuckDBPyConnection) -> None:
    _write(con, [_comment("a", 9)], T1)
    assert _counts(_write(con, [_comment("a", 4)], T0)) == (0, 0, 1)
    assert con.execute("SELECT likes FROM comments").fetchall() == [(9,)]
    assert _counts(_write(con, [_comment("a", 4)], T0)) == (0, 0, 1)  # still idempotent


def test_repeats_in_a_batch_and_missing_counts(con: duckdb.DuckDBPyConnection) -> None:
    repeated = _write(con, [_comment("a", 1), _comment("a", 1), _comment("a", 3)])
    assert _counts(repeated) == (1, 1, 1)
    assert con.execute("SELECT count(*), max(likes) FROM comments").fetchone() == (1, 3)
    assert _counts(_write(con, [_comment("a", None, None)], T1)) == (0, 0, 1)
    assert con.execute("SELECT likes, sub_comments FROM comments").fetchone() == (3, 0)


def test_dry_run_classifies_without_writing(con: duckdb.DuckDBPyConnection) -> None:
    assert _counts(_write(con, [_comment("a"), _comment("a")], dry_run=True)) == (1, 0, 1)
    assert con.execute("SELECT count(*) FROM comments").fetchone() == (0,)


def test_dry_run_on_a_store_older_than_comments(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    with duckdb.connect(str(path)) as old:
        old.execute("CREATE TABLE posts (platform VARCHAR, post_id VARCHAR)")
    with store.open_store(path, read_only=True) as con:
        assert not has_table(con, "comments")
        assert _counts(_write(con, [_comment("a"), _comment("b")], dry_run=True)) == (2, 0, 0)


def test_no_personal_data_columns(con: duckdb.DuckDBPyConnection) -> None:
    columns = {r[0] for r in con.execute("DESCRIBE comments").fetchall()}
    assert {"comment_id", "note_id", "account_uid", "content", "likes"} <= columns
    assert not columns & {"nickname", "gender", "avatar", "profile_url", "ip_location"}


# ---- account_replies: an account's comments, less those also posted as 回复@ posts


def _post(pid: str, text: str, when: datetime, uid: str = ACCOUNT) -> PostRecord:
    return PostRecord(platform="weibo", post_id=pid, account_uid=uid, created_at=when, text=text)


def _replies(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        f"SELECT comment_id FROM {store.REPLIES_VIEW} WHERE account_uid = ? ORDER BY comment_id",
        [ACCOUNT],
    ).fetchall()
    return [r[0] for r in rows]


def test_replies_view_counts_a_reply_posted_both_ways_once(
    con: duckdb.DuckDBPyConnection,
) -> None:
    assert has_table(con, store.REPLIES_VIEW)  # a view, found like a table
    body = "您好，已转交属地派出所处理。"
    _write(con, [
        # Replied under a root comment: Weibo shows the text without "回复@…:".
        _comment("same", account_uid=ACCOUNT, content=body),
        _comment("other-text", account_uid=ACCOUNT, content="感谢关注"),
        _comment("hours-apart", account_uid=ACCOUNT, content=f"回复@网友乙:{body}",
                 created_at=T0 + timedelta(hours=3)),
        _comment("citizen", content=body),
    ])  # fmt: skip
    assert _replies(con) == ["hours-apart", "other-text", "same"]
    c = Collector(observed_at=T1)
    # The 同时转发 timeline post: "回复@name:reply//@name:comment", one minute later.
    c.add(
        ImportItem(
            primary=_post("p1", f"回复@网友甲:{body}//@网友甲:路灯坏了", T0 + timedelta(minutes=1))
        )
    )
    c.add(ImportItem(primary=_post("p2", f"回复@网友丙:{body}", T0, uid="someone-else")))
    store.write_posts(con, c.posts_table())
    assert _replies(con) == ["hours-apart", "other-text"]
    citizen = con.execute(
        f"SELECT count(*) FROM {store.REPLIES_VIEW} WHERE account_uid = 'citizen'"
    ).fetchone()
    assert citizen == (1,)  # every author's comments are in the view; the index picks accounts


def test_a_table_of_replies_from_another_source_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "own.duckdb"
    with duckdb.connect(str(path)) as own:
        own.execute(
            "CREATE TABLE account_replies "
            "(platform VARCHAR, account_uid VARCHAR, created_at TIMESTAMP)"
        )
        own.execute("INSERT INTO account_replies VALUES ('weibo', '1', TIMESTAMP '2025-07-01')")
    with store.open_store(path) as con:
        assert store.has_base_table(con, store.REPLIES_VIEW)
        assert con.execute("SELECT count(*) FROM account_replies").fetchone() == (1,)


def test_comments_are_exported_and_counted(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from zhengwu.cli.store import app
    from zhengwu.config import get_settings

    _write(con, [_comment("a"), _comment("b", created_at=T0 + timedelta(days=40))])
    files = store.export_parquet(con, tmp_path / "pq")
    months = {f.parent.name for f in files if "comments" in f.parts}
    assert months == {"month=2025-07", "month=2025-08"}
    read = duckdb.connect().execute(
        f"SELECT count(*) FROM read_parquet('{tmp_path}/pq/comments/**/*.parquet')"
    )
    assert read.fetchone() == (2,)
    con.close()
    monkeypatch.setenv("ZHENGWU_ANALYTICS_PATH", str(tmp_path / "a.duckdb"))
    get_settings.cache_clear()
    stats = CliRunner().invoke(app, ["stats", "--json"])
    assert stats.exit_code == 0, stats.output
    assert '"comments":2' in stats.stdout.replace(" ", "")
