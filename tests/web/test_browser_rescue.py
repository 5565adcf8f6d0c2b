"""Browser journeys of a rescue coordinator, in Debian's Chromium, offline: the situation
description and a team's edit, deactivation and reactivation; a call-back search; closing
a partial rescue and the incident without telling anyone that everybody is safe."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from zhengwu.auth import service as auth_service
from zhengwu.rescue import intake
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.merge import HelpPostIn

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


FIVE = "#郑州暴雨互助# 求助！郑州市金水区经三路12号院3号楼，一家5口被困二楼，有老人小孩，电话13700001234"


def _posted_request(engine: Engine, incident_id: int) -> int:
    """Take in a help post for 5 people and a repost of it (two mirrors to answer under)."""
    when = datetime.now(UTC) - timedelta(hours=1)
    posts = [
        HelpPostIn(post_id="b5", text=FIVE, posted_at=when, url="https://m.weibo.cn/detail/b5"),
        HelpPostIn(post_id="b5r", text="扩散", posted_at=when, is_repost=True,
                   root_post_id="b5", root_text=FIVE),
    ]  # fmt: skip
    with Session(engine) as session:
        incident = rescue_service.get_incident(session, incident_id=incident_id)
        done = intake.take_in(session, incident=incident, posts=posts, actor=rescue_service.SYSTEM)
        session.commit()
        return done.requests[("weibo", "b5")].id


def test_coordinator_closes_a_partial_rescue_and_the_incident_without_false_claims(
    page: Page, committed_engine: Engine, offline: Offline
) -> None:
    auth_service._ip_attempts.clear()
    world = build_console_world(committed_engine, with_index=False)
    rid = _posted_request(committed_engine, world.incident_id)
    page.goto("/login")
    page.fill("#username", "dispatcher")
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r".*/console/.*"))

    page.goto(f"/console/rescue/incidents/{world.incident_id}/edit")
    page.fill("#f-hotline", "0371 12345")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("body")).to_contain_text("灾情已保存")

    page.goto(f"/console/rescue/requests/{rid}")
    expect(page.locator("#outbox-warning")).to_contain_text("未配置消息发送通道")
    page.select_option("#assign-team", str(world.teams["blue_sky"]))
    page.get_by_role("button", name="派出队伍").click()
    expect(page.locator("#help-state")).to_have_text("已派出")
    page.fill("#fulfil-people", "2")
    page.fill("#fulfil-note", "二楼救出老人2名，三楼还有3人")
    page.locator("#form-fulfil").get_by_role("button", name="记录").click()
    expect(page.locator("#fulfilments")).to_contain_text("二楼救出老人2名，三楼还有3人")
    expect(page.locator("#fulfilments")).to_contain_text("蓝天救援队")
    expect(page.locator("#help-people")).to_contain_text("仍有 3 人待救")

    # 结束求助并公告 as 已获救 with 3 of 5 still listed: refused, with the warning.
    page.select_option("#resolve-outcome", "rescued")
    page.get_by_role("button", name="结束求助并公告").click()
    expect(page.locator("#action-error")).to_contain_text("仍有 3 人待救")
    expect(page.locator("#help-state")).to_have_text("救援中")
    page.check("#resolve-confirm-partial")
    page.get_by_role("button", name="结束求助并公告").click()
    expect(page.locator("#action-error")).to_contain_text("需要填写理由")
    expect(page.locator("#resolve-confirm-partial")).to_be_checked()
    page.fill("#resolve-partial-reason", "其余3人转交消防继续搜救")
    page.get_by_role("button", name="结束求助并公告").click()
    expect(page.locator("#help-state")).to_have_text("已结束·公告待发送")
    body = page.locator(".notice-body")
    expect(body).to_have_count(1)
    expect(body).to_contain_text("已救出 2 人，仍有 3 人待救或下落待核实")
    expect(body).to_contain_text("0371-12345")
    expect(body).not_to_contain_text("请勿重复救援")
    expect(page.locator("#notice-summary")).to_contain_text("已发送 0，待发送 2")
    expect(page.locator("#mirror-notices tr.delivery-queued")).to_have_count(2)
    expect(page.locator("#history")).to_contain_text("确认部分结束")
    expect(page.locator("#history")).to_contain_text("其余3人转交消防继续搜救")
    shot(page, "25-rescue-partial-closed")

    # 结束灾情 with the two form requests still waiting: refused, then forced with a reason.
    page.goto(f"/console/rescue/incidents/{world.incident_id}/edit")
    expect(page.locator("#open-requests")).to_contain_text("还有 2 件求助未结束")
    page.get_by_role("button", name="结束灾情").click()
    expect(page.locator("#form-error")).to_contain_text("待核实 2")
    page.check("#f-force")
    page.fill("#f-close-reason", "转交 119 指挥中心跟进")
    page.get_by_role("button", name="结束灾情").click()
    expect(page.locator("body")).to_contain_text("灾情已结束")
    expect(page.locator(f"#incident-{world.incident_id} .incident-status")).to_have_text("已结束")

    page.context.clear_cookies()  # now as the public
    page.goto(f"/board/rescue/{world.incident_id}/help")
    expect(page.locator("#closed-hotline")).to_contain_text("0371-12345")
    expect(page.locator("textarea")).to_have_count(0)
    page.goto(f"/board/rescue/{world.incident_id}")
    expect(page.locator("#notices-heading")).to_have_text("结束说明")
    expect(page.locator(f"#notice-{rid}")).to_contain_text("仍有 3 人待救")
    expect(page.locator("body")).not_to_contain_text("请勿重复救援")
    expect(page.locator("body")).not_to_contain_text("我要求助")
    expect(page.locator("body")).not_to_contain_text("13700001234")
    shot(page, "26-rescue-board-closed")
    assert offline.attempts == []
