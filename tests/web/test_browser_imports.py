"""Browser journey of the import history: Playwright driving Debian's Chromium, offline.

The admin opens 导入记录 from the settings page after three real imports, finds the newest run
first, the file refused whole named with its reason in Chinese and English, and the command
that lists a run's quarantine; a matrix office's settings page has no such tile. As in
``test_browser.py``, every request to a host other than the loopback server is aborted and
recorded (the test asserts none was attempted), and screenshots go to
``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import Engine

from zhengwu.auth import service as auth_service

from .conftest import shot
from .test_console_imports import make_runs
from .test_console_world import PASSWORD, build_console_world

pytestmark = pytest.mark.browser


def _log_in(page: Page, username: str) -> None:
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="登录").click()


def test_admin_reads_the_import_history(
    page: Page, committed_engine: Engine, configured_database: str, tmp_path: Path
) -> None:
    auth_service._ip_attempts.clear()
    build_console_world(committed_engine, with_index=False)
    runs = make_runs(tmp_path)
    _log_in(page, "admin")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="设置").click()
    page.get_by_role("link", name="导入记录").click()
    expect(page).to_have_url(re.compile(r"/console/settings/imports$"))
    expect(page.locator("h1")).to_have_text("导入记录 Import runs")
    expect(page.locator("#imports-total")).to_contain_text("共 3 次导入")
    rows = page.locator("#import-runs tr[data-run]")
    expect(rows).to_have_count(3)
    expect(rows.first).to_have_attribute("data-run", str(runs.runs[-1]))  # newest first

    newest = page.locator(f'tr[data-run="{runs.runs[-1]}"]')
    expect(newest.locator(".run-files")).to_contain_text("exports.zip")
    expect(newest.locator(".run-duplicates")).to_have_text("1")
    refused = newest.locator(".run-refused")
    expect(refused).to_contain_text("2025-07/gbk.csv")
    expect(refused).to_contain_text("文件不是 UTF-8 编码")
    expect(refused).to_contain_text("the file is not UTF-8")
    quarantined = page.locator(f'tr[data-run="{runs.runs[1]}"] .run-quarantined')
    expect(quarantined).to_contain_text(f"zhengwu quarantine --run {runs.runs[1]}")
    shot(page, "imports-01-history")

    page.get_by_role("button", name="退出").click()
    _log_in(page, "office")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="设置").click()
    expect(page.get_by_role("link", name="派单路由")).to_be_visible()
    expect(page.get_by_role("link", name="导入记录")).to_have_count(0)
    page.goto("/console/settings/imports")
    expect(page.locator("h1")).to_have_text("403 · 无权访问")
    expect(page.locator("body")).to_contain_text("只有平台管理员可以查看导入记录")
    expect(page.locator("body")).not_to_contain_text("gbk.csv")
