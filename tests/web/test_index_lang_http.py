"""English (``?lang=en``) beyond the two console index pages, over real HTTP: the public
``/rankings`` page, and the console's navigation on the index pages. Chinese stays the
default, and the links of an English page keep ``lang=en`` where the page they open reads
English."""

from __future__ import annotations

import re
from html import unescape

import httpx
import pytest
from sqlalchemy import Engine
from tests.web.test_console_world import ConsoleWorld, build_console_world, login
from tests.web.test_public import _publish

from zhengwu.auth import service as auth_service

CJK = re.compile(r"[\u3400-\u9fff]")


@pytest.fixture
def world(committed_engine: Engine) -> ConsoleWorld:
    """The console test city with its July run published."""
    auth_service._ip_attempts.clear()
    world = build_console_world(committed_engine)
    _publish(committed_engine, world.run_id.partition("/")[2])
    return world


def _hrefs(html: str, where: str) -> list[str]:
    """Return the link targets inside the element that ``where`` opens."""
    part = html[html.index(where) :]
    part = part[: part.index("</nav>") if "<nav" in where else part.index("</form>")]
    return [unescape(h) for h in re.findall(r'href="([^"]*)"', part)]


def test_the_public_rankings_read_english_and_keep_it(client: httpx.Client) -> None:
    chinese = client.get("/rankings")
    assert chinese.status_code == 200
    assert '<html lang="zh-CN">' in chinese.text
    assert "政务新媒体影响力排行" in chinese.text and "Influence rankings" not in chinese.text
    assert 'id="lang-switch" href="/rankings?lang=en"' in chinese.text

    english = client.get("/rankings", params={"platform": "weibo", "sector": "公安", "lang": "en"})
    assert english.status_code == 200
    text = english.text
    assert '<html lang="en">' in text
    assert "Government new-media influence rankings" in text
    note = re.search(r'<p class="meta" id="board-note">(.*?)</p>', text, re.S)
    assert note is not None
    assert "ranks within the sector 公安" in note.group(1)
    assert "are not ranked" in note.group(1)
    assert "平安郑州" in text  # the names are data: as written
    assert "level 市" in text and "市级" not in text
    assert "Show</button>" in text and "查看" not in text
    # The way back to Chinese keeps the filters and drops the language.
    switch = re.search(r'id="lang-switch" href="([^"]*)"', text)
    assert switch is not None
    assert unescape(switch.group(1)) == "/rankings?platform=weibo&sector=%E5%85%AC%E5%AE%89"
    # The filter form and the page's own link keep English.
    assert '<input type="hidden" name="lang" value="en">' in text
    assert "/rankings?lang=en" in _hrefs(text, '<nav aria-label="Public pages"')
    # An English page is another resource: a Chinese page's ETag does not answer for it.
    assert (
        english.headers["etag"]
        != client.get("/rankings", params={"platform": "weibo", "sector": "公安"}).headers["etag"]
    )
    again = client.get("/rankings", params={"lang": "en"},
                       headers={"If-None-Match": chinese.headers["etag"]})  # fmt: skip
    assert again.status_code == 200 and '<html lang="en">' in again.text


def test_the_console_navigation_reads_english_on_the_index_pages(
    client: httpx.Client, world: ConsoleWorld
) -> None:
    login(client, "office")
    chinese = client.get("/console/rankings").text
    assert '<html lang="zh-CN">' in chinese
    nav_zh = chinese[chinese.index('id="main-nav"') :]
    nav_zh = nav_zh[: nav_zh.index("</nav>")]
    assert ">排行榜</a>" in nav_zh and ">报告</a>" in nav_zh and "lang=en" not in nav_zh
    assert ">退出</button>" in chinese

    for url, params in (
        ("/console/rankings", {"lang": "en", "platform": "weibo"}),
        ("/console/rankings/explain", {"lang": "en", "run": world.run_id, "ref": "weibo:1001"}),
    ):
        page = client.get(url, params=params)
        assert page.status_code == 200, url
        nav = page.text[page.text.index('id="main-nav"') :]
        nav = nav[: nav.index("</nav>")]
        labels = re.findall(r">([^<>]+)</a>", nav)
        assert "Rankings" in labels and "Reports" in labels and "Matrix overview" in labels, url
        assert not any(CJK.search(label) for label in labels), labels
        # The rankings (an English page) keep English; the other pages open as they are.
        hrefs = re.findall(r'href="([^"]*)"', nav)
        assert "/console/rankings?lang=en" in hrefs, url
        assert "/console/reports" in hrefs and "/console/matrix" in hrefs, url
        assert ">Log out</button>" in page.text and "matrix office" in page.text, url
        assert "Government new-media console" in page.text, url


def test_every_navigation_entry_has_an_english_label() -> None:
    from zhengwu.web.console.base import NAV, NAV_EN

    assert set(NAV_EN) == {key for key, _, _, _ in NAV}
    assert not any(CJK.search(label) for label in NAV_EN.values())
