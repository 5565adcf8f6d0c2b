"""Browser journey of a rescue coordinator: the situation description and a team's edit,
deactivation and reactivation, in Debian's Chromium, offline."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import Engine

from zhengwu.auth import service as auth_service

from .conftest import Offline, shot
from .test_console_world import PASSWORD, build_console_world

pytestmark = pytest.mark.browser


def test_coordinator_describes_the_incident_and_stands_a_team_down(
    page: Page, committed_engine: Engine, offline: Offline
) -> None:
    auth_service._ip_attempts.clear()
    world = build_console_world(committed_engine, with_index=False)
    fire, help_id = world.teams["fire"], world.help["flooded"]
    page.goto("/login")
    page.fill("#username", "dispatcher")
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r".*/console/.*"))

    page.goto(f"/console/rescue/{world.incident_id}")
    page.locator("#incident-description").get_by_role("link", name="编辑").click()
    page.fill(
        "#f-description",
        "金水区多处积水。\n被困请拨 119，市民热线 12345。\n联系人张建国 13812345678",
    )
    page.get_by_role("button", name="保存").click()
    expect(page.locator("body")).to_contain_text("灾情已保存")
    page.goto(f"/console/rescue/{world.incident_id}")
    description = page.locator("#incident-description .description")
    expect(description).to_contain_text("13812345678")
    expect(description).to_contain_text("市民热线 12345")
    shot(page, "21-rescue-incident-description")

    page.goto("/console/rescue/teams")
    page.locator(f"#team-{fire}").get_by_role("link", name="编辑").click()
    expect(page).to_have_url(re.compile(rf"/console/rescue/teams/{fire}/edit$"))
    page.fill("#f-capacity", "6")
    page.get_by_role("button", name="保存").click()
    row = page.locator(f"#team-{fire}")
    expect(row).to_contain_text("0 / 6")
    row.get_by_role("button", name="停用").click()
    row = page.locator(f"#team-{fire}")
    expect(row.locator(".team-state")).to_have_text("停用")
    shot(page, "22-rescue-team-deactivated")
    page.goto(f"/console/rescue/requests/{help_id}")
    offered = page.locator("#assign-team option")
    expect(offered).to_have_count(2)  # 请选择 and 蓝天救援队 only
    expect(page.locator("#assign-team")).not_to_contain_text("郑州消防救援支队")
    page.goto("/console/rescue/teams")
    page.locator(f"#team-{fire}").get_by_role("button", name="重新启用").click()
    expect(page.locator(f"#team-{fire} .team-state")).to_have_text("在岗")

    page.context.clear_cookies()  # now as the public
    page.goto(f"/board/rescue/{world.incident_id}")
    board_text = page.locator("#incident-description")
    expect(board_text).to_contain_text("138****5678")
    expect(board_text).to_contain_text("市民热线 12345")
    expect(page.locator("body")).not_to_contain_text("13812345678")
    shot(page, "23-rescue-board-description")
    assert offline.attempts == []


def test_verifier_finds_a_call_back_by_street_and_phone_tail(
    page: Page, committed_engine: Engine, offline: Offline
) -> None:
    auth_service._ip_attempts.clear()
    world = build_console_world(committed_engine, with_index=False)
    page.goto("/login")
    page.fill("#username", "verifier")
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r".*/console/.*"))

    page.goto(f"/console/rescue/{world.incident_id}")
    expect(page.locator("table.triage tr")).to_have_count(3)  # the header and two requests
    page.fill("#f-q", "大学路 2222")
    page.locator("#queue-search").get_by_role("button", name="查找").click()
    expect(page).to_have_url(re.compile(r"[?&]q=[^&]*2222"))
    rows = page.locator("table.triage tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(1)).to_contain_text("王芳")
    expect(rows.nth(1)).to_contain_text("13900002222")
    expect(page.locator("#search-count")).to_contain_text("找到 1 条")
    page.select_option("#f-state", "resolved")
    page.locator("#queue-search").get_by_role("button", name="查找").click()
    expect(page.locator("table.triage")).to_contain_text("没有符合条件的求助")
    shot(page, "24-rescue-queue-search")
    page.locator("#queue-search").get_by_role("link", name="清除").click()
    expect(page.locator("table.triage tr")).to_have_count(3)
    assert offline.attempts == []
