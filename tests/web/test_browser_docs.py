"""The API documentation (/docs) renders offline, from the installed package's files."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from .conftest import Offline, shot

pytestmark = pytest.mark.browser


def test_swagger_ui_renders_the_operations_without_internet(page: Page, offline: Offline) -> None:
    errors: list[str] = []

    def keep(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", keep)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto("/docs")
    operation = page.locator(".opblock-summary-path", has_text="/api/requests").first
    expect(operation).to_be_visible(timeout=60_000)  # the whole schema is parsed first
    shot(page, "60-api-docs-offline")
    assert offline.attempts == []
    assert errors == []


def test_docs_name_no_outside_host_and_redoc_is_gone(live_server: str) -> None:
    with httpx.Client(base_url=live_server, timeout=60) as client:
        html = client.get("/docs").text
        assert "/docs-assets/swagger-ui-bundle.js" in html
        assert "http" not in html
        script = client.get("/docs-assets/swagger-ui-bundle.js")
        assert script.status_code == 200
        assert "SwaggerUIBundle" in script.text
        assert client.get("/redoc").status_code == 404
