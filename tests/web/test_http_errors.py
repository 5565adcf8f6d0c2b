"""The router's own errors over real HTTP: an unknown address (404) or a wrong method (405)
under /api/ gets the bilingual JSON error body; a browser asking a page gets the HTML error
page."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest


@pytest.fixture
def http(live_server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server, timeout=30) as client:
        yield client


def test_an_unknown_api_address_is_a_bilingual_json_404(http: httpx.Client) -> None:
    for accept in ("application/json", "text/html,application/xhtml+xml", "*/*"):
        r = http.get("/api/no-such-thing", headers={"Accept": accept})
        assert r.status_code == 404, accept
        assert r.headers["content-type"].startswith("application/json"), accept
        body = r.json()
        assert body["error"] == "NotFoundError" and body["status"] == 404
        assert body["message_zh"] == "地址不存在：/api/no-such-thing"
        assert body["message_en"] == "no such address: /api/no-such-thing"
        assert "detail" not in body


def test_a_wrong_method_on_the_api_is_a_bilingual_json_405(http: httpx.Client) -> None:
    r = http.delete("/api/desk/rates", params={"period": "2025-07"})
    assert r.status_code == 405
    assert r.headers["allow"] == "GET"
    body = r.json()
    assert body["error"] == "MethodNotAllowedError" and body["status"] == 405
    assert body["message_zh"] == "/api/desk/rates 不支持 DELETE 请求（可用：GET）"
    assert body["message_en"] == "DELETE is not allowed on /api/desk/rates (allowed: GET)"


def test_pages_keep_the_html_error_page(http: httpx.Client) -> None:
    html = {"Accept": "text/html,application/xhtml+xml"}
    page = http.get("/no-such-page", headers=html)
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "地址不存在：/no-such-page" in page.text and "<html" in page.text.lower()
    wrong = http.request("PUT", "/healthz", headers=html)
    assert wrong.status_code == 405 and wrong.headers["content-type"].startswith("text/html")
    assert "不支持 PUT 请求" in wrong.text
    # A client that does not ask for HTML gets the same bilingual JSON outside /api/ too.
    assert http.get("/no-such-page").json()["message_en"] == "no such address: /no-such-page"


def test_a_public_pages_error_wears_the_public_look(http: httpx.Client) -> None:
    """A citizen following a stale link from a post sees the public page's look, not the
    staff console's navigation and its 登录 button; console addresses keep the console's."""
    html = {"Accept": "text/html,application/xhtml+xml"}
    for path in ("/board/rescue/987654", "/board/requests/SR000000NOPE"):
        page = http.get(path, headers=html)
        assert page.status_code == 404, path
        assert 'id="public-error"' in page.text, path
        assert 'href="/login"' not in page.text and "main-nav" not in page.text, path
        assert 'href="/board/requests"' in page.text
        assert "404 · 页面不存在" in page.text
    console = http.get("/console/rescue/987654", headers=html, follow_redirects=False)
    assert 'id="public-error"' not in console.text
