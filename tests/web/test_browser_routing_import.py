"""The routing table in the browser (Playwright driving Debian's Chromium, offline): the
admin checks a table, then imports it without choosing the file again; and re-routes the
requests that waited for a fallback from the desk's 无人承办 notice."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from zhengwu.servicedesk import service as desk_service
from zhengwu.servicedesk.routing import service as routing_service
from zhengwu.servicedesk.routing.models import RoutingRuleCreate
from zhengwu.servicedesk.schemas import RequestIntake
from zhengwu.servicedesk.service import SYSTEM

from .conftest import Offline, check_kept, shot
from .test_browser import _login, _world

pytestmark = pytest.mark.browser


def test_admin_checks_then_imports_without_choosing_the_file_again(
    page: Page, committed_engine: Engine, offline: Offline, tmp_path: Path
) -> None:
    _world(committed_engine)
    _login(page, "admin")
    sheet = page.request.get("/api/desk/routing/rules/export?format=csv")
    assert sheet.ok, sheet.text()
    path = tmp_path / "派单表.csv"
    path.write_bytes(sheet.body() + ",二七区,,城乡建设,郑州市公安局,,,,,,,\n".encode())

    page.goto("/console/settings/routing")
    expect(page.locator("#current-version")).to_have_text("当前版本 1")
    check_kept(page, "routing-import", path)
    expect(page.locator("#table-import-dry-run")).to_contain_text("派单表.csv")
    expect(page.locator("#table-added")).to_have_text("1")
    shot(page, "routing-import-checked")

    page.click("#routing-import-apply")
    expect(page.locator("#table-import-done")).to_contain_text("已导入 派单表.csv，路由表版本 2")
    expect(page.locator("#current-version")).to_have_text("当前版本 2")
    expect(page.locator("#checked-file")).to_have_count(0)
    row = page.locator("#routing-rules tr", has_text="二七区")
    expect(row).to_contain_text("郑州市公安局")
    assert re.search(r"/console/settings/routing/import$", page.url)
    shot(page, "routing-import-done")


def test_admin_reroutes_from_the_ownerless_notice(
    page: Page, committed_engine: Engine, offline: Offline
) -> None:
    world = _world(committed_engine)
    with Session(committed_engine) as session:
        intake = RequestIntake(source="form", text="公司一直没给我们交社保，离职时才发现断缴了8年")
        waiting = desk_service.create_request(session, intake=intake, actor=SYSTEM).public_id
        rule = RoutingRuleCreate(organization_id=world.orgs["hotline"])  # the fallback, later
        routing_service.add_rules(session, rules=[rule], actor=SYSTEM, note="12345 兜底")
        session.commit()
    _login(page, "admin")
    page.goto("/console/desk")
    notice = page.locator("#ownerless-notice")
    expect(notice).to_contain_text("无人承办：1 件诉求")
    shot(page, "desk-ownerless-reroute")
    notice.locator("#reroute-check").click()
    expect(page.locator("#reroute-dry-run")).to_be_visible()
    expect(page.locator("#reroute-list")).to_contain_text(waiting)
    page.locator("#reroute-apply").click()
    expect(page.locator("#reroute-done")).to_contain_text("重新派单 1 件")
    expect(page.locator("#reroute-list")).to_contain_text("郑州市12345政务服务便民热线")
    expect(page.locator("#ownerless-notice")).to_have_count(0)
    shot(page, "routing-rerouted")
