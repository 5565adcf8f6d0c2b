"""Build the FastAPI application: API routers, console, public pages, Open311."""

from __future__ import annotations

import importlib
import logging
import re
from http import HTTPStatus

import duckdb
from fastapi import Depends, FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi_offline import FastAPIOffline
from sqlalchemy import Engine
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from zhengwu import __version__
from zhengwu.auth.principal import PUBLIC
from zhengwu.config import get_settings
from zhengwu.db.engine import get_engine, session_factory
from zhengwu.db.models import configure_models
from zhengwu.db.restore import refuse_pending
from zhengwu.errors import (
    BadRequestError,
    BusyError,
    InvalidInputError,
    MethodNotAllowedError,
    NotFoundError,
    RequestStatusError,
    ServerError,
    StoreMemoryError,
    ZhengwuError,
)
from zhengwu.storable import MAX_STORED_INT
from zhengwu.validation_text import message_en, message_zh
from zhengwu.web.bodylimit import BodyLimit, request_limit
from zhengwu.web.textcheck import refuse_nul_text

log = logging.getLogger(__name__)
DOCS_ASSETS = "/docs-assets"  # Swagger UI files, from the installed package

# Routers of the domains, mounted when their module exists; each module exposes `router`.
ROUTERS = (
    "zhengwu.web.auth_views",
    "zhengwu.auth.views",
    "zhengwu.accounts.views",
    "zhengwu.index.views",
    "zhengwu.servicedesk.views",
    "zhengwu.servicedesk.open311.views",
    "zhengwu.rescue.views",
    "zhengwu.content.views",
    "zhengwu.library.views",
    "zhengwu.search.views",
    "zhengwu.web.console",
    "zhengwu.web.public",
    "zhengwu.web.branding",
)


def create_app(engine: Engine | None = None) -> FastAPI:
    """Create the app bound to ``engine`` (default: the configured operational DB)."""
    configure_models()  # every mapper ready before the first request (or a worker thread)
    # /docs loads Swagger UI from the fastapi-offline package, served under DOCS_ASSETS,
    # never from a CDN: the server may run without internet access. No /redoc: ReDoc's
    # page always fetches its vendor's logo from the internet.
    app = FastAPIOffline(
        redoc_url=None,
        static_url=DOCS_ASSETS,
        title="zhengwu 政务新媒体开放平台",
        version=__version__,
        description="JSON API of zhengwu: accounts and matrices, influence index, service desk "
        "(诉求办理), emergency help (应急求助). Open311 GeoReport v2 lives under /open311/v2/.",
    )
    app.add_middleware(BodyLimit, limit=request_limit())  # 413 before a body is read
    app.state.engine = engine or get_engine()
    # A copied backup would revive the tokens and sessions revoked since it was taken.
    refuse_pending(app.state.engine)
    app.state.session_factory = session_factory(app.state.engine)

    @app.exception_handler(ZhengwuError)
    async def _zhengwu_error(request: Request, exc: ZhengwuError) -> Response:
        handler = getattr(request.app.state, "html_error_handler", None)
        response: Response
        if handler is not None and "text/html" in request.headers.get("accept", ""):
            response = handler(request, exc)
        else:
            response = JSONResponse(exc.to_dict(), status_code=exc.status_code)
        if isinstance(exc, BusyError):
            response.headers["Retry-After"] = "5"  # the store is written for a while
        return response

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        # The framework's own errors — the router's 404 and 405, a body it cannot parse
        # (400) …: the same bilingual body as every other error under /api/, the HTML error
        # page (console's or public) for a browser elsewhere.
        response = error_response(request, http_error(request, exc))
        response.headers.update(exc.headers or {})
        return response

    @app.exception_handler(Exception)
    async def _server_error(request: Request, exc: Exception) -> Response:
        # A bug (HTTP 500): the bilingual error shape instead of a bare "Internal Server
        # Error". Starlette raises the exception again once this answer is sent, so the
        # server logs its traceback as before.
        error = ServerError(
            "服务器内部错误，请稍后重试；若一再出现，请告知运维人员（时间与地址）。",
            "internal server error: try again later; if it keeps happening, tell the "
            "operators when and where it happened.",
        )
        return error_response(request, error)

    @app.exception_handler(duckdb.OutOfMemoryException)
    async def _out_of_memory(request: Request, exc: duckdb.OutOfMemoryException) -> Response:
        # A page or API call whose DuckDB query needed more than the analytics store's
        # memory limit: a bilingual 503 (HTML page, or the API's JSON error), not a bare 500.
        response = error_response(request, out_of_memory(request, exc))
        response.headers["Retry-After"] = str(MEMORY_RETRY_AFTER)
        return response

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def _unstorable(request: Request, exc: Exception) -> Response:
        # A value the request carried that the database cannot hold (an id beyond its
        # integers, a text longer than its column) or a date beyond the calendar: a
        # bilingual 422 and nothing written (the unit of work rolled back), not a bare 500.
        # Any other overflow or data error is a bug: raised again, a logged 500.
        if not is_unstorable_value(exc):
            raise exc
        return error_response(request, unstorable_value(request, exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(request: Request, exc: RequestValidationError) -> Response:
        # The same bilingual body as every other error, plus FastAPI's list of the fields
        # at fault (so a client can still point at each one).
        body = validation_error(exc).to_dict()
        body["fields"] = jsonable_encoder(
            [{"loc": e.get("loc"), "msg": e.get("msg"), "type": e.get("type")}
             for e in exc.errors()]
        )  # fmt: skip
        return JSONResponse(body, status_code=422)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        """Report that the server is up."""
        return {"status": "ok", "version": __version__}

    for module_name in ROUTERS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and module_name.startswith(exc.name):
                continue  # domain not installed in this build
            raise
        setup = getattr(module, "setup", None)
        if setup is not None:
            setup(app)
        # A NUL in the request is refused before the route's unit of work opens; a router
        # that answers in a format of its own (Open311) brings its own check.
        check = getattr(module, "TEXT_CHECK", refuse_nul_text)
        app.include_router(module.router, dependencies=[Depends(check)])
    return app


def error_response(request: Request, error: ZhengwuError) -> Response:
    """Answer ``error`` as the HTML error page for a browser outside /api/ (the console's,
    or the public look under a public address), else as the bilingual JSON error body."""
    handler = getattr(request.app.state, "html_error_handler", None)
    html = "text/html" in request.headers.get("accept", "")
    if handler is not None and html and not request.url.path.startswith("/api/"):
        page: Response = handler(request, error)
        return page
    return JSONResponse(error.to_dict(), status_code=error.status_code)


# Starlette's own words for a form body it cannot parse, in Chinese ({n}: its number).
_MULTIPART_ZH = (
    (re.compile(r"Missing boundary in multipart"), "表单（multipart）缺少分隔符 boundary"),
    (re.compile(r"Invalid multipart data"), "表单（multipart）格式错误，无法解析"),
    (re.compile(r"Too many fields\. Maximum number of fields is (\d+)"), "表单字段过多：最多 {n} 个"),
    (re.compile(r"Too many files\. Maximum number of files is (\d+)"), "表单中的文件过多：最多 {n} 个"),
    (re.compile(r"(?:Field|Part) exceeded maximum size of (\d+)KB"), "表单中的一个字段超过 {n} KB"),
    (re.compile(r'header field "name" must be provided'), "表单（multipart）的一部分缺少字段名 name"),
    (re.compile(r"error parsing the body"), "请求体无法解析"),
)  # fmt: skip
_STATUS_ZH = {400: "请求无法解析", 401: "未授权", 413: "请求体过大", 415: "不支持的内容类型"}


def http_error(request: Request, exc: StarletteHTTPException) -> ZhengwuError:
    """Return an error the framework raised (the router's 404 and 405, an unreadable body's
    400 …) as a bilingual error."""
    path = request.url.path
    if exc.status_code == 404:
        return NotFoundError(f"地址不存在：{path}", f"no such address: {path}")
    if exc.status_code == 405:
        allowed = (exc.headers or {}).get("Allow", "")
        return MethodNotAllowedError(
            f"{path} 不支持 {request.method} 请求" + (f"（可用：{allowed}）" if allowed else ""),
            f"{request.method} is not allowed on {path}"
            + (f" (allowed: {allowed})" if allowed else ""),
        )
    status = exc.status_code
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = f"HTTP {status}"
    detail = str(exc.detail) if exc.detail and exc.detail != phrase else ""
    zh = _STATUS_ZH.get(status, f"请求无法处理（HTTP {status}）")
    for pattern, words in _MULTIPART_ZH:
        if found := pattern.search(detail):
            zh = words.format(n=found.group(1) if found.groups() else "")
            break
    en = (detail or phrase).rstrip(".")
    if status == 400:
        return BadRequestError(zh, f"bad request: {en[:1].lower()}{en[1:]}")
    return RequestStatusError(status, zh, en)


_VARCHAR = re.compile(r"character varying\((\d+)\)")


# PostgreSQL's data exceptions that mean "this value does not fit": a text longer than its
# column, a number beyond its column, a date beyond the calendar, a NUL in a text (which
# psycopg refuses before sending, with no SQLSTATE) or a \u0000 in JSON. Others of class 22
# — division by zero, an invalid text representation, a bad regular expression — come
# from a query the code got wrong: a bug, not the client's value.
UNSTORABLE_SQLSTATES = frozenset({"22001", "22003", "22008", "22021", "22P05"})
# Where an OverflowError means the database driver could not bind the value.
_DRIVER_MODULES = ("sqlalchemy.", "sqlite3", "psycopg")


def is_unstorable_value(exc: BaseException) -> bool:
    """Return whether ``exc`` is a value the database cannot store (or a date beyond the
    calendar), as opposed to a bug that happens to raise OverflowError or DataError.

    An :class:`OverflowError` counts when the database driver raised it binding a value
    (SQLite's "Python int too large to convert to SQLite INTEGER") or when date arithmetic
    left the calendar ("date value out of range", from a date the client sent); a
    :class:`DataError` when its SQLSTATE is one of :data:`UNSTORABLE_SQLSTATES`.
    """
    if isinstance(exc, DataError):
        orig = exc.orig
        sqlstate = getattr(orig, "sqlstate", None)
        return sqlstate in UNSTORABLE_SQLSTATES or (sqlstate is None and "0x00" in str(orig))
    if not isinstance(exc, OverflowError):
        return False
    if "date value out of range" in str(exc):
        return True
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    module = "" if tb is None else str(tb.tb_frame.f_globals.get("__name__", ""))
    return module.startswith(_DRIVER_MODULES)


def unstorable_value(request: Request, exc: BaseException) -> InvalidInputError:
    """Return the bilingual 422 for a request value the database could not store or compare.

    ``exc`` is one :func:`is_unstorable_value` accepts: Python's :class:`OverflowError`
    (SQLite's driver refuses an integer beyond 64 bits; a date beyond year 9999) or
    SQLAlchemy's :class:`DataError` (PostgreSQL's data exceptions: an integer beyond its
    column, a text longer than its column, a NUL character). The database's own message is logged (warning level) with the path, so
    the field at fault can be found and given a limit of its own in the API's schema.
    """
    orig = getattr(exc, "orig", exc)
    detail = str(orig).splitlines()[0] if str(orig) else type(orig).__name__
    log.warning("unstorable value on %s %s: %s", request.method, request.url.path, detail)
    sqlstate = getattr(orig, "sqlstate", None)
    too_long = _VARCHAR.search(detail)
    if sqlstate == "22001" and too_long:
        n = too_long.group(1)
        return InvalidInputError(
            f"请求中有一项文本过长：此项最多 {n} 个字",
            f"a text in the request is too long: this field takes at most {n} characters",
        )
    if "0x00" in detail or sqlstate == "22P05":  # a NUL byte, or a \\u0000 in JSON
        return InvalidInputError(
            "文本中不能含有空字符（NUL，\\u0000）", "text must not contain NUL characters (\\u0000)"
        )
    if (isinstance(orig, OverflowError) and "date" in detail) or sqlstate == "22008":
        return InvalidInputError(
            "请求中的日期超出可计算的范围（太早或太晚）",
            "a date in the request is too far in the past or the future to compute with",
        )
    if isinstance(orig, OverflowError) or sqlstate == "22003":
        return InvalidInputError(
            f"请求中的数字超出范围：编号、数量等整数最大为 {MAX_STORED_INT}",
            f"a number in the request is out of range: ids, counts and other whole numbers "
            f"go up to {MAX_STORED_INT}",
        )
    return InvalidInputError("请求中有一项取值无法保存", "a value in the request cannot be stored")


MEMORY_RETRY_AFTER = 30  # seconds: another moment may have the memory a page needs
_STAFF_PATHS = ("/console/", "/api/")  # under /api/public/ everyone is the public


def out_of_memory(request: Request, exc: BaseException) -> StoreMemoryError:
    """Log DuckDB running out of the analytics store's memory limit in a request, and
    return the error to answer it with.

    The log (error level) names ``ZHENGWU_ANALYTICS_MEMORY_LIMIT`` and its value, the path
    and DuckDB's first line. A logged-in user of the console or the API is told the same;
    the public (a public page or ``/api/public/``, anyone not logged in) only that the
    service is unavailable for now: the server's settings are not theirs to read.
    """
    limit = get_settings().analytics_memory_limit
    first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    path = request.url.path
    log.error(
        "analytics store out of memory on %s %s (ZHENGWU_ANALYTICS_MEMORY_LIMIT=%s): %s",
        request.method, path, limit, first,
    )  # fmt: skip
    principal = getattr(request.state, "principal", PUBLIC)
    staff = path.startswith(_STAFF_PATHS) and not path.startswith("/api/public/")
    if not (staff and principal.is_authenticated):
        return StoreMemoryError(
            "服务暂时不可用，请稍后再试。",
            "The service is temporarily unavailable; please try again later.",
        )
    return StoreMemoryError(
        f"分析库内存不足：本次查询超出了分析库的内存上限 ZHENGWU_ANALYTICS_MEMORY_LIMIT={limit}。"
        "请稍后重试；若一再出现，请运维人员调高该上限并重启服务。",
        f"The analytics store ran out of memory: this query needed more than its limit, "
        f"ZHENGWU_ANALYTICS_MEMORY_LIMIT={limit}. Try again shortly; if it keeps happening, "
        "ask the operators to raise the limit and restart the server.",
    )


def validation_error(exc: RequestValidationError) -> InvalidInputError:
    """Return a request that failed validation as one bilingual error naming its fields."""
    errors = list(exc.errors()) or [{"loc": (), "msg": "invalid"}]
    parts_zh: list[str] = []
    parts_en: list[str] = []
    for error in errors[:5]:
        loc = error.get("loc", ())
        where = ".".join(str(p) for p in loc if p not in ("query", "body", "path", "form")) or "-"
        parts_zh.append(f"{where}：{message_zh(error)}")
        parts_en.append(f"{where}: {message_en(error)}")
    if len(errors) > 5:
        parts_zh.append(f"另有 {len(errors) - 5} 处")
        parts_en.append(f"{len(errors) - 5} more")
    return InvalidInputError(
        "请求参数无效 — " + "；".join(parts_zh), "invalid request — " + "; ".join(parts_en)
    )
