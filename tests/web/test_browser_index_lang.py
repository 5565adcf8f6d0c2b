"""The console's index pages in English: a reader switches with the link, and stays there.

Chinese is the default. The switch (``?lang=en``) is kept through the filter form, the
pages, the explanation and the way back; the other link returns to Chinese.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import Engine

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
