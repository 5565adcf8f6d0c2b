"""The service-hashtag test of the posts pass, on a real DuckDB, against a Python reference."""

from __future__ import annotations

import duckdb

from zhengwu.index.metrics import DEFAULT_SERVICE_TOPICS, service_topic_filter

CASES: list[list[str | None] | None] = [
    None,
    [],
    ["马上办"],
    ["话题1", "接诉即办"],
    ["你好，我是郑州"],
    ["12345热线", "马上办"],
    ["办实事"],
    ["我为群众办实事者"],
    ["x", None],
    ["马上办理"],
    ["热线12345"],
]


def _reference(topics: list[str | None] | None) -> bool:
    exact = {t for t in DEFAULT_SERVICE_TOPICS if not t.endswith("*")}
    prefixes = tuple(t[:-1] for t in DEFAULT_SERVICE_TOPICS if t.endswith("*"))
    return any(t is not None and (t in exact or t.startswith(prefixes)) for t in topics or [])


def test_service_topic_filter_matches_exact_and_prefix_topics() -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE p (i INTEGER, topics VARCHAR[])")
    con.executemany("INSERT INTO p VALUES (?, ?)", list(enumerate(CASES)))
    rows = con.execute(
        f"SELECT i, {service_topic_filter(DEFAULT_SERVICE_TOPICS)} FROM p ORDER BY i"
    ).fetchall()
    assert [bool(flag) for _, flag in rows] == [_reference(c) for c in CASES]
    assert sum(bool(flag) for _, flag in rows) == 4  # 马上办, 接诉即办, 你好，我是…, 12345…+马上办


def test_service_topic_filter_without_topics_or_prefixes() -> None:
    con = duckdb.connect()
    assert service_topic_filter(()) == "false"
    only_exact = service_topic_filter(["马上办"])
    assert "lambda" not in only_exact
    flags = con.execute(
        f"SELECT {only_exact} FROM (VALUES (['马上办']), (['你好，我是x']), ([]::VARCHAR[])) v(topics)"
    ).fetchall()
    assert [bool(f) for (f,) in flags] == [True, False, False]
