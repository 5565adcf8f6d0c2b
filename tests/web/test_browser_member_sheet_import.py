"""导入成员名单 and 导入志愿者表格 in the browser (Playwright driving Debian's Chromium,
offline): the user checks the file — nothing is written, the rows that would be refused are
listed — then imports it without choosing the file again."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from zhengwu.accounts.models import MatrixMember
from zhengwu.rescue.models import HelpRequest

from ..rescue.test_spreadsheet import SHEET
from .conftest import Offline, check_kept, shot
from .test_browser import _login, _world
from .test_console_matrix_kept_upload import LIST

pytestmark = pytest.mark.browser


def _count(engine: Engine, what: object) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(what)) or 0)  # type: ignore[call-overload]


def _checked(
    page: Page, engine: Engine, table: object, user: str, url: str, form: str, path: Path
) -> int:
    """Log in as ``user``, open ``url``, choose ``path`` in ``form`` and check it; return
    the rows of ``table``, which the check left as they were."""
    before = _count(engine, table)
    _login(page, user)
    page.goto(url)
    check_kept(page, form, path)
    assert _count(engine, table) == before
    return before


def test_office_checks_then_imports_a_member_list(
    page: Page, committed_engine: Engine, offline: Offline, tmp_path: Path
) -> None:
    world = _world(committed_engine)
    police = world.matrices["zz_police"]
    path = tmp_path / "名单.csv"
    path.write_text(LIST, encoding="utf-8")
    url = f"/console/matrix/{police}"
    before = _checked(page, committed_engine, MatrixMember, "office", url, "member-import", path)
    expect(page.locator("#import-dry-run")).to_contain_text("试运行：名单.csv 未写入")
    expect(page.locator("#import-added")).to_have_text("2")
    expect(page.locator(".rejected-rows")).to_contain_text("weibo,404404,")
    expect(page.locator("#import-quarantine")).to_have_count(0)
    # The answer opens at the form and its result (the action's #form-import), not at the
    # top of a long matrix page.
    assert page.url.endswith("/import#form-import"), page.url
    expect(page.locator("#import-dry-run")).to_be_in_viewport()
    shot(page, "member-import-checked")

    page.click("#member-import-apply")
    expect(page.locator("#import-done")).to_contain_text("已导入 名单.csv：新增 2 个")
    expect(page.locator("#import-quarantine")).to_contain_text("导入批次")
    expect(page.locator("#checked-file")).to_have_count(0)
    assert _count(committed_engine, MatrixMember) == before + 2
    shot(page, "member-import-done")


def test_dispatcher_checks_then_imports_the_volunteers_sheet(
    page: Page, committed_engine: Engine, offline: Offline, tmp_path: Path
) -> None:
    world = _world(committed_engine)
    path = tmp_path / "待救援人员信息.csv"
    path.write_text(SHEET, encoding="utf-8-sig")
    url = f"/console/rescue/{world.incident_id}"
    before = _checked(page, committed_engine, HelpRequest, "dispatcher", url, "sheet-import", path)
    expect(page.locator("#sheet-dry-run")).to_contain_text("未写入")
    expect(page.locator("#sheet-new")).to_have_text("2")
    expect(page.locator("#sheet-refused tr")).to_have_count(3)  # the header and two rows
    expect(page.locator("#sheet-refused")).to_contain_text("neither address nor contact")
    assert page.url.endswith("/sheet#sheet-import"), page.url
    expect(page.locator("#sheet-import h2")).to_be_in_viewport()
    shot(page, "sheet-import-checked")

    page.click("#sheet-import-apply")
    expect(page.locator("#sheet-done")).to_contain_text("已导入「待救援人员信息.csv」")
    expect(page.locator("#sheet-refused-link")).to_be_visible()
    expect(page.locator("#checked-file")).to_have_count(0)
    assert _count(committed_engine, HelpRequest) == before + 2
    shot(page, "sheet-import-done")
