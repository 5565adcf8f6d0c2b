"""Fixtures shared by the console's tests: an HTTP client of the running console, and for
the Playwright journeys Debian's Chromium, offline.

The ``client`` of a module's tests is built after the module's own ``world`` (the data it
serves); it asks for HTML and waits up to 60 s, unless the module says otherwise with
``pytestmark = pytest.mark.client(timeout=…, headers=…)``.

Every request to a host other than the loopback server is aborted and recorded, and each
page's fixture asserts at the end that none was attempted: the console must work without a
CDN or any other outside asset. Screenshots go to ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect, sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]  # fmt: skip
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
LOOPBACK = {"127.0.0.1", "localhost"}
TIMEOUT_MS = 60_000  # the machine may be busy: Playwright waits, it does not sleep
HTML = {"Accept": "text/html"}


@pytest.fixture
def client(
    request: pytest.FixtureRequest, live_server: str, world: object
) -> Iterator[httpx.Client]:
    """An HTTP client of the running console (cookies kept, redirects not followed), once
    the module's ``world`` is built."""
    marker = request.node.get_closest_marker("client")
    options: dict[str, Any] = {"timeout": 60, "headers": HTML, **(marker.kwargs if marker else {})}
    with httpx.Client(base_url=live_server, **options) as c:
        yield c


class Offline:
    """A route handler that lets loopback requests through and aborts (and records) the rest."""

    def __init__(self) -> None:
        self.attempts: list[str] = []

    def __call__(self, route: Route) -> None:
        """Continue a loopback request; abort any other."""
        if urlsplit(route.request.url).hostname in LOOPBACK:
            route.continue_()
        else:
            self.attempts.append(route.request.url)
            route.abort()


def shot(page: Page, name: str) -> None:
    """Save a full-page screenshot as a test artifact."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


GONE = "已检查的文件不存在或已过期"  # a kept upload's token refused (kept_uploads)


def kept_token(text: str, form: str, name: str, apply: str = "") -> str:
    """Return the kept upload's token of a checked form's page (``text``, unescaped), seeing
    the form say so: its note, 导入 naming the file (``apply``: what the button adds), its
    file input (``#{form}-file``) no longer required."""
    assert 'id="checked-file"' in text and f"导入 {name}{apply} Import" in text
    required = rf'<input type="file" name="file" id="{form}-file"[^>]*required'
    assert re.search(required, text) is None
    found = re.search(r'name="checked" value="([A-Za-z0-9_-]+)"', text)
    assert found is not None
    return found[1]


def post_unchosen(client: httpx.Client, url: str, csrf: str, **data: str) -> httpx.Response:
    """Send an upload form with no file chosen (as the browser does after a check)."""
    return client.post(url, data={"csrf_token": csrf, **data},
                       files={"file": ("", b"", "application/octet-stream")})  # fmt: skip


def check_kept(page: Page, form: str, path: Path) -> None:
    """Choose ``path`` in a form with a kept upload (``form``: its ids' prefix, as
    ``routing-import``), click 检查, and see the checked file kept: the note says it need not
    be chosen again, and the new page's file input is empty."""
    page.set_input_files(f"#{form}-file", str(path))
    page.click(f"#{form}-check")
    expect(page.locator("#checked-file")).to_contain_text("不必重新选择文件")
    expect(page.locator(f"#{form}-file")).to_have_value("")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, without background networking."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def offline() -> Offline:
    """The recorder of non-loopback requests."""
    return Offline()


@pytest.fixture
def context(browser: Browser, live_server: str, offline: Offline) -> Iterator[BrowserContext]:
    """A fresh browser profile on the running server, with outside requests blocked."""
    ctx = browser.new_context(
        base_url=live_server, locale="zh-CN", viewport={"width": 1280, "height": 900}
    )
    ctx.set_default_timeout(TIMEOUT_MS)
    ctx.set_default_navigation_timeout(TIMEOUT_MS)
    ctx.route("**/*", offline)
    yield ctx
    ctx.close()
    assert offline.attempts == [], f"requests left the machine: {offline.attempts}"


@pytest.fixture
def page(context: BrowserContext) -> Page:
    """A page of the fresh profile."""
    return context.new_page()
