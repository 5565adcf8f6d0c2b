"""导入热线工单 in the browser (Playwright driving Debian's Chromium, offline): the matrix
office checks a hotline export — nothing is written — then imports it without choosing the
file again."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import Engine

from .conftest import Offline, check_kept, shot
from .test_browser import _login, _world
from .test_console_desk_import import _csv, _hotline_requests, _messages, _rows

pytestmark = pytest.mark.browser


def test_office_checks_then_imports_without_choosing_the_file_again(
    page: Page, committed_engine: Engine, offline: Offline, tmp_path: Path, shared_data: Path
) -> None:
    _world(committed_engine)
    path = tmp_path / "12345导出-2025-10.csv"
    path.write_bytes(_csv(_rows(_messages(shared_data, 4), 200)))
    before = _hotline_requests(committed_engine)
    _login(page, "office")
    page.goto("/console/desk")
    page.locator("#desk-import summary").click()
    check_kept(page, "desk-import", path)
    expect(page.locator("#import-dry-run")).to_contain_text("12345导出-2025-10.csv 未写入")
    expect(page.locator("#count-created")).to_have_text("4")
    assert _hotline_requests(committed_engine) == before
    shot(page, "desk-import-checked")

    page.click("#desk-import-apply")
    expect(page.locator("#import-done")).to_contain_text("已导入 12345导出-2025-10.csv")
    expect(page.locator("#count-created")).to_have_text("4")
    expect(page.locator("#checked-file")).to_have_count(0)
    assert _hotline_requests(committed_engine) == before + 4
    shot(page, "desk-import-done")
    assert offline.attempts == []
