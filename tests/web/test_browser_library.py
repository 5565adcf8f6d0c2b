"""Browser journey through the content library: Playwright driving Debian's Chromium, offline.

An operator uploads an item with an image, labels it 权威 and plans its distribution to
two accounts of its matrix. Requests to any host but the loopback server are aborted and
recorded; screenshots go to ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from zhengwu.auth import service as auth_service

from ..library.world import PASSWORD, PNG, World, build_world
from .conftest import Offline, shot

pytestmark = pytest.mark.browser


def test_operator_uploads_labels_and_distributes(
    page: Page, offline: Offline, committed_engine: Engine, tmp_path: Path
) -> None:
    auth_service._ip_attempts.clear()
    with Session(committed_engine) as session:
        world: World = build_world(session)
        session.commit()
    image = tmp_path / "暴雨预警.png"
    image.write_bytes(PNG)

    p = page
    p.goto("/login")
    p.fill("#username", "op_housing")
    p.fill("#password", PASSWORD)
    p.get_by_role("button", name="登录").click()
    p.wait_for_url(re.compile(r".*/console/.*"))
    p.get_by_role("navigation", name="主导航").get_by_role("link", name="内容库").click()
    expect(p.locator("#library-empty")).to_be_visible()
    p.locator("#library-new").click()

    p.fill("#f-title", "")
    p.get_by_role("button", name="保存").click()
    expect(p.locator("#form-errors")).to_contain_text("标题不能为空")
    p.fill("#f-title", "郑州发布暴雨红色预警")
    p.fill("#f-body", "请市民减少外出，远离低洼地带。")
    p.select_option("#f-kind", "image")
    p.fill("#f-tags", "防汛，预警")
    p.set_input_files("#f-files", str(image))
    shot(p, "library-01-upload-form")
    p.get_by_role("button", name="保存").click()
    expect(p.locator("#item-title")).to_have_text("郑州发布暴雨红色预警")
    expect(p.locator("img.library-preview")).to_be_visible()

    p.locator("#edit-form").get_by_label("权威").check()
    p.get_by_role("button", name="保存修改").click()
    expect(p.locator("#labels .content-label")).to_have_text("权威")

    p.check(f"#acc-{world.accounts['housing_wechat']}")
    p.check(f"#acc-{world.accounts['housing_toutiao']}")
    p.get_by_role("button", name="计划分发").click()
    table = p.locator("table.distribution-table")
    expect(table).to_contain_text("郑州住房")
    expect(table.locator("tr.state-failed")).to_contain_text("未配置「toutiao」平台的发布通道")
    expect(p.locator("#distribution-counts")).to_contain_text("已排队 1")
    shot(p, "library-02-item-distribution")

    p.get_by_role("navigation", name="主导航").get_by_role("link", name="内容库").click()
    p.fill("#library-q", "暴雨预警")
    p.get_by_role("button", name="筛选").click()
    expect(p.locator("table.library-table")).to_contain_text("郑州发布暴雨红色预警")
    shot(p, "library-03-list")
    assert offline.attempts == []
