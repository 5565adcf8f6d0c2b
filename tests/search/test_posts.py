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
