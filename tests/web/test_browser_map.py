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


def test_office_follows_a_help_count_of_the_matrix_map_to_the_help_map(
    page: Page, committed_engine: Engine, offline: Offline
) -> None:
    """The matrix page's tiles hold two counts: 求助 opens the help map, 诉求 the request map,
    each of the tile's area, showing the number that was clicked."""
    auth_service._ip_attempts.clear()
    world = build_console_world(committed_engine, with_index=False)
    page.goto("/login")
    page.fill("#username", "office")
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="登录").click()
    matrix = f"/console/matrix/{world.matrices['zz']}"
    page.goto(matrix)
    jinshui = page.locator('#county-map g.county[data-adcode="410105"]')
    expect(jinshui.locator("text.count-help")).to_have_text("求助 1")  # the flooded family
    expect(jinshui.locator("text.count-requests")).to_have_text("诉求 1")  # the housing request
    shot(page, "map-04-matrix-counts")

    jinshui.locator("a.count-link", has=page.locator("text.count-help")).click()
    expect(page).to_have_url(re.compile(r"/console/map\?tab=help&incident=active&area=410105$"))
    expect(page.locator("nav.tabs a.active")).to_have_text("求助地图")
    expect(page.locator("#map h2")).to_have_text("金水区 · 进行中的灾情：各区县求助")
    expect(page.locator("#map-total")).to_have_text("1")
    expect(page.locator('#map tr[data-adcode="410105"] td').nth(1)).to_have_text("1")
    expect(page.locator('#map g.county[data-adcode="410105"] text.count-help')).to_have_text(
        "求助 1"
    )
    expect(page.locator("#map text.count-requests")).to_have_count(0)  # a help map only
    shot(page, "map-05-help-from-matrix")

    page.goto(matrix)
    page.locator('#county-map g.county[data-adcode="410105"] a.count-link').filter(
        has=page.locator("text.count-requests")
    ).click()
    expect(page).to_have_url(
        re.compile(r"/console/map\?tab=requests&period=[^&]+&matrix=\d+&area=410105$")
    )
    expect(page.locator("nav.tabs a.active")).to_have_text("诉求地图")
    expect(page.locator("#map-total")).to_have_text("1")
    assert offline.attempts == []


def test_dispatcher_sees_a_district_without_a_centroid_and_what_is_beside_the_map(
    page: Page, committed_engine: Engine, offline: Offline
) -> None:
    """龙华区 has no centroid in the division table: its tile is there, marked ≈; a help
    request located only to 深圳 is listed under the map and in the total."""
    from datetime import UTC, datetime

    from sqlalchemy.orm import Session

    from zhengwu.rescue import service as rescue_service
    from zhengwu.rescue.models import HelpRequest
    from zhengwu.rescue.schemas import IncidentCreate

    auth_service._ip_attempts.clear()
    build_console_world(committed_engine, with_index=False)
    with Session(committed_engine) as session:
        incident = rescue_service.create_incident(
            session, actor=rescue_service.SYSTEM,
            data=IncidentCreate(name="深圳内涝（测试）", type="flood", regions=["440300"],
                                starts_at=datetime.now(UTC)),
        )  # fmt: skip
        for adcode in ("440309", "440309", "440300"):
            session.add(HelpRequest(incident_id=incident.id, text="被困", adcode=adcode,
                                    reported_at=datetime.now(UTC)))  # fmt: skip
        session.commit()
        incident_id = incident.id
    page.goto("/login")
    page.fill("#username", "dispatcher")
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.goto(f"/console/map?tab=help&incident={incident_id}")
    longhua = page.locator('#map g.county[data-adcode="440309"]')
    expect(longhua).to_contain_text("≈龙华")
    expect(longhua.locator("text.count-help")).to_have_text("求助 2")
    expect(page.locator('#map tr[data-adcode="440309"]')).to_contain_text("位置近似")
    expect(page.locator('#map tr[data-unplaced="coarse"]')).to_contain_text("只定位到深圳市")
    expect(page.locator('#map tr[data-unplaced="coarse"] td').nth(1)).to_have_text("1")
    expect(page.locator("#map-total")).to_have_text("3")
    shot(page, "map-06-approximate-and-beside")
    assert offline.attempts == []
