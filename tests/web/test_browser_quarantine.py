"""Browser journey of the quarantine: Playwright driving Debian's Chromium, offline.

After real imports (a comments CSV whose rows with a bad date are quarantined, one naming a
caller with their mobile and ID number; a list of organisations with a bad row; an import
whose every file was refused), the admin opens 导入记录, follows a run's link to its
quarantined records, finds the caller's data masked, filters by format, pages, and downloads
the run's records as JSON Lines; a matrix office is refused. As in ``test_browser.py``,
every request to a host other than the loopback server is aborted and recorded (the test
asserts none was attempted), and screenshots go to ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import re
from pathlib import Path

import orjson
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import Engine

from zhengwu.auth import service as auth_service

from .conftest import shot
from .test_browser_imports import _log_in
from .test_console_quarantine import ID_NUMBER, NAME, PHONE, make_quarantine
from .test_console_world import build_console_world

pytestmark = pytest.mark.browser


def test_admin_reads_and_downloads_a_runs_quarantine(
    page: Page, committed_engine: Engine, configured_database: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    from zhengwu.web.console import import_pages

    monkeypatch.setattr(import_pages, "QUARANTINE_PAGE", 2)  # the server runs in this process
    auth_service._ip_attempts.clear()
    build_console_world(committed_engine, with_index=False)
    world = make_quarantine(tmp_path)
    _log_in(page, "admin")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="设置").click()
    page.get_by_role("link", name="导入记录").click()
    refused = page.locator(f'tr[data-run="{world.refused}"]')  # every file refused: kept
    expect(refused.locator(".run-read")).to_have_text("0")
    expect(refused.locator(".run-refused")).to_contain_text("文件不是 UTF-8 编码")
    run = page.locator(f'tr[data-run="{world.comments}"] .run-quarantined')
    expect(run).to_contain_text(f"zhengwu quarantine --run {world.comments}")  # kept as a hint
    run.get_by_role("link", name="查看隔离记录").click()
    expect(page).to_have_url(re.compile(rf"/quarantine\?run={world.comments}#quarantine$"))
    expect(page.locator("h1")).to_have_text("隔离记录 Quarantined records")
    expect(page.locator("#quarantine-run")).to_contain_text("comments.csv")
    expect(page.locator("#quarantine-total")).to_contain_text("共 3 条，第 1–2 条")
    rows = page.locator("#quarantine tr[data-entry]")
    expect(rows).to_have_count(2)
    expect(page.locator("#quarantine")).to_contain_text("138****5678")
    expect(page.locator("#quarantine")).to_contain_text("4101**********1234")
    body = page.locator("body")
    for secret in (PHONE, ID_NUMBER, NAME):
        expect(body).not_to_contain_text(secret)
    shot(page, "quarantine-01-run")

    page.get_by_role("link", name="下一页").click()
    expect(rows).to_have_count(1)
    expect(page.locator("#quarantine-total")).to_contain_text("共 3 条，第 3–3 条")

    with page.expect_download() as caught:
        page.locator("#quarantine-download").click()
    download = caught.value
    assert download.suggested_filename == f"quarantine-run-{world.comments}.jsonl"
    lines = [orjson.loads(line) for line in Path(download.path()).read_text().splitlines()]
    assert [line["kind"] for line in lines] == ["quarantine"] * 3
    assert any("138****5678" in str(line["raw"]) for line in lines)
    assert not any(PHONE in str(line["raw"]) for line in lines)

    page.get_by_role("link", name="清除筛选").click()
    page.select_option("#quarantine-filters select[name=format]", "zhengwu-orgs")
    page.get_by_role("button", name="筛选").click()
    expect(page).to_have_url(re.compile(r"format=zhengwu-orgs"))
    expect(rows).to_have_count(2)
    for cell in rows.locator(".q-format").all():
        expect(cell).to_have_text("zhengwu-orgs")
    shot(page, "quarantine-02-format")

    page.get_by_role("button", name="退出").click()
    _log_in(page, "office")
    page.goto(f"/console/settings/imports/quarantine?run={world.comments}")
    expect(page.locator("h1")).to_have_text("403 · 无权访问")
    expect(page.locator("body")).not_to_contain_text("comments.csv")
