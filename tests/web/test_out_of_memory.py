"""The analytics store running out of memory in a web request, for real (SQLite, PostgreSQL).

No mock of DuckDB: the store runs under ``ZHENGWU_ANALYTICS_MEMORY_LIMIT`` as in
production. The 话题热搜 page fits in 12 MB with the console test city's month of posts,
and does not once 200,000 more posts of one matrix account are stored (their topics are
counted in one query); the same page fits again under a larger limit. The JSON API and the
public pages are checked under 1 MB, where any query of the store runs out. A logged-in
user of the console or the API is told the setting and its value, the public only to try
again later; the log names the setting and its value every time.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime, timedelta

import httpx
import pyarrow as pa
import pytest
from sqlalchemy import Engine

from zhengwu.auth import service as auth_service
from zhengwu.config import get_settings
from zhengwu.content import store
from zhengwu.web.app import MEMORY_RETRY_AFTER

from .test_console_world import ConsoleWorld, build_console_world, login

HTML = {"Accept": "text/html"}
SETTING = "ZHENGWU_ANALYTICS_MEMORY_LIMIT"
LOGGER = "zhengwu.web.app"
MANY = 200_000


@pytest.fixture
def world(committed_engine: Engine) -> ConsoleWorld:
    """The console test city (its month of posts in the analytics store)."""
    auth_service._ip_attempts.clear()
    return build_console_world(committed_engine, with_index=False)


@pytest.fixture
def indexed(committed_engine: Engine) -> ConsoleWorld:
    """The console test city with an index run of its month (what the rankings read)."""
    auth_service._ip_attempts.clear()
    return build_console_world(committed_engine, with_index=True)


@pytest.fixture
def limit(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """A setter of the store's memory limit, for the server of this test too."""

    def set_limit(value: str | None) -> None:
        if value is None:
            monkeypatch.delenv(SETTING, raising=False)
        else:
            monkeypatch.setenv(SETTING, value)
        get_settings.cache_clear()
        assert get_settings().analytics_memory_limit == (value or "50%")

    yield set_limit
    get_settings.cache_clear()


def _many_posts(n: int) -> pa.Table:
    """``n`` posts of 平安郑州 (a member of 郑州's matrix) in July 2025, each with a topic
    of its own and one of a thousand shared ones."""
    last = datetime(2025, 7, 31, 2)
    columns = {
        "seq": pa.array(range(n), pa.int64()),
        "is_primary": pa.array([True] * n),
        "platform": pa.array(["weibo"] * n),
        "post_id": pa.array([f"many-{i}" for i in range(n)]),
        "account_uid": pa.array(["1001"] * n),
        "created_at": pa.array([last - timedelta(seconds=i) for i in range(n)], pa.timestamp("us")),
        "text": pa.array([f"#话题{i}# 今日提示" for i in range(n)]),
        "topics": pa.array([[f"话题{i}", f"提示{i % 1000}"] for i in range(n)]),
        "mentions": pa.array([[] for _ in range(n)], pa.list_(pa.string())),
        "is_repost": pa.array([False] * n),
        "reposts": pa.array([1] * n, pa.int64()),
        "comments": pa.array([1] * n, pa.int64()),
        "likes": pa.array([1] * n, pa.int64()),
        "observed_at": pa.array([datetime(2025, 8, 5)] * n, pa.timestamp("us")),
    }
    return pa.Table.from_pydict(
        {f.name: columns.get(f.name, pa.nulls(n, f.type)) for f in store.POST_SCHEMA},
        schema=store.POST_SCHEMA,
    )


def _logged(caplog: pytest.LogCaptureFixture, path: str, value: str) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == LOGGER and r.levelno == logging.ERROR and path in r.getMessage()
        and f"{SETTING}={value}" in r.getMessage() and "Out of Memory" in r.getMessage()
    ]  # fmt: skip


def test_a_console_page_that_runs_out_of_memory_says_which_setting(
    live_server: str, world: ConsoleWorld, limit: object, caplog: pytest.LogCaptureFixture
) -> None:
    set_limit = limit
    assert callable(set_limit)
    with httpx.Client(base_url=live_server, timeout=120, headers=HTML) as c:
        login(c, "office")
        set_limit("12MB")
        assert c.get("/console/topics").status_code == 200  # a month of posts fits
        set_limit(None)
        with store.open_store() as con:
            store.write_posts(con, _many_posts(MANY))
        set_limit("12MB")
        with caplog.at_level(logging.ERROR, logger=LOGGER):
            page = c.get("/console/topics")
        assert page.status_code == 503, page.text[:300]
        assert page.headers["retry-after"] == str(MEMORY_RETRY_AFTER)
        assert "<title>暂时无法访问" in page.text
        assert "分析库内存不足" in page.text and f"{SETTING}=12MB" in page.text
        assert "The analytics store ran out of memory" in page.text
        assert "office用户" in page.text  # the console's page, with its navigation
        assert len(_logged(caplog, "/console/topics", "12MB")) == 1, caplog.text
        # Raised, the same page works again: the limit was what it met.
        set_limit("256MB")
        again = c.get("/console/topics")
        assert again.status_code == 200
        # Each of the thousand shared topics is on 200 of the posts, one account's.
        assert f"#提示0#</td><td>{MANY // 1000}</td><td>1</td>" in again.text


def test_the_json_api_answers_its_error_format(
    live_server: str, indexed: ConsoleWorld, limit: object, caplog: pytest.LogCaptureFixture
) -> None:
    set_limit = limit
    assert callable(set_limit)
    set_limit("1MB")  # too small for any query of the store
    with httpx.Client(base_url=live_server, timeout=60) as c:
        login(c, "admin")
        with caplog.at_level(logging.ERROR, logger=LOGGER):
            found = c.get("/api/index/compliance")
            # JSON under /api/ even for a client that prefers HTML.
            as_html = c.get("/api/index/compliance", headers=HTML)
        for response in (found, as_html):
            assert response.status_code == 503
            assert response.headers["content-type"].startswith("application/json")
            body = response.json()
            assert set(body) == {"error", "status", "message_zh", "message_en"}
            assert body["error"] == "StoreMemoryError" and body["status"] == 503
            assert f"{SETTING}=1MB" in body["message_zh"] and f"{SETTING}=1MB" in body["message_en"]
        assert len(_logged(caplog, "/api/index/compliance", "1MB")) == 2
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger=LOGGER):
        public = httpx.get(f"{live_server}/api/public/rankings", timeout=60)
    assert public.status_code == 503
    body = public.json()
    assert body["error"] == "StoreMemoryError"
    assert "稍后再试" in body["message_zh"] and "try again later" in body["message_en"]
    assert "ZHENGWU" not in public.text and "1MB" not in public.text  # not the public's to read
    assert len(_logged(caplog, "/api/public/rankings", "1MB")) == 1


def test_a_public_page_says_only_to_try_again(
    live_server: str, indexed: ConsoleWorld, limit: object, caplog: pytest.LogCaptureFixture
) -> None:
    set_limit = limit
    assert callable(set_limit)
    set_limit("1MB")
    with caplog.at_level(logging.ERROR, logger=LOGGER):
        anonymous = httpx.get(f"{live_server}/rankings", headers=HTML, timeout=60)
        with httpx.Client(base_url=live_server, timeout=60, headers=HTML) as c:
            login(c, "admin")
            staff = c.get("/rankings")  # a public page, whoever reads it
    for page in (anonymous, staff):
        assert page.status_code == 503
        assert page.headers["content-type"].startswith("text/html")
        assert "服务暂时不可用，请稍后再试" in page.text
        assert "temporarily unavailable; please try again later" in page.text
        assert "ZHENGWU" not in page.text and "1MB" not in page.text and "分析库" not in page.text
    assert len(_logged(caplog, "/rankings", "1MB")) == 2
