"""Browser journey of matrix management: Playwright driving Debian's Chromium, offline.

A matrix office logs in, creates a sub-matrix, adds a member by platform and UID, sees a
refused form come back with the reason, and removes the member. As in ``test_browser.py``,
every request to a host other than the loopback server is aborted and recorded (the test
asserts none was attempted), and screenshots go to ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from zhengwu.accounts.models import Matrix, MatrixMember
from zhengwu.auth import service as auth_service

from .conftest import Offline, shot
from .test_console_world import PASSWORD, build_console_world

pytestmark = pytest.mark.browser


def test_matrix_office_creates_a_sub_matrix_and_manages_a_member(
    page: Page, committed_engine: Engine, offline: Offline
) -> None:
    auth_service._ip_attempts.clear()
    world = build_console_world(committed_engine, with_index=False)
    page.goto("/login")
    page.fill("#username", "office")
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(rf"/console/matrix/{world.matrices['zz']}$"))
    expect(page.locator("#members")).to_contain_text("成员（5）")
    shot(page, "matrix-01-overview-with-forms")

    create = page.locator("#form-create")
    create.locator("input[name=name]").fill("二七区政务新媒体矩阵")
    create.locator("input[name=adcode]").fill("410103")
    create.get_by_role("button", name="创建下级矩阵").click()
    expect(page.locator(".flash")).to_contain_text("矩阵已创建")
    expect(page.locator("h1")).to_have_text("二七区政务新媒体矩阵")
    with Session(committed_engine) as session:
        child = session.scalar(select(Matrix).where(Matrix.name == "二七区政务新媒体矩阵"))
        assert child is not None
        assert child.parent_id == world.matrices["zz"]
        child_id = child.id
    expect(page).to_have_url(re.compile(rf"/console/matrix/{child_id}\?done=matrix-created$"))

    # A UID that does not exist comes back in the form with the reason.
    member = page.locator("#form-member")
    member.locator("select[name=platform]").select_option("weibo")
    member.locator("input[name=uid]").fill("404404")
    member.get_by_role("button", name="添加").click()
    expect(page.locator("#error-member")).to_contain_text("账号不存在")
    expect(page.locator("#form-member input[name=uid]")).to_have_value("404404")

    member = page.locator("#form-member")
    member.locator("input[name=uid]").fill("1002")
    member.get_by_role("button", name="添加").click()
    expect(page.locator(".flash")).to_contain_text("已添加成员")
    members = page.locator("#members")
    expect(members).to_contain_text("金水住建")
    shot(page, "matrix-02-member-added")

    members.get_by_role("checkbox", name="确认移除 金水住建").check()
    members.get_by_role("button", name="移除 金水住建").click()
    expect(page.locator(".flash")).to_contain_text("已移除成员")
    expect(page.locator("#members")).not_to_contain_text("金水住建")
    expect(page.locator("#members")).to_contain_text("还没有成员")
    shot(page, "matrix-03-member-removed")
    with Session(committed_engine) as session:
        left = session.scalars(select(MatrixMember).where(MatrixMember.matrix_id == child_id))
        assert list(left) == []

    # The new sub-matrix shows in its parent's tree.
    page.goto(f"/console/matrix/{world.matrices['zz']}")
    expect(page.locator("#tree")).to_contain_text("二七区政务新媒体矩阵")
    assert offline.attempts == []


def test_the_matrix_tree_loads_a_level_when_it_is_expanded(
    page: Page, committed_engine: Engine, browser: Browser, live_server: str
) -> None:
    auth_service._ip_attempts.clear()
    world = build_console_world(committed_engine, with_index=False)
    with Session(committed_engine) as session:  # a level longer than one page of the API
        session.add_all(
            Matrix(name=f"洛阳下级矩阵{i:03d}", kind="regional", parent_id=world.matrices["ly"])
            for i in range(105)
        )
        session.commit()
    page.goto("/login")
    page.fill("#username", "admin")
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.goto("/console/matrix")
    zz = page.locator(f'li[data-matrix="{world.matrices["zz"]}"]')
    police = page.locator(f'li[data-matrix="{world.matrices["zz_police"]}"]')
    expect(zz).to_contain_text("郑州政务新媒体矩阵")
    expect(police).to_have_count(0)  # only the top level is loaded

    with page.expect_response(lambda r: "/api/matrices?parent_id=" in r.url) as answer:
        zz.get_by_role("link", name="1 个下级矩阵").click()
    assert answer.value.status == 200
    expect(page).to_have_url(re.compile(r"/console/matrix$"))  # expanded in place
    expect(zz.locator("ul.matrix-children > li")).to_have_count(1)
    expect(police).to_contain_text("郑州公安新媒体矩阵")
    expect(police).to_contain_text("2 个账号")
    shot(page, "matrix-tree-expanded")
    zz.get_by_role("link", name="1 个下级矩阵").click()  # folds it again
    expect(police).to_be_hidden()

    ly = page.locator(f'li[data-matrix="{world.matrices["ly"]}"]')
    ly.get_by_role("link", name="105 个下级矩阵").click()
    expect(ly.locator("ul.matrix-children > li[data-matrix]")).to_have_count(100)
    ly.get_by_role("button", name=re.compile("更多")).click()
    expect(ly.locator("ul.matrix-children > li[data-matrix]")).to_have_count(105)
    expect(ly.locator("ul.matrix-children")).to_contain_text("洛阳下级矩阵104")

    # Without JavaScript the same link opens the level's own page.
    cookies = page.context.cookies()
    plain = browser.new_context(base_url=live_server, java_script_enabled=False)
    try:
        plain.add_cookies(cookies)
        nojs = plain.new_page()
        nojs.goto("/console/matrix")
        nojs.locator(f'li[data-matrix="{world.matrices["zz"]}"]').get_by_role(
            "link", name="1 个下级矩阵"
        ).click()
        expect(nojs).to_have_url(re.compile(rf"/console/matrix\?parent={world.matrices['zz']}$"))
        expect(nojs.locator(f'li[data-matrix="{world.matrices["zz_police"]}"]')).to_contain_text(
            "2 个账号"
        )
    finally:
        plain.close()
