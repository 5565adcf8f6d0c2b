"""Browser journeys through the console: Playwright driving Debian's Chromium, offline.

Each role logs in through the login form and walks its main journey; screenshots of the
main pages go to ``test-artifacts/screenshots/``. Every request to a host other than the
loopback server is aborted and recorded, and each test asserts none was attempted: the
console must work without a CDN or any other outside asset.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import Engine

from zhengwu.auth import service as auth_service

from .conftest import Offline, shot
from .test_console_world import PASSWORD, ConsoleWorld, build_console_world

pytestmark = pytest.mark.browser


def _world(engine: Engine, *, with_index: bool = False) -> ConsoleWorld:
    auth_service._ip_attempts.clear()
    return build_console_world(engine, with_index=with_index)


def _login(page: Page, username: str) -> None:
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r".*/console/.*"))
    expect(page.locator(".who .user")).to_contain_text(f"{username}用户")


def test_matrix_office_checks_compliance_and_rankings(
    page: Page, committed_engine: Engine, offline: Offline
) -> None:
    world = _world(committed_engine, with_index=True)
    _login(page, "office")
    expect(page).to_have_url(re.compile(rf"/console/matrix/{world.matrices['zz']}$"))
    expect(page.locator("#stat-failing")).to_have_text("2")
    failing = page.locator("table.compliance-table")
    expect(failing).to_contain_text("郑州12345")
    expect(failing).to_contain_text("中原文旅")
    expect(page.locator("svg.chart-grid")).to_be_visible()
    shot(page, "01-matrix-overview")

    failing.get_by_role("link", name="郑州12345").click()
    expect(page.locator("h1")).to_contain_text("郑州12345")
    expect(page.locator("#compliance")).to_contain_text("检查日前无更新")
    expect(page.locator("#metrics svg.chart-line")).to_have_count(2)
    shot(page, "02-account-page")

    page.get_by_role("navigation", name="主导航").get_by_role("link", name="排行榜").click()
    table = page.locator("table.ranking-table")
    expect(table).to_contain_text("金水住建")
    page.select_option("select[name=platform]", "weibo")
    page.select_option("select[name=sector]", "公安")
    page.get_by_role("button", name="筛选").click()
    expect(page).to_have_url(re.compile(r"sector=%E5%85%AC%E5%AE%89"))
    expect(table).to_contain_text("平安郑州")
    expect(table).not_to_contain_text("金水住建")
    shot(page, "03-rankings")

    table.get_by_role("link", name="解释").first.click()
    expect(page.locator("h1")).to_contain_text("得分解释：平安郑州")
    expect(page.locator("#indicators tr")).not_to_have_count(1)
    shot(page, "04-score-explanation")
    assert offline.attempts == []


def test_handler_takes_a_request_from_queue_to_resolution(
    page: Page, committed_engine: Engine, offline: Offline
) -> None:
    world = _world(committed_engine)
    pid = world.requests["housing"]
    _login(page, "handler")
    expect(page.locator("table.queue")).to_contain_text(pid)
    expect(page.locator("table.queue")).not_to_contain_text(world.requests["police"])
    shot(page, "05-desk-queue")

    page.get_by_role("link", name=pid).click()
    state = page.locator("#request-state")
    expect(state).to_have_text("已接收")
    expect(page.locator("#request-facts")).to_contain_text("13912345678")

    def act(action: str, label: str, text: str | None = None) -> None:
        box = page.locator(f"details[data-action={action}]")
        box.locator("summary").click()
        if text is not None:
            box.locator("textarea").first.fill(text)
        box.get_by_role("button", name=label).click()
        expect(page.locator(".flash")).to_contain_text(f"已执行：{label}")

    act("accept", "受理")
    expect(state).to_have_text("已受理")
    # A refused action comes back in its form with the reason (申请延期 needs one).
    box = page.locator("details[data-action=request_extension]")
    box.locator("summary").click()
    box.locator("input[name=days]").fill("3")
    box.locator("textarea[name=reason]").evaluate("el => el.removeAttribute('required')")
    box.get_by_role("button", name="申请延期").click()
    expect(page.locator("#action-error")).to_contain_text("申请延期")
    expect(state).to_have_text("已受理")
    act("start", "开始办理")
    act("reply", "答复", "已联系物业公司，三日内恢复电梯运行。")
    expect(state).to_have_text("已答复")
    act("resolve", "办结", "电梯已修复，物业费问题已责令整改。")
    expect(state).to_have_text("已办结")
    expect(page.locator("#outbox")).to_contain_text("电梯已修复")
    expect(page.locator("#history")).to_contain_text("办结")
    shot(page, "06-desk-request-resolved")
    assert offline.attempts == []


def test_dispatcher_verifies_and_dispatches_a_help_request(
    page: Page, committed_engine: Engine, offline: Offline
) -> None:
    world = _world(committed_engine)
    _login(page, "dispatcher")
    page.get_by_role("link", name="郑州暴雨（测试）").click()
    triage = page.locator("table.triage")
    expect(triage.locator("b.score")).to_have_count(2)
    shot(page, "07-rescue-triage")

    triage.locator("tr", has_text="张建国").get_by_role("link", name="处理").click()
    expect(page).to_have_url(re.compile(rf"/console/rescue/requests/{world.help['flooded']}$"))
    state = page.locator("#help-state")
    expect(state).to_have_text("待核实")
    verify = page.locator("#form-verify")
    verify.locator("select[name=method]").select_option("phone")
    verify.locator("select[name=result]").select_option("confirmed")
    verify.locator("textarea[name=note]").fill("电话确认，4人被困二楼")
    verify.get_by_role("button", name="记录核实").click()
    expect(state).to_have_text("已核实")
    assign = page.locator("#form-assign")
    assign.locator("select[name=team_id]").select_option(str(world.teams["blue_sky"]))
    assign.get_by_role("button", name="派出队伍").click()
    expect(state).to_have_text("已派出")
    expect(page.locator("#help-facts")).to_contain_text("蓝天救援队")
    fulfil = page.locator("#form-fulfil")
    fulfil.locator("input[name=people]").fill("2")
    fulfil.get_by_role("button", name="记录").click()
    expect(page.locator("#help-facts")).to_contain_text("部分救出")
    shot(page, "08-rescue-request-dispatched")
    assert offline.attempts == []


def test_public_views_both_boards(page: Page, committed_engine: Engine, offline: Offline) -> None:
    world = _world(committed_engine)
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/board"))
    expect(page.locator("body")).not_to_contain_text("13912345678")
    shot(page, "09-public-requests-board")
    page.goto(f"/board/rescue/{world.incident_id}")
    expect(page.locator("body")).to_contain_text("郑州暴雨（测试）")
    expect(page.locator("body")).not_to_contain_text("13800001111")
    shot(page, "10-public-rescue-board")
    page.goto("/console/desk")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    assert offline.attempts == []


def test_wrong_role_is_refused_and_admin_sees_form_errors(
    page: Page, committed_engine: Engine, offline: Offline
) -> None:
    _world(committed_engine)
    _login(page, "handler")
    response = page.goto("/console/rankings")
    assert response is not None
    assert response.status == 403
    expect(page.locator("h1")).to_contain_text("403")
    expect(page.locator(".error-page")).to_contain_text("无权访问此页面")
    expect(page.locator(".error-page")).to_contain_text("may not open this page")
    shot(page, "11-forbidden")
    page.locator(".who").get_by_role("button", name="退出").click()
    expect(page).to_have_url(re.compile(r"/login$"))

    _login(page, "admin")
    page.goto("/console/settings/categories/0101")
    page.fill("#f-response_days", "abc")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#err-response_days")).to_contain_text("正整数")
    shot(page, "12-category-form-error")
    page.fill("#f-response_days", "2")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#cat-0101 .response-days")).to_have_text("2 个工作日")
    assert offline.attempts == []
