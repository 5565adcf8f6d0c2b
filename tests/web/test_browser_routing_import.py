"""The admin checks a routing table in the browser, then imports it without choosing the
file again (Playwright driving Debian's Chromium, offline)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import Engine

from .conftest import Offline, shot
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
    page.set_input_files("#routing-import-file", str(path))
    page.click("#routing-import-check")
    expect(page.locator("#table-import-dry-run")).to_contain_text("派单表.csv")
    expect(page.locator("#table-added")).to_have_text("1")
    expect(page.locator("#checked-file")).to_contain_text("不必重新选择文件")
    # The new page's file input is empty: nothing is chosen again before importing.
    expect(page.locator("#routing-import-file")).to_have_value("")
    shot(page, "routing-import-checked")

    page.click("#routing-import-apply")
    expect(page.locator("#table-import-done")).to_contain_text("已导入 派单表.csv，路由表版本 2")
    expect(page.locator("#current-version")).to_have_text("当前版本 2")
    expect(page.locator("#checked-file")).to_have_count(0)
    row = page.locator("#routing-rules tr", has_text="二七区")
    expect(row).to_contain_text("郑州市公安局")
    assert re.search(r"/console/settings/routing/import$", page.url)
    shot(page, "routing-import-done")
