"""The desk queue's layout in Chromium: a request's state badge stays on one line.

An imported 12345 history has long texts and long body names; the state column was
squeezed until 已答复 stood one character a line.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from zhengwu.auth import service as auth_service
from zhengwu.servicedesk import service as desk_service
from zhengwu.servicedesk.schemas import RequestIntake

from .conftest import Offline, shot
from .test_console_world import PASSWORD, build_console_world

pytestmark = pytest.mark.browser

# The height of an element's text (a cell is as tall as its row; its text need not be).
TEXT_HEIGHT = """el => { const r = document.createRange(); r.selectNodeContents(el);
                        return r.getBoundingClientRect().height; }"""
LONG = (
    "强烈呼吁金水区花园路与农业路交叉口早点启用红绿灯：这个路口事故频发，上下班高峰车辆"
    "互不相让，已经发生过好几起事故，附近小学的孩子每天都要从这里过马路，家长非常担心，"
    "希望交警和住建部门尽快协调，把已经装好的信号灯投入使用，并在路口增设人行横道和减速带。"
)


def test_state_badges_stay_on_one_line(
    page: Page, committed_engine: Engine, offline: Offline
) -> None:
    auth_service._ip_attempts.clear()
    world = build_console_world(committed_engine, with_index=False)
    with Session(committed_engine) as session:
        for i in range(3):
            intake = RequestIntake.model_validate(
                {"source": "form", "text": f"{LONG}（{i}）", "adcode": "410105"}
            )
            desk_service.receive(session, intake=intake, actor=desk_service.SYSTEM)
        session.commit()
    page.goto("/login")
    page.fill("#username", "admin")
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r".*/console/.*"))
    page.goto("/console/desk")
    expect(page.locator("table.queue")).to_contain_text(world.requests["housing"])
    badges = page.locator("table.queue .state")
    assert badges.count() >= 6
    heights = [badges.nth(i).bounding_box()["height"] for i in range(badges.count())]  # type: ignore[index]
    line = page.locator("table.queue .state").first.evaluate(
        "el => parseFloat(getComputedStyle(el).lineHeight) || 18"
    )
    shot(page, "desk-queue-long-texts")
    assert max(heights) < 1.5 * line, heights
    # The source (网页表单) and the place (金水区) are short labels: one line each too.
    rows = page.locator("table.queue tr:has(td)")
    for column in (3, 5):
        cells = rows.locator(f"td:nth-child({column})")
        tall = [cells.nth(i).inner_text() for i in range(cells.count())
                if cells.nth(i).evaluate(TEXT_HEIGHT) > 1.5 * line]  # fmt: skip
        assert tall == [], (column, tall)
    assert offline.attempts == []
