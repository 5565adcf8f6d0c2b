"""The router's own errors over real HTTP: an unknown address (404) or a wrong method (405)
under /api/ gets the bilingual JSON error body; a browser asking a page gets the HTML error
page."""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DataError

from zhengwu.web.app import create_app
from zhengwu.web.deps import DB

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def http(live_server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server, timeout=120) as client:
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


def test_an_api_refusal_in_a_browser_shows_who_is_logged_in(
    http: httpx.Client, committed_engine: Engine
) -> None:
    """A verifier opening the volunteers' sheet's address (dispatchers only) gets the 403 page
    with their name, role and 退出 in the header, not the 登录 link of a visitor."""
    from sqlalchemy.orm import Session

    from zhengwu.auth import service as auth_service

    from .test_console_world import login

    with Session(committed_engine) as session:
        auth_service.create_user(session, username="e_verifier", password="password-123",
                                 role="verifier", display_name="核实员钱")  # fmt: skip
        session.commit()
    login(http, "e_verifier", "password-123")
    page = http.get("/api/rescue/incidents/1/export.csv",
                    headers={"Accept": "text/html,application/xhtml+xml"})  # fmt: skip
    assert page.status_code == 403 and page.headers["content-type"].startswith("text/html")
    assert "403 · 无权访问" in page.text
    header = page.text.split("</header>")[0]
    assert "核实员钱" in header and "退出" in header, header
    assert 'href="/login"' not in page.text


def _bilingual(r: httpx.Response, status: int, error: str) -> tuple[str, str]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert (body["error"], body["status"]) == (error, status)
    assert CJK.search(body["message_zh"]) and not CJK.search(body["message_en"]), body
    return body["message_zh"], body["message_en"]


def test_a_body_the_framework_cannot_parse_is_a_bilingual_400(http: httpx.Client) -> None:
    # Starlette's own words ("Missing boundary in multipart.") reached API clients as they
    # were, under the English-only "HTTPException"; now in both languages.
    def post(content_type: str, body: bytes, path: str = "/api/rescue/incidents") -> httpx.Response:
        return http.post(path, content=body, headers={"Content-Type": content_type})

    assert _bilingual(post("multipart/form-data", b"x"), 400, "BadRequestError") == (
        "表单（multipart）缺少分隔符 boundary",
        "bad request: missing boundary in multipart",
    )
    assert _bilingual(post("multipart/form-data; boundary=zz", b"garbage"), 400,
                      "BadRequestError") == (
        "表单（multipart）格式错误，无法解析", "bad request: invalid multipart data",
    )  # fmt: skip
    many = (
        b"".join(
            b'--zz\r\nContent-Disposition: form-data; name="f%d"\r\n\r\nv\r\n' % i
            for i in range(1001)
        )
        + b"--zz--\r\n"
    )
    zh, en = _bilingual(post("multipart/form-data; boundary=zz", many, "/api/requests"), 400,
                        "BadRequestError")  # fmt: skip
    assert (zh, en) == ("表单字段过多：最多 1000 个",
                        "bad request: too many fields. Maximum number of fields is 1000")  # fmt: skip


def test_a_browser_sees_the_pages_own_error_page_for_an_unparsable_body(
    http: httpx.Client,
) -> None:
    broken = {"Content-Type": "multipart/form-data; boundary=zz", "Accept": "text/html"}
    public = http.post("/board/requests", content=b"garbage", headers=broken)
    assert public.status_code == 400 and public.headers["content-type"].startswith("text/html")
    assert 'id="public-error"' in public.text and "400 · 请求有误" in public.text
    assert "表单（multipart）格式错误，无法解析" in public.text
    assert "bad request: invalid multipart data" in public.text
    console = http.post("/console/rescue/teams", content=b"garbage", headers=broken)
    assert console.status_code == 400 and 'id="public-error"' not in console.text
    assert "表单（multipart）格式错误，无法解析" in console.text


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def errors(self, expected: int) -> list[type[BaseException] | None]:
        """Return the logged exceptions' types once ``expected`` are in (the server logs
        an exception after the response it answered it with is sent)."""
        deadline = time.monotonic() + 10
        while len(self.records) < expected and time.monotonic() < deadline:
            time.sleep(0.02)
        return [rec.exc_info[0] if rec.exc_info else None for rec in self.records]


@pytest.fixture
def buggy(
    committed_engine: Engine, serve: Callable[[Any], AbstractContextManager[str]]
) -> Iterator[tuple[httpx.Client, _Records]]:
    """The real app with three routes of a bug's shape, and the server's error log."""
    app = create_app(committed_engine)

    @app.get("/bug/overflow")
    def overflow() -> float:
        return math.exp(1000)  # a computation gone wrong, nothing the client sent

    @app.get("/bug/division")
    def division(db: DB) -> object:
        return db.execute(text("SELECT 1 / 0")).scalar()  # PostgreSQL: DataError 22012

    @app.get("/bug/stored-int")
    def stored_int(db: DB) -> object:  # the value a request could carry, beyond any column
        return db.execute(text("SELECT CAST(:n AS INTEGER)"), {"n": 2**70}).scalar()

    records = _Records()
    server_log = logging.getLogger("uvicorn.error")
    # A new connection per request: the server closes one whose request raised.
    fresh = httpx.Limits(max_keepalive_connections=0)
    with serve(app) as url, httpx.Client(base_url=url, timeout=30, limits=fresh) as client:
        server_log.addHandler(records)  # once uvicorn has configured its loggers
        try:
            yield client, records
        finally:
            server_log.removeHandler(records)


def test_an_overflow_or_data_error_of_a_bug_is_a_logged_500(
    buggy: tuple[httpx.Client, _Records], committed_engine: Engine
) -> None:
    client, log = buggy
    r = client.get("/bug/overflow")
    zh, en = _bilingual(r, 500, "ServerError")
    assert zh.startswith("服务器内部错误") and en.startswith("internal server error")
    assert "Traceback" not in r.text and "math" not in r.text
    assert log.errors(1) == [OverflowError]
    page = client.get("/bug/overflow", headers={"Accept": "text/html"})
    assert page.status_code == 500 and "服务器内部错误" in page.text and "<html" in page.text
    assert log.errors(2) == [OverflowError, OverflowError]
    log.records.clear()
    division = client.get("/bug/division")
    if committed_engine.dialect.name == "postgresql":
        _bilingual(division, 500, "ServerError")
        assert log.errors(1) == [DataError]
    else:  # SQLite's division by zero is NULL, no error at all
        assert (division.status_code, division.json()) == (200, None)
        assert log.records == []


def test_a_value_the_database_cannot_store_is_still_the_clients_422(
    buggy: tuple[httpx.Client, _Records],
) -> None:
    client, log = buggy
    zh, _ = _bilingual(client.get("/bug/stored-int"), 422, "InvalidInputError")
    assert zh.startswith("请求中的数字超出范围"), zh
    assert log.records == []
