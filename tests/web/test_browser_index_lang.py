"""The index pages in English: a reader switches with the link, and stays there.

Chinese is the default. The switch (``?lang=en``) is kept through the filter form, the
pages, the explanation and the way back; the other link returns to Chinese. So on the
public ``/rankings`` page, and the console's navigation reads English on those pages.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from zhengwu.auth.principal import Principal
from zhengwu.content import store
from zhengwu.index import access
from zhengwu.index.metrics import METRICS

from .conftest import Offline, shot
from .test_browser import _login, _world

pytestmark = pytest.mark.browser


def test_an_english_reader_reads_the_rankings_and_an_explanation(
    page: Page, committed_engine: Engine, offline: Offline
) -> None:
    _world(committed_engine, with_index=True)
    _login(page, "office")
    page.goto("/console/rankings")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("table.ranking-table th").first).to_have_text("名次")
    switch = page.locator("#lang-switch")
    expect(switch).to_have_text("English")

    switch.click()
    expect(page).to_have_url(re.compile(r"[?&]lang=en"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    table = page.locator("table.ranking-table")
    expect(table.locator("th").first).to_have_text("Rank")
    expect(table).to_contain_text("Peer percentile")
    expect(page.locator("#ranking-filters")).to_contain_text("Include accounts failing")
    expect(page.locator("#ranking-heading")).to_contain_text("Government new-media influence")

    # The filter form keeps the language.
    page.select_option("select[name=platform]", "weibo")
    page.select_option("select[name=sector]", "公安")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"lang=en"))
    expect(page).to_have_url(re.compile(r"sector=%E5%85%AC%E5%AE%89"))
    expect(table).to_contain_text("平安郑州")
    expect(page.locator("#ranking-heading")).to_contain_text("Weibo")
    shot(page, "index-lang-01-rankings-en")

    # So does the explanation, with the metrics' English meanings.
    table.get_by_role("link", name="Explain").first.click()
    expect(page).to_have_url(re.compile(r"/console/rankings/explain\?.*lang=en"))
    expect(page.locator("h1")).to_contain_text("Score explained: 平安郑州")
    indicators = page.locator("#indicators")
    expect(indicators).to_contain_text("Dimension total")
    expect(indicators).to_contain_text("传播力 reach")  # the shipped Chinese name, with its key
    expect(indicators).to_contain_text(METRICS["views_per_day"].meaning)
    expect(indicators).not_to_contain_text(METRICS["views_per_day"].meaning_zh)
    shot(page, "index-lang-02-explain-en")

    # Back to Chinese: the meanings read Chinese again.
    page.locator("#lang-switch").click()
    expect(page).not_to_have_url(re.compile(r"lang=en"))
    expect(page.locator("h1")).to_contain_text("得分解释：平安郑州")
    expect(indicators).to_contain_text(METRICS["views_per_day"].meaning_zh)
    expect(indicators).to_contain_text("维度合计")

    # The way back to the ranking keeps English when the explanation was read in English.
    page.locator("#lang-switch").click()
    page.get_by_role("link", name="Back to the ranking").click()
    expect(page).to_have_url(re.compile(r"/console/rankings\?.*lang=en"))
    expect(page.locator("table.ranking-table th").first).to_have_text("Rank")
    assert offline.attempts == []


def test_the_console_navigation_reads_english_on_the_index_pages(
    page: Page, committed_engine: Engine, offline: Offline
) -> None:
    world = _world(committed_engine, with_index=True)
    _login(page, "office")
    page.goto(f"/console/rankings/explain?run={world.run_id}&ref=weibo:1001&lang=en")
    nav = page.get_by_role("navigation", name="Main navigation")
    expect(nav.get_by_role("link", name="Matrix overview")).to_be_visible()
    expect(nav).not_to_contain_text("矩阵概览")
    expect(page.locator(".who")).to_contain_text("matrix office")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    shot(page, "index-lang-03-nav-en")
    # The navigation's Rankings link keeps English; the others open in Chinese.
    nav.get_by_role("link", name="Rankings").click()
    expect(page).to_have_url(re.compile(r"/console/rankings\?lang=en$"))
    expect(page.locator("table.ranking-table th").first).to_have_text("Rank")
    page.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Matrix overview"
    ).click()
    expect(page).not_to_have_url(re.compile(r"lang=en"))
    expect(page.get_by_role("navigation", name="主导航")).to_contain_text("矩阵概览")
    assert offline.attempts == []


def test_a_reader_reads_the_public_rankings_in_english(
    page: Page, committed_engine: Engine, offline: Offline
) -> None:
    world = _world(committed_engine, with_index=True)
    office = Principal(role="matrix_office", user_id=1, username="office", matrix_id=1)
    with Session(committed_engine) as session, store.open_store(read_only=True) as con:
        access.publish(session, con, principal=office, run_id=world.run_id)
        session.commit()
    page.goto("/rankings")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("h1")).to_contain_text("政务新媒体影响力排行")
    page.locator("#lang-switch").click()
    expect(page).to_have_url(re.compile(r"/rankings\?lang=en$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_contain_text("Government new-media influence rankings")
    expect(page.locator("#board-note")).to_contain_text("are not ranked")

    # The filter form keeps the language.
    page.select_option("#sector", "公安")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"lang=en"))
    expect(page).to_have_url(re.compile(r"sector=%E5%85%AC%E5%AE%89"))
    expect(page.locator("#board-note")).to_contain_text("ranks within the sector 公安")
    expect(page.locator("#board")).to_contain_text("平安郑州")
    expect(page.locator("#board")).to_contain_text("level 市")
    shot(page, "index-lang-04-public-en")

    # So does the page's own link; the other link returns to Chinese, the filter kept.
    page.get_by_role("navigation", name="Public pages").get_by_role(
        "link", name="Influence rankings"
    ).click()
    expect(page).to_have_url(re.compile(r"/rankings\?lang=en$"))
    page.select_option("#sector", "公安")
    page.get_by_role("button", name="Show").click()
    page.locator("#lang-switch").click()
    expect(page).not_to_have_url(re.compile(r"lang=en"))
    expect(page).to_have_url(re.compile(r"sector=%E5%85%AC%E5%AE%89"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("#board-note")).to_contain_text("公安系统内名次")
    assert offline.attempts == []
