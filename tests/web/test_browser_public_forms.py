"""Browser journeys of citizens on the public forms (help form, 我要反映), offline: a refused
field is named next to it in Chinese and English and what was typed is still there."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from zhengwu.auth.principal import Principal
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.schemas import IncidentCreate

from .conftest import Offline, shot

pytestmark = pytest.mark.browser
DISPATCHER = Principal(role="dispatcher", user_id=None, username="d", display_name="调度员")


def test_a_citizen_corrects_the_help_form_without_retyping(
    page: Page, committed_engine: Engine, offline: Offline
) -> None:
    with Session(committed_engine) as session:
        incident = rescue_service.create_incident(session, data=IncidentCreate(
            name="郑州暴雨", regions=["410100"], starts_at=datetime(2021, 7, 20, tzinfo=UTC)),
            actor=DISPATCHER)  # fmt: skip
        session.commit()
        iid = incident.id
    page.goto(f"/board/rescue/{iid}/help")
    page.fill("#text", "救")
    page.fill("#address", "郑州市中原区桐柏路2号院")
    page.fill("#people", "-3")
    page.fill("#name", "李四")
    page.fill("#phone", "not-a-phone")
    page.get_by_role("button", name="提交求助").click()
    expect(page.locator("#text-error")).to_contain_text("请描述情况")
    expect(page.locator("#text-error")).to_contain_text("describe the situation")
    expect(page.locator("#people-error")).to_contain_text("people must be a whole number")
    expect(page.locator("#phone-error")).to_contain_text("not a phone number")
    expect(page.locator("#address")).to_have_value("郑州市中原区桐柏路2号院")
    expect(page.locator("#name")).to_have_value("李四")
    expect(page.locator("#text")).to_have_value("救")
    expect(page.locator("#phone")).to_have_attribute("aria-describedby", "phone-error")
    shot(page, "61-rescue-help-form-errors")
    page.fill("#text", "一楼进水，老人出不去")
    page.fill("#people", "2")
    page.fill("#phone", "137 0000 7777")
    page.get_by_role("button", name="提交求助").click()
    expect(page.locator("body")).to_contain_text("核实员会尽快电话联系")
    assert offline.attempts == []


def test_a_citizen_corrects_the_board_form_and_gets_a_receipt_in_words(
    page: Page, committed_engine: Engine, offline: Offline
) -> None:
    page.goto("/board/requests")
    expect(page.locator("#rates-empty")).to_have_text("本期无数据 / no data for this period")
    page.fill("#text", "   ")
    page.fill("#address", "丰产路与文化路口")
    page.fill("#citizen_name", "王建国")
    page.fill("#citizen_phone", "136 5555 6666")
    page.get_by_role("button", name="提交").click()
    expect(page.locator("#text-error")).to_contain_text("describe the problem")
    expect(page.locator("header")).to_contain_text("诉求公开")
    expect(page.locator("body")).not_to_contain_text("登录")
    expect(page.locator("#address")).to_have_value("丰产路与文化路口")
    expect(page.locator("#citizen_phone")).to_have_value("136 5555 6666")
    shot(page, "62-board-form-errors")
    page.fill("#text", "金水区丰产路路灯坏了一个星期")
    page.get_by_role("button", name="提交").click()
    expect(page.locator("body")).to_contain_text("已收到您的诉求")
    expect(page.locator("body")).to_contain_text("当前状态：已")
    expect(page.locator("body")).not_to_contain_text("received")
    assert offline.attempts == []
