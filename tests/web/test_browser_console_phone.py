"""The pages a matrix office works in, on a phone: none scrolls sideways at 375 px.

An office's staff check a dormant account or a ranking from their phones. Debian's Chromium,
offline, 375×740; each page's width is measured after it loads and every page that is wider
than the screen is listed with the elements that stick out. Before, the search page's form
(query, 帖文范围 and its select, the button) sat on one line 448 px wide.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import Engine

from zhengwu.auth import service as auth_service

from .conftest import TIMEOUT_MS, Offline, shot
from .test_console_world import PASSWORD, build_console_world

pytestmark = pytest.mark.browser

WIDER = """() => ({width: document.scrollingElement.scrollWidth,
  out: [...document.querySelectorAll('main *')]
         .filter(e => e.getBoundingClientRect().right > 376)
         .slice(0, 5).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : ''))})"""


@pytest.fixture
def phone(browser: Browser, live_server: str, offline: Offline) -> Iterator[BrowserContext]:
    """A phone-sized browser profile on the running server, outside requests blocked."""
    ctx = browser.new_context(base_url=live_server, locale="zh-CN", is_mobile=True,
                              viewport={"width": 375, "height": 740}, has_touch=True)  # fmt: skip
    ctx.set_default_timeout(TIMEOUT_MS)
    ctx.route("**/*", offline)
    yield ctx
    ctx.close()
    assert offline.attempts == [], f"requests left the machine: {offline.attempts}"


def _login(page: Page, username: str) -> None:
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r".*/console/.*"))


def test_an_offices_pages_fit_a_phone(phone: BrowserContext, committed_engine: Engine) -> None:
    auth_service._ip_attempts.clear()
    world = build_console_world(committed_engine)
    page = phone.new_page()
    _login(page, "office")
    pages = [
        f"/console/matrix/{world.matrices['zz']}", "/console/accounts", "/console/rankings",
        "/console/reports", "/console/library", "/console/search", "/console/search?q=郑州",
        f"/console/matrix/{world.matrices['zz']}/coverage",
    ]  # fmt: skip
    wide = {}
    for path in pages:
        page.goto(path)
        expect(page.locator("main h1").first).to_be_visible()
        seen = page.evaluate(WIDER)
        if seen["width"] > 376:
            wide[path] = seen
            shot(page, "phone-" + re.sub(r"\W+", "-", path).strip("-"))
    assert wide == {}
