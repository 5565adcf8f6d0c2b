"""What every console page shares: error pages, templates, role-aware navigation, role checks.

Console routes use :class:`ConsoleRoute`, which turns an expected error (a
:class:`~zhengwu.errors.ZhengwuError`, a bad query parameter) into an HTML page with the
error's status code and its Chinese and English message, after rolling back the request's
session — the unit of work must not commit half of a refused action. A visitor who is not
logged in is sent to the login page instead of being shown a 403.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Coroutine
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup
from sqlalchemy.orm import Session

from zhengwu import regions
from zhengwu.auth.models import ROLE_LABELS
from zhengwu.auth.principal import PUBLIC, Principal
from zhengwu.errors import ForbiddenError, InvalidInputError, ZhengwuError
from zhengwu.rescue.labels import urgency_reason
from zhengwu.servicedesk.workflow import ACTION_LABELS
from zhengwu.web import branding
from zhengwu.web.app import validation_error
from zhengwu.web.deps import DB, CsrfToken, CurrentPrincipal, require_csrf
from zhengwu.web.gate import GatedRoute
from zhengwu.web.localtime import CHINA as CHINA  # re-exported: console pages read it here
from zhengwu.web.localtime import local_time

# (key, label, path, roles allowed; admin passes every check)
NAV: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("matrix", "矩阵概览", "/console/matrix", ("matrix_office",)),
    ("accounts", "账号", "/console/accounts", ("matrix_office", "operator")),
    ("organizations", "机构", "/console/organizations", ("matrix_office", "operator")),
    ("rankings", "排行榜", "/console/rankings", ("matrix_office", "operator")),
    ("reports", "报告", "/console/reports", ("matrix_office", "operator")),
    ("topics", "话题热搜", "/console/topics", ("matrix_office", "operator")),
    (
        "map",
        "地图",
        "/console/map",
        ("matrix_office", "operator", "handler", "dispatcher", "verifier", "team"),
    ),
    ("desk", "诉求办理", "/console/desk", ("matrix_office", "handler", "operator")),
    ("rescue", "救援调度", "/console/rescue", ("dispatcher", "verifier", "team")),
    ("library", "内容库", "/console/library", ("matrix_office", "operator")),
    # Accounts for every console role; requests, content and posts by each kind's own rule
    # (zhengwu.search.access), as /api/search does.
    (
        "search",
        "搜索",
        "/console/search",
        ("matrix_office", "operator", "handler", "dispatcher", "verifier", "team"),
    ),
    ("settings", "设置", "/console/settings", ("matrix_office", "handler", "operator")),
)
AREA_ROLES = {key: roles for key, _, _, roles in NAV}
# The navigation's labels on a page read in English (``?lang=en``: the index pages). Only the
# areas in ENGLISH_AREAS have English pages: their links keep ``lang=en``; the others open
# in Chinese, as they are.
NAV_EN = {
    "matrix": "Matrix overview", "accounts": "Accounts", "organizations": "Organisations",
    "rankings": "Rankings", "reports": "Reports", "topics": "Trending topics", "map": "Map",
    "desk": "Service desk", "rescue": "Rescue dispatch", "library": "Content library",
    "search": "Search", "settings": "Settings",
}  # fmt: skip
ENGLISH_AREAS = frozenset({"rankings"})
ROLE_LABELS_EN = {
    "admin": "administrator", "matrix_office": "matrix office", "operator": "account operator",
    "handler": "handler", "dispatcher": "rescue dispatcher", "verifier": "verifier",
    "team": "rescue team member", "public": "public",
}  # fmt: skip


# What a ``?done=`` after a redirect may announce (anything else is ignored, so a crafted
# link cannot make the console say something it did not do).
FLASH_LABELS: dict[str, str] = {
    **{f"desk-{action}": f"已执行：{label}" for action, label in ACTION_LABELS.items()},
    "rescue-verify": "已记录核实结果",
    "rescue-assign": "已派出队伍",
    "rescue-release": "已撤回队伍",
    "rescue-arrive": "已记录到达现场",
    "rescue-fulfil": "已记录救出人数",
    "rescue-resolve": "已结束求助并排队发布公告",
    "rescue-incident-created": "灾情已创建",
    "rescue-incident-updated": "灾情已保存",
    "rescue-incident-closed": "灾情已结束",
    "rescue-team-created": "救援队伍已创建",
    "rescue-team-updated": "救援队伍已保存",
    "rescue-team-deactivated": "救援队伍已停用，不再出现在派遣列表中",
    "rescue-team-reactivated": "救援队伍已重新启用",
    "routing-added": "路由规则已添加，路由表生成新版本",
    "routing-retired": "路由规则已停用，路由表生成新版本",
    "system-saved": "指标体系已保存",
    "category-saved": "分类已保存",
    "matrix-created": "矩阵已创建",
    "matrix-updated": "矩阵已保存",
    "matrix-deleted": "矩阵已删除",
    "member-added": "已添加成员",
    "member-already": "该账号已是本矩阵成员，未重复添加",
    "member-removed": "已移除成员",
    "organization-phones-saved": "公开电话已保存；已存诉求文本中的号码由后台任务 published-numbers 随后更新",
    "organization-phones-unchanged": "公开电话没有变化，未保存",
}


class LoginRequired(ForbiddenError):
    """A console page was asked for without a login."""


def require(principal: Principal, area: str) -> None:
    """Refuse ``principal`` unless its role may use console ``area`` (403; login first)."""
    if not principal.is_authenticated:
        raise LoginRequired("请先登录", "please log in")
    roles = AREA_ROLES[area]
    if not principal.has_role(*roles):
        raise ForbiddenError(
            f"当前角色「{ROLE_LABELS.get(principal.role, principal.role)}」无权访问此页面",
            f"role {principal.role!r} may not open this page",
        )


def _remember_db(request: Request, db: DB) -> Session:
    request.state.console_db = db
    return db


def _remember_viewer(request: Request, principal: CurrentPrincipal) -> Principal:
    request.state.console_principal = principal
    return principal


def _remember_writer(request: Request, principal: CurrentPrincipal, token: CsrfToken) -> Principal:
    request.state.console_principal = principal  # the refusal page still shows the navigation
    return require_csrf(request, principal, token)


ConsoleDB = Annotated[Session, Depends(_remember_db)]
Viewer = Annotated[Principal, Depends(_remember_viewer)]
Writer = Annotated[Principal, Depends(_remember_writer)]


EXPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def file_download(write: Callable[[Path], object], fmt: str, *, stem: str, name: str) -> Response:
    """Return the file ``write`` makes (in a temporary folder) as a download of format
    ``fmt`` (csv or xlsx): ``stem.fmt`` for old clients, the Chinese ``name`` (RFC 5987)
    for the others."""
    with tempfile.TemporaryDirectory(prefix=f"zhengwu-{stem}-") as folder:
        path = Path(folder) / f"{stem}.{fmt}"
        write(path)
        body = path.read_bytes()
    disposition = f"attachment; filename=\"{stem}.{fmt}\"; filename*=UTF-8''{quote(name)}"
    return Response(body, media_type=EXPORT_TYPES[fmt],
                    headers={"Content-Disposition": disposition})  # fmt: skip


def fmt_dt(value: datetime | None) -> str:
    """Return a timestamp as China time ``YYYY-MM-DD HH:MM`` ("—" for None)."""
    return local_time(value)


def fmt_date(value: date | datetime | None) -> str:
    """Return a date as ``YYYY-MM-DD`` ("—" for None)."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return local_time(value, "%Y-%m-%d")
    return value.isoformat()


def fmt_pct(value: float | None) -> str:
    """Return a 0–1 rate as a percentage ("—" when there is no denominator)."""
    return "—" if value is None else f"{value * 100:.1f}%"


def fmt_num(value: float | None, digits: int = 2) -> str:
    """Return a number with ``digits`` decimals ("—" for None)."""
    if value is None:
        return "—"
    if isinstance(value, int):
        return str(value)
    return f"{value:.{digits}f}"


def region_name(code: str | None) -> str:
    """Return the name of a division code ("—" when unknown)."""
    division = regions.get(code) if code else None
    return division.name if division else "—"


# Stored codes shown in Chinese (the code itself when a label is missing).
PLATFORM_NAMES = {
    "weibo": "微博",
    "wechat": "微信",
    "douyin": "抖音",
    "all": "跨平台",
    "phone": "电话/人工",
}  # rescue: a request entered by hand
ACCOUNT_STATUS_LABELS = {"active": "正常", "closed": "已关闭"}
OUTBOX_STATE_LABELS = {"queued": "待发送", "delivered": "已发送", "failed": "发送失败"}
OUTBOX_KIND_LABELS = {"first_response": "首次回复", "progress": "进展答复", "closing": "办结答复",
                      "rescue_notice": "救援通知", "distribution": "内容分发"}  # fmt: skip
SOURCE_KIND_LABELS = {"original": "原帖", "repost": "转发", "copy": "抄送"}
CLASSIFIED_BY_LABELS = {"citizen": "市民选择", "rules": "规则分类", "model": "模型分类",
                        "staff": "人工分类"}  # fmt: skip


def _labelled(labels: dict[str, str]) -> Callable[[str | None], str]:
    """Return a filter that shows a code by its label ("—" for none)."""

    def label(code: str | None) -> str:
        return "—" if code is None else labels.get(code, code)

    return label


templates = Environment(
    loader=PackageLoader("zhengwu.web.console", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
templates.filters.update(
    dt=fmt_dt, date=fmt_date, pct=fmt_pct, num=fmt_num, local=local_time,
    platform=_labelled(PLATFORM_NAMES), account_status=_labelled(ACCOUNT_STATUS_LABELS),
    outbox_state=_labelled(OUTBOX_STATE_LABELS), outbox_kind=_labelled(OUTBOX_KIND_LABELS),
    source_kind=_labelled(SOURCE_KIND_LABELS), classified_by=_labelled(CLASSIFIED_BY_LABELS),
    urgency_reason=urgency_reason, role=_labelled(ROLE_LABELS),
)  # fmt: skip


@pass_context
def _say(context: Context, zh: str, en: str) -> str:
    """``t('中文', 'English')`` in a template: the page's language (``lang``, Chinese unless
    the page was asked for English, as the index pages can be with ``?lang=en``)."""
    return en if context.get("lang") == "en" else zh


templates.globals.update(
    role_labels=ROLE_LABELS, role_labels_en=ROLE_LABELS_EN, svg=Markup, region_name=region_name,
    t=_say,
)  # fmt: skip
branding.install(templates)


def lang_switch(request: Request, lang: str) -> str:
    """Return this page's address in the other language (every other parameter kept): with
    ``lang=en`` added, or without it (Chinese, the default) when the page is English."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    if lang != "en":
        params.append(("lang", "en"))
    return request.url.path + (f"?{urlencode(params)}" if params else "")


def nav_for(principal: Principal, lang: str = "zh") -> list[dict[str, str]]:
    """Return the navigation entries ``principal`` may open, labelled in ``lang`` (``en``:
    English labels, and ``lang=en`` kept on the links to the pages that read English)."""
    if not principal.is_authenticated:
        return []
    en = lang == "en"
    return [
        {
            "key": key,
            "label": NAV_EN[key] if en else label,
            "href": f"{href}?lang=en" if en and key in ENGLISH_AREAS else href,
        }
        for key, label, href, roles in NAV
        if principal.has_role(*roles)
    ]


def render(
    request: Request,
    template: str,
    *,
    principal: Principal | None = None,
    status_code: int = 200,
    area: str | None = None,
    **context: Any,
) -> HTMLResponse:
    """Render a console template with the viewer, its navigation and the flash message."""
    viewer = principal or getattr(request.state, "console_principal", None) or PUBLIC
    page = templates.get_template(template).render(
        principal=viewer, nav=nav_for(viewer, context.get("lang", "zh")), area=area,
        path=request.url.path,
        flash=FLASH_LABELS.get(request.query_params.get("done", "")), **context,
    )  # fmt: skip
    return HTMLResponse(
        page,
        status_code=status_code,
        headers={
            # Pages carry personal data: never cache them, never frame them.
            "Cache-Control": "no-store",
            "X-Frame-Options": "DENY",
            "Referrer-Policy": "same-origin",
        },
    )


# Pages citizens reach from a post or a shared link: their errors wear the public look.
PUBLIC_PATHS = ("/board/", "/rankings")


def error_page(request: Request, exc: ZhengwuError) -> HTMLResponse:
    """Render ``exc`` as an HTML page with its status and bilingual message.

    Under a public page's address (a board, a citizen's link, the rankings) a visitor who is
    not logged in gets the public look — the deployment's name, a way back to the public
    board — not the staff console's navigation and 登录 button. An API route's refusal shown
    to a browser names the caller its dependency resolved (``request.state.principal``): a
    logged-in user is not offered 登录.
    """
    state = request.state
    viewer = (
        getattr(state, "console_principal", None) or getattr(state, "principal", None) or PUBLIC
    )
    public = request.url.path.startswith(PUBLIC_PATHS) and not viewer.is_authenticated
    return render(
        request, "public_error.html" if public else "error.html", status_code=exc.status_code,
        principal=viewer, error=exc,
        title={400: "请求有误", 403: "无权访问", 404: "页面不存在", 409: "操作冲突", 422: "输入有误",
               429: "操作过于频繁", 500: "服务器内部错误", 503: "暂时无法访问"}.get(exc.status_code, "出错了"),
    )  # fmt: skip


def login_redirect(request: Request) -> RedirectResponse:
    """Send the visitor to the login page, coming back here afterwards."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)


class ConsoleRoute(GatedRoute):
    """A route whose expected errors become HTML pages (and whose session rolls back).

    An upload's permission check (:func:`zhengwu.web.gate.before_body`) runs before its
    body is read; its refusal becomes an HTML page like any other.
    """

    def remember(self, request: Request, principal: Principal) -> None:
        """Keep the caller for the refusal page's navigation, as :data:`Writer` does."""
        super().remember(request, principal)
        request.state.console_principal = principal

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Wrap the FastAPI handler: ZhengwuError → error page, no login → login page."""
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except (ZhengwuError, RequestValidationError) as exc:
                db: Session | None = getattr(request.state, "console_db", None)
                if db is not None:
                    # The dependency closes the session afterwards and commits what is left:
                    # nothing, once this rollback has dropped the refused action's changes.
                    await run_in_threadpool(db.rollback)
                if isinstance(exc, LoginRequired) and request.method in ("GET", "HEAD"):
                    return login_redirect(request)
                error = exc if isinstance(exc, ZhengwuError) else validation_error(exc)
                return error_page(request, error)

        return handle


def int_or_none(value: str | None) -> int | None:
    """Return a form field as an int, None when empty; 422 when it is not a number."""
    if value is None or not value.strip():
        return None
    try:
        return int(value.strip())
    except ValueError:
        raise InvalidInputError(f"应为整数：{value}", f"not an integer: {value}") from None


class Pager:
    """One page of a long list: which rows to show and the links to the pages around it.

    ``params`` are the page's other query parameters (search, filters); the links keep
    them, so paging a filtered list stays filtered (the other lists' offsets too, when
    a page has several, each with its own ``key``). ``key`` names the offset parameter
    (a page with two paged lists gives each its own). ``anchor`` is appended to the links
    so the browser returns to the list, not to the top of a long page.
    """

    def __init__(
        self, *, total: int, offset: int, size: int, params: dict[str, Any] | None = None,
        key: str = "offset", anchor: str = "", path: str = "",
    ) -> None:  # fmt: skip
        self.total = total
        self.size = size
        # An offset past the end (a stale link after removals) shows the last page.
        last = max(total - 1, 0) // size * size
        self.offset = min(max(offset, 0), last)
        self.key = key
        self.params = {k: v for k, v in (params or {}).items() if v not in (None, "")}
        self.anchor = f"#{anchor}" if anchor else ""
        self.path = path  # "" keeps the current path; a page re-rendered by a POST needs its own

    @property
    def first(self) -> int:
        """Return the 1-based number of the first row shown (0 when there is none)."""
        return self.offset + 1 if self.total else 0

    @property
    def last(self) -> int:
        """Return the 1-based number of the last row shown."""
        return min(self.offset + self.size, self.total)

    def rows(self, items: list[Any]) -> list[Any]:
        """Return the rows of ``items`` (the whole list) on this page."""
        return items[self.offset : self.offset + self.size]

    def _link(self, offset: int) -> str:
        params = self.params | ({self.key: offset} if offset else {})
        return f"{self.path}?{urlencode(params)}{self.anchor}"

    @property
    def prev_link(self) -> str | None:
        """Return the link to the previous page, or None on the first."""
        return self._link(max(self.offset - self.size, 0)) if self.offset else None

    @property
    def next_link(self) -> str | None:
        """Return the link to the next page, or None on the last."""
        return self._link(self.offset + self.size) if self.last < self.total else None
