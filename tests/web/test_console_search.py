"""The console search page: box, kind tabs with counts, highlighted masked snippets, errors."""

from __future__ import annotations

import re
from datetime import datetime

import httpx
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from zhengwu.auth import service as auth_service
from zhengwu.content import store
from zhengwu.search import indexer

from .test_console_world import ConsoleWorld, build_console_world, login

# The console's client, without its Accept: text/html, waiting 30 s.
pytestmark = pytest.mark.client(timeout=30, headers={})


@pytest.fixture
def world(committed_engine: Engine) -> ConsoleWorld:
    """The console test city with its search index."""
    auth_service._ip_attempts.clear()
    built = build_console_world(committed_engine, with_index=False)
    with Session(committed_engine) as session:
        indexer.reindex(session)
        session.commit()
    return built


def test_office_searches_with_tabs_and_highlights(
    client: httpx.Client, world: ConsoleWorld
) -> None:
    login(client, "office")
    page = client.get("/console/search", params={"q": "物业"})
    assert page.status_code == 200
    assert 'href="/console/search"' in page.text  # the navigation entry
    tab = re.search(r'data-kind="requests">诉求 <span class="count">(\d+)</span>', page.text)
    assert tab is not None and int(tab[1]) == 3
    assert "<mark>物业</mark>" in page.text
    assert f'href="/console/desk/{world.requests["housing"]}"' in page.text
    assert "13912345678" not in page.text and "李小红" not in page.text
    only_accounts = client.get("/console/search", params={"q": "平安郑州", "kind": "accounts"})
    assert f'href="/console/accounts/{world.accounts["police_weibo"]}"' in only_accounts.text
    assert 'data-kind="requests"' not in only_accounts.text.split("search-hits")[-1]


def test_an_account_hit_links_only_when_the_role_may_open_the_page(
    client: httpx.Client, world: ConsoleWorld
) -> None:
    """The office of 郑州 opens no 洛阳 account page: the hit is listed, unlinked; the
    handler opens no account page at all."""
    ly = f'href="/console/accounts/{world.accounts["ly_weibo"]}"'
    login(client, "admin")
    assert ly in client.get("/console/search", params={"q": "洛阳住建", "kind": "accounts"}).text
    for role in ("office", "handler"):
        client.cookies.clear()  # a new session
        login(client, role)
        page = client.get("/console/search", params={"q": "洛阳住建", "kind": "accounts"})
        hits = page.text.split('class="search-hits"')[-1]
        assert page.status_code == 200 and ly not in page.text, role
        assert '<span class="title">洛阳住建</span>' in hits, role


def test_empty_and_too_long_queries_show_a_bilingual_error(client: httpx.Client) -> None:
    login(client, "handler")
    first = client.get("/console/search")
    assert (
        first.status_code == 200 and 'name="q"' in first.text and 'role="alert"' not in first.text
    )
    empty = client.get("/console/search", params={"q": " "})
    assert (
        empty.status_code == 422 and "请输入搜索词" in empty.text and "please enter" in empty.text
    )
    long = client.get("/console/search", params={"q": "长" * 101})
    assert long.status_code == 422 and "搜索词过长" in long.text and "too long" in long.text


def test_the_public_cannot_open_it_and_rescue_roles_find_accounts_only(
    client: httpx.Client,
) -> None:
    anonymous = client.get("/console/search", params={"q": "物业"}, follow_redirects=False)
    assert anonymous.status_code in (302, 303) and "/login" in anonymous.headers["location"]
    login(client, "dispatcher")
    page = client.get("/console/search", params={"q": "物业"})
    assert page.status_code == 200
    # as /api/search: accounts only — no request, content or post tab for a dispatcher
    assert 'data-kind="accounts"' in page.text and 'data-kind="requests"' not in page.text
    assert "/console/desk/" not in page.text and "/console/library/" not in page.text


def test_the_page_says_when_the_index_is_behind_until_it_is_refreshed(
    client: httpx.Client, committed_engine: Engine
) -> None:
    from zhengwu.accounts.models import Account

    login(client, "office")
    assert 'class="search-stale"' not in client.get("/console/search").text  # up to date
    with Session(committed_engine) as session:
        account = Account(platform="weibo", uid="77001", name="郑东新区发布")
        session.add(account)
        session.commit()
        account_id = account.id
    before = client.get("/console/search")
    assert 'class="search-stale"' in before.text and 'data-stale-accounts="1"' in before.text
    assert "1 个账号" in before.text and "the search index is behind" in before.text
    missing = client.get("/console/search", params={"q": "郑东新区"})
    assert "郑东新区发布" not in missing.text.split("search-hits")[-1]
    assert 'data-stale-accounts="1"' in missing.text
    with Session(committed_engine) as session:
        indexer.refresh(session)
        session.commit()
    after = client.get("/console/search", params={"q": "郑东新区"})
    assert 'class="search-stale"' not in after.text
    # Found now; not of the office's matrix, so listed without a link to its page.
    assert '<span class="title">郑东新区发布</span>' in after.text.split("search-hits")[-1]
    assert f'href="/console/accounts/{account_id}"' not in after.text


def test_posts_are_searched_in_a_chosen_window_up_to_the_newest_post(
    client: httpx.Client, world: ConsoleWorld
) -> None:
    # Two storm posts two months before the test city's posts (July 2025).
    with store.open_store() as con:
        con.executemany(
            "INSERT INTO posts (platform, post_id, account_uid, created_at, text) "
            "VALUES ('weibo', ?, 'u1', ?, ?)",
            [("storm0", datetime(2025, 5, 1, 2), "郑州暴雨，请远离河道"),
             ("storm1", datetime(2025, 5, 2, 2), "暴雨预警升级为红色")],
        )  # fmt: skip
    login(client, "office")
    week = client.get("/console/search", params={"q": "暴雨"})
    assert week.status_code == 200
    assert '<option value="7" selected>最近 7 天</option>' in week.text
    assert 'data-kind="posts">帖文 <span class="count">0</span>' in week.text
    window = re.search(r'id="post-window">([^<]+)<', week.text)
    assert window is not None
    assert "最近 7 天，截至库中最新帖文" in window[1]
    assert "至 2025-07-" in window[1]  # ends at the newest post, not today
    year = client.get("/console/search", params={"q": "暴雨", "days": "365"})
    assert 'data-kind="posts">帖文 <span class="count">2</span>' in year.text
    assert "<mark>暴雨</mark>" in year.text
    assert '<option value="365" selected>' in year.text
    assert "&amp;days=365" in year.text  # the tabs keep the window
    everything = client.get("/console/search", params={"q": "暴雨", "days": "all"})
    assert 'data-kind="posts">帖文 <span class="count">2</span>' in everything.text
    assert "全部帖文（截至" in everything.text
    odd = client.get("/console/search", params={"q": "暴雨", "days": "8"})
    assert odd.status_code == 422
    assert "帖文时间范围应为" in odd.text and "posts window must be one of" in odd.text
