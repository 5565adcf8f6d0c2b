"""设置: indicator systems, the category tree (deadlines editable by the admin), routing table.

These are data, not code (CONVENTIONS 5): the pages show what is in force, and the
category form edits deadlines through the category service, which versions and audits
every change. Validation errors come back next to their field with status 422.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from zhengwu.accounts.models import Organization
from zhengwu.errors import ZhengwuError
from zhengwu.index.metrics import METRICS
from zhengwu.index.system import available_systems, load_system
from zhengwu.servicedesk.category import service as category_service
from zhengwu.servicedesk.category.models import CategoryUpdate
from zhengwu.servicedesk.routing import service as routing_service
from zhengwu.web.console.base import ConsoleDB, ConsoleRoute, Viewer, Writer, render, require

router = APIRouter(prefix="/console/settings", route_class=ConsoleRoute, include_in_schema=False)
EDITABLE = ("name", "response_days", "resolve_days")
FIELD_LABELS = {"name": "名称", "response_days": "受理时限（工作日）",
                "resolve_days": "办结时限（工作日）"}  # fmt: skip


@router.get("", response_class=HTMLResponse)
def settings_home(request: Request, principal: Viewer) -> HTMLResponse:
    """List the settings pages."""
    require(principal, "settings")
    return render(request, "settings_home.html", area="settings")


@router.get("/systems", response_class=HTMLResponse)
def systems(request: Request, principal: Viewer) -> HTMLResponse:
    """List the indicator systems (指标体系) shipped and installed."""
    require(principal, "settings")
    rows: list[dict[str, Any]] = []
    for name, path in available_systems().items():
        try:
            system = load_system(name)
        except ZhengwuError as exc:
            rows.append({"name": name, "path": path, "error": exc})
            continue
        rows.append({"name": name, "path": path, "system": system, "error": None})
    return render(request, "settings_systems.html", area="settings", rows=rows)


@router.get("/systems/{name}", response_class=HTMLResponse)
def system_page(request: Request, principal: Viewer, name: str) -> HTMLResponse:
    """Show one indicator system: dimensions, indicators, weights, normalisation."""
    require(principal, "settings")
    system = load_system(name)
    return render(request, "settings_system.html", area="settings", system=system,
                  metrics=METRICS)  # fmt: skip


@router.get("/categories", response_class=HTMLResponse)
def categories(request: Request, db: ConsoleDB, principal: Viewer) -> HTMLResponse:
    """Show the category tree (诉求分类) with deadlines and keywords."""
    require(principal, "settings")
    tree = category_service.get_tree(db, include_inactive=True)
    depth: dict[str, int] = {}
    for c in tree:
        depth[c.code] = depth.get(c.parent_code or "", -1) + 1 if c.parent_code else 0
    return render(request, "settings_categories.html", area="settings", tree=tree, depth=depth,
                  may_edit=principal.has_role("admin"))  # fmt: skip


def _edit_form(
    request: Request, category: Any, *, values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None, may_edit: bool, status_code: int = 200,
) -> HTMLResponse:  # fmt: skip
    shown = values or {f: str(getattr(category, f)) for f in EDITABLE}
    return render(
        request, "settings_category_edit.html", area="settings", category=category,
        values=shown, errors=errors or {}, labels=FIELD_LABELS, may_edit=may_edit,
        status_code=status_code,
    )  # fmt: skip


@router.get("/categories/{code}", response_class=HTMLResponse)
def category_form(request: Request, db: ConsoleDB, principal: Viewer, code: str) -> HTMLResponse:
    """Show a category's edit form (read-only unless you are the admin)."""
    require(principal, "settings")
    category = category_service.get(db, code)
    return _edit_form(request, category, may_edit=principal.has_role("admin"))


@router.post("/categories/{code}", response_class=HTMLResponse)
def category_save(
    request: Request,
    db: ConsoleDB,
    principal: Writer,
    code: str,
    name: Annotated[str, Form()] = "",
    response_days: Annotated[str, Form()] = "",
    resolve_days: Annotated[str, Form()] = "",
) -> Response:
    """Save a category's name and deadlines (admin); errors are shown next to the fields."""
    require(principal, "settings")
    principal.require("admin")
    category = category_service.get(db, code)
    values = {"name": name, "response_days": response_days, "resolve_days": resolve_days}
    errors: dict[str, str] = {}
    payload: dict[str, Any] = {"name": name.strip()}
    for field in ("response_days", "resolve_days"):
        raw = values[field].strip()
        if not raw.isdigit():
            errors[field] = "请输入正整数（工作日） / enter a whole number of working days"
        else:
            payload[field] = int(raw)
    try:
        data = CategoryUpdate.model_validate(payload)
    except ValidationError as exc:
        for err in exc.errors():
            field = str(err["loc"][0]) if err.get("loc") else "name"
            errors.setdefault(field, _message(err))
        data = None
    if data and data.response_days and data.resolve_days and data.response_days > data.resolve_days:
        errors["response_days"] = "受理时限不能长于办结时限 / must not exceed the resolve days"
    if errors or data is None:
        return _edit_form(request, category, values=values, errors=errors, may_edit=True,
                          status_code=422)  # fmt: skip
    category_service.update(db, category=category, data=data, actor=principal)
    return RedirectResponse(
        f"/console/settings/categories?done=category-saved#cat-{code}", status_code=303
    )


def _message(err: Any) -> str:
    kind, ctx = err.get("type", ""), err.get("ctx") or {}
    if kind == "greater_than_equal":
        return f"不能小于 {ctx.get('ge')} / must be at least {ctx.get('ge')}"
    if kind == "less_than_equal":
        return f"不能大于 {ctx.get('le')} / must be at most {ctx.get('le')}"
    if kind == "string_too_short":
        return "不能为空 / must not be empty"
    if kind == "string_too_long":
        return f"最多 {ctx.get('max_length')} 个字 / at most {ctx.get('max_length')} characters"
    return str(err.get("msg", "无效 / invalid"))


@router.get("/routing", response_class=HTMLResponse)
def routing(request: Request, db: ConsoleDB, principal: Viewer) -> HTMLResponse:
    """Show the routing table in force (分类 × 区划 → 承办单位) and its changelog."""
    require(principal, "settings")
    rules = routing_service.active_rules(db)
    orgs = {int(i): str(n) for i, n in db.execute(select(Organization.id, Organization.name))}
    names = {c.code: c.name for c in category_service.get_tree(db, include_inactive=True)}
    return render(
        request, "settings_routing.html", area="settings", rules=rules, orgs=orgs,
        category_names=names, versions=routing_service.versions(db)[:20],
        version=routing_service.table_version(db),
    )  # fmt: skip
