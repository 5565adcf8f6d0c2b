"""The matrix page of imported history, before any index run, says why every account is 休眠.

Found on a first use: a city office imported a simulated July 2025 and the real samples,
opened its matrix page and read 活跃 0 · 休眠 462 · 未通过 462 — the page checks today when
no index run exists, and nothing in the store is that recent. It now names the newest
post's day and the command that makes the page check on the data's period.
"""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import Engine

from .test_console_world import MONTH, ConsoleWorld, fresh_city, login


@pytest.fixture
def world(committed_engine: Engine) -> ConsoleWorld:
    """The console test city (posts of July 2025), without an index run."""
    return fresh_city(committed_engine)


def test_the_page_says_the_data_stops_before_today_s_window(
    client: httpx.Client, world: ConsoleWorld
) -> None:
    login(client, "office")
    page = client.get(f"/console/matrix/{world.matrices['zz']}").text
    assert "尚无指数运行，按今天检查" in page
    notice = re.search(r'<p class="notice"[^>]*id="stale-data">(.*?)</p>', page, re.S)
    assert notice, page[page.index("合规检查") :][:1500]
    newest = re.search(r"最新的发文在 (\d{4}-\d{2}-\d{2})", notice[1])
    assert newest and newest[1].startswith(MONTH)  # the city's posts end in July 2025
    assert f"zhengwu index run --period {MONTH}" in notice[1]
    assert "The newest stored post is from" in notice[1]
