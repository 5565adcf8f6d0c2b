"""Console pages over two stored runs: the default system's and a WeChat-only one.

The WeChat-only run (清博 WCI) sorts first among the runs of the same period, so pages
that took "the latest run" quoted it for every account; they must quote the run that
ranks the account's platform, the default system first, and the rankings must open on
the default system, with titles, and say what they show instead of what was asked.
"""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from zhengwu.auth import service as auth_service
from zhengwu.content import store
from zhengwu.index import engine as index_engine
from zhengwu.index.periods import parse_period
from zhengwu.index.system import load_system

from .test_console_world import MONTH, ConsoleWorld, build_console_world, login

DEFAULT_TITLE = "政务新媒体影响力指数（四维）"


@pytest.fixture
def world(committed_engine: Engine) -> ConsoleWorld:
    """The console test city with a zhengwu-4d run and a 清博 WCI run of the same month."""
    auth_service._ip_attempts.clear()
    world = build_console_world(committed_engine)
    wci = load_system("qingbo_wci_v14_2")
    with store.open_store() as con, Session(committed_engine) as session:
        index_engine.run_for_db(session, con, wci, parse_period(MONTH, week_start=wci.week_start))
    return world


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _heading(html: str) -> str:
    found = re.search(r'<h2 id="ranking-heading">(.*?)</h2>', html, re.S)
    assert found is not None
    return _text(found[1]).strip()


def test_account_page_quotes_the_run_of_its_platform(
    client: httpx.Client, world: ConsoleWorld
) -> None:
    login(client, "office")
    html = client.get(f"/console/accounts/{world.accounts['police_weibo']}").text
    score = _text(html[html.index('id="index-score"') : html.index('id="metrics"')])
    assert "没有此账号" not in score
    assert DEFAULT_TITLE in score and "zhengwu-4d" in score and MONTH in score
    assert "得分解释" in score
    assert "run=zhengwu-4d" in html
    matrix = _text(client.get(f"/console/matrix/{world.matrices['zz']}").text)
    assert f"与指数运行 {DEFAULT_TITLE}（zhengwu-4d）" in matrix


def test_rankings_open_on_the_default_system_with_titles(
    client: httpx.Client, world: ConsoleWorld
) -> None:
    login(client, "office")
    html = client.get("/console/rankings").text
    assert _heading(html).startswith(f"{DEFAULT_TITLE} · {MONTH} · 微博")
    assert ">清博微信传播指数 WCI V14.2</option>" in html
    assert 'class="notice"' not in html
    wci = client.get("/console/rankings", params={"system": "qingbo_wci_v14_2"}).text
    assert _heading(wci).startswith("清博微信传播指数 WCI V14.2 · ")
    assert "中原文旅" in wci.split("ranking-table")[1]


def test_rankings_say_what_they_show_instead_of_what_was_asked(
    client: httpx.Client, world: ConsoleWorld
) -> None:
    login(client, "office")
    far = client.get("/console/rankings", params={"platform": "weibo", "top": 2, "page": 999})
    assert far.status_code == 200
    text = _text(far.text)
    assert "没有第 999 页（共 2 页），已显示末页" in text
    assert "第 2 / 2 页，自第 3 行起" in text
    assert "没有符合条件的账号" not in text
    tiktok = _text(client.get("/console/rankings", params={"platform": "tiktok"}).text)
    assert "此次运行没有平台「tiktok」的排行；可选：" in tiktok
    assert "微博（weibo）" in tiktok and "valid: " in tiktok
    assert "平安郑州" in tiktok  # the default platform is shown
    system = _text(client.get("/console/rankings", params={"system": "nope"}).text)
    assert "没有指标体系「nope」的计算结果，改为显示默认体系" in system
    period = _text(client.get("/console/rankings", params={"period": "2024-01"}).text)
    assert "没有周期「2024-01」的计算结果，改为显示最新周期" in period
    both = client.get(
        "/console/rankings", params={"platform": "weibo", "sector": "公安", "level": "市"}
    ).text
    assert _heading(both).endswith("微博 · 公安 · 市级")
