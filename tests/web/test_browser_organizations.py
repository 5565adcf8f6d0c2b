"""Browser journey of published numbers: Playwright driving Debian's Chromium, offline.

A matrix office opens 机构 from the navigation, filters the list by region, opens a body,
sees a bad number come back in the form with the reason, then registers the numbers and
finds them in the list. As in ``test_browser.py``, every request to a host other than the
loopback server is aborted and recorded (the test asserts none was attempted), and
screenshots go to ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from zhengwu.accounts.models import Organization
from zhengwu.auth import service as auth_service

from .conftest import shot
from .test_console_world import PASSWORD, build_console_world

pytestmark = pytest.mark.browser


def test_matrix_office_registers_published_numbers(page: Page, committed_engine: Engine) -> None:
    auth_service._ip_attempts.clear()
    world = build_console_world(committed_engine, with_index=False)
    page.goto("/login")
    page.fill("#username", "office")
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="机构").click()
    expect(page).to_have_url(re.compile(r"/console/organizations$"))
    expect(page.locator("#org-total")).to_contain_text("共 4 个机构")

    page.locator("#org-filters input[name=region]").fill("金水区")
    page.get_by_role("button", name="筛选").click()
    expect(page.locator("#org-total")).to_contain_text("共 1 个机构")
    shot(page, "organizations-01-filtered")
    page.get_by_role("link", name="郑州市金水区住房和城乡建设局").click()
    expect(page.locator("h1")).to_have_text("郑州市金水区住房和城乡建设局")
    expect(page.locator("#org-accounts")).to_contain_text("金水住建")

    phones = page.locator("#f-public-phones")
    phones.fill("0371-66661234\n找不到号码")
    page.get_by_role("button", name="保存公开电话").click()
    expect(page.locator("#phones-error")).to_contain_text("不是电话号码")
    expect(page.locator("#phones-error")).to_contain_text("not a phone number")
    expect(page.locator("#f-public-phones")).to_have_value("0371-66661234\n找不到号码")
    shot(page, "organizations-02-refused")

    page.locator("#f-public-phones").fill("（0371）6666 1234，13800138000")
    page.get_by_role("button", name="保存公开电话").click()
    expect(page.locator(".flash")).to_contain_text("公开电话已保存")
    expect(page.locator("#org-phones")).to_contain_text("0371-66661234")
    expect(page.locator("#org-phones")).to_contain_text("13800138000")
    shot(page, "organizations-03-saved")
    with Session(committed_engine) as session:
        org = session.get(Organization, world.orgs["js_housing"])
        assert org is not None
        assert org.public_phones == ["0371-66661234", "13800138000"]

    page.get_by_role("link", name="← 全部机构").click()
    row = page.locator(f'tr[data-org="{world.orgs["js_housing"]}"]')
    expect(row.locator(".org-phones")).to_have_text("0371-66661234、13800138000")
