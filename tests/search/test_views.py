"""GET /api/search over real HTTP: per-role scope, the public refused, PII never matched."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from zhengwu.auth import service as auth_service
from zhengwu.search import indexer
from zhengwu.web.app import create_app

from ..web.test_console_world import ConsoleWorld, build_console_world, login


@pytest.fixture
def world(committed_engine: Engine) -> ConsoleWorld:
    """The console test city, with the search index built."""
    auth_service._ip_attempts.clear()
    built = build_console_world(committed_engine, with_index=False)
    with Session(committed_engine) as session:
        indexer.reindex(session)
        session.commit()
    return built


@pytest.fixture
def base(live_server: str, world: ConsoleWorld) -> str:
    """The live server's URL, once the world is built."""
    return live_server


def _client(base: str, username: str | None) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base, timeout=120) as client:
        if username:
            login(client, username)
        yield client


def _search(base: str, username: str | None, **params: object) -> httpx.Response:
    for client in _client(base, username):
        return client.get("/api/search", params=params)  # type: ignore[arg-type]
    raise AssertionError("unreachable")


def test_public_gets_403(base: str) -> None:
    response = _search(base, None, q="物业")
    assert response.status_code == 403
    assert response.json()["message_zh"]


def test_requests_visible_only_to_their_handlers(base: str, world: ConsoleWorld) -> None:
    housing = {world.requests["housing"], world.requests["old_housing"]}
    police = world.requests["police"]
    admin = _search(base, "admin", q="物业", kind="requests").json()
    assert {h["key"] for h in admin["hits"]} == housing | {police}
    handler = _search(base, "handler", q="物业", kind="requests").json()  # 金水住建
    assert {h["key"] for h in handler["hits"]} == housing
    assert handler["counts"] == {"requests": 2}
    operator = _search(base, "operator", q="物业", kind="requests").json()  # 公安局
    assert [h["key"] for h in operator["hits"]] == [police]
    office_ly = _search(base, "office_ly", q="物业", kind="requests").json()
    assert office_ly["counts"] == {"requests": 0} and office_ly["hits"] == []
    dispatcher = _search(base, "dispatcher", q="物业").json()
    assert list(dispatcher["counts"]) == ["accounts"]  # accounts only, no requests at all


def test_phone_and_name_of_a_request_find_nothing(base: str) -> None:
    for query in ("13912345678", "李小红"):
        body = _search(base, "admin", q=query, kind="requests").json()
        assert body["counts"] == {"requests": 0}, query
    hit = _search(base, "admin", q="电梯 停运", kind="requests").json()["hits"][0]
    assert "13912345678" not in hit["snippet"] and "李小红" not in hit["snippet"]
    assert "<mark>" in hit["snippet_html"]


def test_accounts_posts_and_errors(base: str, world: ConsoleWorld) -> None:
    accounts = _search(base, "office", q="平安郑州", kind="accounts").json()
    assert accounts["hits"][0]["url"] == f"/console/accounts/{world.accounts['police_weibo']}"
    posts = _search(base, "office", q="今日提示", kind="posts").json()
    assert posts["counts"]["posts"] > 0 and posts["hits"][0]["kind"] == "posts"
    handler_posts = _search(base, "handler", q="今日提示").json()
    assert "posts" not in handler_posts["counts"]
    empty = _search(base, "admin", q="  ")
    assert empty.status_code == 422 and empty.json()["message_en"]
    too_long = _search(base, "admin", q="长" * 101)
    assert too_long.status_code == 422


def test_openapi_lists_the_search_route() -> None:
    schema = create_app().openapi()
    assert "search 搜索" in schema["paths"]["/api/search"]["get"]["tags"]


def test_the_answer_says_when_the_index_is_behind(base: str, committed_engine: Engine) -> None:
    from zhengwu.accounts.models import Account

    assert _search(base, "admin", q="物业").json()["stale"] == {}
    with Session(committed_engine) as session:
        session.add(Account(platform="weibo", uid="77002", name="金水发布"))
        session.commit()
    behind = _search(base, "admin", q="金水发布").json()
    assert behind["stale"] == {"accounts": 1} and "1 个账号" in behind["stale_note"]
    with Session(committed_engine) as session:
        indexer.refresh(session)
        session.commit()
    current = _search(base, "admin", q="金水发布").json()
    assert (current["stale"], current["stale_note"]) == ({}, None)
    assert current["counts"]["accounts"] >= 1
