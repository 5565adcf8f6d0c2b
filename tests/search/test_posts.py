"""Post search: a DuckDB substring scan, then a word check with the search analyzer."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from zhengwu.content import store
from zhengwu.search import posts
from zhengwu.search.segment import query_terms

NOW = datetime(2025, 7, 1, 12)


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    """A store holding a few posts of the last days."""
    con = store.connect(tmp_path / "analytics.duckdb")
    texts = [
        "南京市长江大桥今晚起封闭施工，请绕行。",
        "市长热线12345全天受理群众诉求。",
        "今天市长接听了热线电话。",
        "长江防汛进入主汛期。",
    ]
    for i, text in enumerate(texts):
        con.execute(
            "INSERT INTO posts (platform, post_id, account_uid, created_at, text) "
            "VALUES ('weibo', ?, 'u1', ?, ?)",
            [f"p{i}", NOW - timedelta(hours=i), text],
        )
    return con


def _ids(con: duckdb.DuckDBPyConnection, query: str, mode: str = "and") -> tuple[int, set[str]]:
    count, hits = posts.search_posts(con, query_terms(query), mode=mode)
    return count, {h.post_id for h in hits}


def test_a_term_across_a_word_boundary_is_not_a_match(con: duckdb.DuckDBPyConnection) -> None:
    # "市长" occurs inside 南京市长江大桥 as characters, not as a word.
    assert _ids(con, "市长") == (2, {"p1", "p2"})
    assert _ids(con, "长江") == (2, {"p0", "p3"})


def test_and_and_or_modes(con: duckdb.DuckDBPyConnection) -> None:
    assert _ids(con, "市长 热线") == (2, {"p1", "p2"})
    assert _ids(con, "大桥 热线") == (0, set())
    assert _ids(con, "大桥 热线", mode="or") == (3, {"p0", "p1", "p2"})


def test_many_false_candidates_are_skipped_in_batches(tmp_path: Path) -> None:
    con = store.connect(tmp_path / "many.duckdb")
    # 150 newer posts where 市长 is not a word, then 3 older ones where it is.
    rows = [(f"bridge{i}", NOW - timedelta(minutes=i), "南京市长江大桥车流平稳")
            for i in range(150)]  # fmt: skip
    rows += [(f"mayor{i}", NOW - timedelta(hours=5, minutes=i), "市长信箱回复来信")
             for i in range(3)]  # fmt: skip
    con.executemany(
        "INSERT INTO posts (platform, post_id, account_uid, created_at, text) "
        "VALUES ('weibo', ?, 'u1', ?, ?)",
        rows,
    )
    count, hits = posts.search_posts(con, ["市长"], limit=10)
    assert count == 3
    assert [h.post_id for h in hits] == ["mayor0", "mayor1", "mayor2"]


def test_the_window_ends_at_the_newest_post_and_can_span_everything(tmp_path: Path) -> None:
    con = store.connect(tmp_path / "old.duckdb")
    # An old dataset: the storm posts are 200 days before the newest post of the store.
    newest = datetime(2021, 12, 31, 8)
    rows = [("storm0", newest - timedelta(days=200), "许昌暴雨，请远离河道"),
            ("storm1", newest - timedelta(days=201), "暴雨预警升级为红色"),
            ("today", newest, "年终总结发布会今天举行")]  # fmt: skip
    con.executemany(
        "INSERT INTO posts (platform, post_id, account_uid, created_at, text) "
        "VALUES ('weibo', ?, 'u1', ?, ?)",
        rows,
    )
    week = posts.window(con, 7)
    assert (week.days, week.start, week.end) == (7, newest - timedelta(days=7), newest)
    assert posts.search_posts(con, ["暴雨"]) == (0, [])  # not in the 7 days up to the newest
    assert posts.search_posts(con, ["暴雨"], days=365)[0] == 2
    everything = posts.window(con, None)
    assert (everything.start, everything.end) == (None, newest)
    count, hits = posts.search_posts(con, ["暴雨"], days=None)
    assert count == 2 and [h.post_id for h in hits] == ["storm0", "storm1"]
    empty = store.connect(tmp_path / "empty.duckdb")
    assert posts.window(empty, 30) == posts.PostWindow(30, None, None)
    assert posts.search_posts(empty, ["暴雨"], days=None) == (0, [])
