"""Browser journeys of the map page: a province's map opens a city's by its tile and goes back
up; an incident queue's map opens a county's help map by its tile.

Playwright driving Debian's Chromium, offline (see ``test_browser.py``): the tile is an SVG
link inside the page, which the browser follows like any other.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import Engine

from zhengwu.auth import service as auth_service

from .conftest import Offline, shot
from .test_console_world import PASSWORD, build_console_world

pytestmark = pytest.mark.browser


def test_admin_opens_a_city_from_the_province_map_and_goes_back_up(
    page: Page, committed_engine: Engine, offline: Offline
) -> None:
    auth_service._ip_attempts.clear()
    build_console_world(committed_engine, with_index=False)
    page.goto("/login")
    page.fill("#username", "admin")
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.goto("/console/map?area=410000")
    expect(page.locator("#map h2")).to_contain_text("河南省 · 各市诉求")
    zhengzhou = page.locator('g.county[data-adcode="410100"]')
    expect(zhengzhou).to_contain_text("诉求 2")  # this month's two requests, both in 郑州
    shot(page, "map-01-province")

    zhengzhou.locator("a").click()  # the city's tile
    expect(page).to_have_url(re.compile(r"/console/map\?.*area=410100"))
    expect(page.locator("#map h2")).to_contain_text("郑州市 · 各区县诉求")
    expect(page.locator('g.county[data-adcode="410105"]')).to_contain_text("诉求 1")  # 金水
    expect(page.locator('g.county[data-adcode="410102"]')).to_contain_text("诉求 1")  # 中原
    expect(page.locator('g.county[data-adcode="410105"] a')).to_have_count(
        0
    )  # counties: no further
    shot(page, "map-02-city")

    page.locator("#map-up a").click()
    expect(page).to_have_url(re.compile(r"/console/map\?.*area=410000"))
    expect(page.locator("#map h2")).to_contain_text("河南省")
    assert offline.attempts == []


def test_dispatcher_opens_a_county_from_the_incident_queue_map(
    page: Page, committed_engine: Engine, offline: Offline
) -> None:
    auth_service._ip_attempts.clear()
    world = build_console_world(committed_engine, with_index=False)
    page.goto("/login")
    page.fill("#username", "dispatcher")
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.goto(f"/console/rescue/{world.incident_id}")
    expect(page.locator("#county-map-heading")).to_have_text("各区县求助")
    jinshui = page.locator('g.county[data-adcode="410105"]')
    expect(jinshui).to_contain_text("求助 1")  # the flooded family
    jinshui.locator("a").click()  # the county's tile, in the queue page's map
    expect(page).to_have_url(
        re.compile(rf"/console/map\?tab=help&incident={world.incident_id}&area=410105$")
    )
    expect(page.locator("#map h2")).to_have_text("金水区 · 郑州暴雨（测试）：各区县求助")
    expect(page.locator("nav.tabs a.active")).to_have_text("求助地图")
    expect(page.locator('#map tr[data-adcode="410105"]')).to_contain_text("1")
    expect(page.locator("#map-total")).to_have_text("1")
    shot(page, "map-03-from-incident-queue")
    assert offline.attempts == []
