"""设置: indicator systems, the category tree (deadlines editable by the admin), routing table.

These are data, not code (CONVENTIONS 5): the pages show what is in force and edit it
through the domain services, which version and audit every change — category deadlines
(category service), routing rules (each added or retired rule makes a new table version),
indicator systems (TOML checked by the index loader, saved under ``<data_dir>/index-systems``
where every run finds them). Validation errors come back in the form, with what was typed,
and status 422.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request
from fastapi import UploadFile as FormFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import Select, select
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from zhengwu import regions
from zhengwu.accounts.models import Organization
from zhengwu.auth.principal import Principal
from zhengwu.errors import ConflictError, ForbiddenError, InvalidInputError, ZhengwuError
from zhengwu.index import methodology
from zhengwu.index.methodology_zh import PEER_ZH, processing_zh
from zhengwu.index.metrics import METRICS
from zhengwu.index.system import (
    IndicatorSystem,
    SystemConfigError,
    available_systems,
    content_digest,
    load_system,
    parse_system,
    refuse_shipped_name,
    user_dir,
)
from zhengwu.servicedesk import kept_uploads
from zhengwu.servicedesk.access import can_route_to, matrix_organizations
from zhengwu.servicedesk.category import service as category_service
from zhengwu.servicedesk.category.models import CategoryUpdate
from zhengwu.servicedesk.routing import division, reroute
from zhengwu.servicedesk.routing import fallback as routing_fallback
from zhengwu.servicedesk.routing import service as routing_service
from zhengwu.servicedesk.routing import views as routing_views
from zhengwu.servicedesk.routing.importer import TableImportSummary, TableRefusedError
from zhengwu.servicedesk.routing.models import RoutingRule, RoutingRuleCreate
from zhengwu.servicedesk.routing.reroute import RerouteSummary
from zhengwu.validation_text import message_en, message_zh
from zhengwu.web.console.base import (
    ConsoleDB,
    ConsoleRoute,
    Pager,
    Viewer,
    Writer,
    render,
    require,
)
from zhengwu.web.console.desk_pages import ownerless_notice
from zhengwu.web.console.organization_pages import region_prefix
from zhengwu.web.gate import before_body

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
    return render(request, "settings_systems.html", area="settings", rows=rows,
                  may_save=principal.role == "admin")  # fmt: skip


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
    return f"{message_zh(err)} / {message_en(err)}"


# -- routing table: add and retire rules ---------------------------------------------------


def may_edit_routing(principal: Principal) -> bool:
    """Return whether ``principal``'s role may change the routing table (admin, matrix office)."""
    return principal.is_authenticated and principal.has_role("matrix_office")


ROUTING_PAGE = 100  # rules per page: the national table has tens of thousands
ORG_MATCHES = 20  # organisations offered for a typed name (the country has 255,000)


def _routable_query(principal: Principal) -> Select[int, str] | None:
    """Return the organisations ``principal`` may route to (all for the admin; None: none)."""
    query = select(Organization.id, Organization.name)
    if principal.role != "admin":
        if principal.matrix_id is None:
            return None
        query = query.where(Organization.id.in_(matrix_organizations(principal.matrix_id)))
    return query


def _org_matches(db: Session, principal: Principal, text: str) -> list[tuple[int, str]]:
    """Return up to :data:`ORG_MATCHES` routable organisations whose name contains ``text``."""
    query = _routable_query(principal)
    if query is None or not text.strip():
        return []
    query = query.where(Organization.name.contains(text.strip(), autoescape=True))
    rows = db.execute(query.order_by(Organization.name, Organization.id).limit(ORG_MATCHES))
    return [(int(i), str(n)) for i, n in rows]


def _routable_among(db: Session, principal: Principal, ids: set[int]) -> set[int]:
    """Return which of ``ids`` ``principal`` may route to (the rows with a retire form)."""
    query = _routable_query(principal)
    if query is None or not ids:
        return set()
    return {int(i) for i, _ in db.execute(query.where(Organization.id.in_(ids)))}


def _routing_page(
    request: Request, db: Session, principal: Principal, *, values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None, error: ZhengwuError | None = None,
    retire_failed: int | None = None, retire_error: ZhengwuError | None = None,
    status_code: int = 200, filters: dict[str, str] | None = None, offset: int = 0,
    org_q: str = "", table_import: TableImportSummary | None = None,
    import_error: ZhengwuError | None = None, rerouted: RerouteSummary | None = None,
    checked: str | None = None, successor: str | None = None,
) -> HTMLResponse:  # fmt: skip
    filters = filters or {}
    tree = category_service.get_tree(db, include_inactive=True)
    filter_error = None
    try:
        prefix = _filter_prefix(filters.get("region", ""))
    except InvalidInputError as exc:
        prefix, filter_error = None, exc
    # A refused filter lists nothing, rather than every rule as 符合条件的规则.
    total, rules = 0, list[RoutingRule]()
    if filter_error is None:
        total, rules = routing_service.active_rules_page(
            db, adcode_prefix=prefix, category_code=filters.get("category") or None,
            organization_name=filters.get("org") or None, limit=ROUTING_PAGE, offset=offset,
        )  # fmt: skip
    pager = Pager(total=total, offset=offset, size=ROUTING_PAGE, params=filters,
                  anchor="routing-rules", path="/console/settings/routing")  # fmt: skip
    if not rules and total and offset:  # past the end (a stale link): show the last page
        total, rules = routing_service.active_rules_page(
            db, adcode_prefix=prefix, category_code=filters.get("category") or None,
            organization_name=filters.get("org") or None, limit=ROUTING_PAGE,
            offset=pager.offset,
        )  # fmt: skip
    shown = {r.organization_id for r in rules}
    chosen = values.get("organization_id", "").strip() if values else ""
    if chosen.isdigit():
        shown.add(int(chosen))
    orgs = {int(i): str(n) for i, n in
            db.execute(select(Organization.id, Organization.name).where(Organization.id.in_(shown)))}  # fmt: skip
    editable = may_edit_routing(principal)
    matches = _org_matches(db, principal, org_q) if editable else []
    values = dict(values or {})
    if len(matches) == 1 and not values.get("organization_id"):  # one match: take it
        values["organization_id"] = str(matches[0][0])
    listed = rerouted.routed[:REROUTE_SHOWN] if rerouted else []
    return render(
        request, "settings_routing.html", area="settings", rules=rules, orgs=orgs,
        fallbacks={r.id for r in rules if routing_fallback.is_fallback(r)},
        category_names={c.code: c.name for c in tree}, pager=pager, filters=filters,
        filter_error=filter_error, categories=[c for c in tree if c.active],
        versions=routing_service.versions(db)[:20], version=routing_service.table_version(db),
        may_edit=editable, routable=_routable_among(db, principal, shown) if editable else set(),
        org_q=org_q.strip(), org_matches=matches, org_limit=ORG_MATCHES,
        org_names=orgs | dict(matches),
        values=values, errors=errors or {}, error=error, retire_failed=retire_failed,
        retire_error=retire_error,
        status_code=filter_error.status_code if filter_error and status_code == 200 else status_code,
        unrouted=routing_service.unrouted_without_rules(db) if not total and not filters else 0,
        **ownerless_notice(db, principal)._asdict(),
        rerouted=rerouted, rerouted_listed=listed,
        waiting_labels={k: zh for k, (zh, _) in reroute.WAITING.items()},
        fallback_labels={k: zh for k, (zh, _) in routing_fallback.WHY.items()},
        may_import_table=principal.has_role("admin"), table_import=table_import,
        import_error=import_error, plan_shown=PLAN_SHOWN, checked=checked,
        kept_minutes=kept_uploads.kept_minutes(), successor=successor,
        import_max_mb=routing_views.MAX_UPLOAD_BYTES // (1024 * 1024),
    )  # fmt: skip


@router.get("/routing", response_class=HTMLResponse)
def routing(
    request: Request, db: ConsoleDB, principal: Viewer, region: str = "", category: str = "",
    org: str = "", org_q: str = "", offset: Annotated[int, Query(ge=0)] = 0, renamed: str = "",
) -> HTMLResponse:  # fmt: skip
    """Show the routing table in force (分类 × 区划 → 承办单位), its versions and the form.

    The rules are filtered by ``region`` (a division code or name: it and below),
    ``category`` (a code) and ``org`` (part of the organisation's name), and shown
    :data:`ROUTING_PAGE` a page. ``org_q`` looks up the organisations the add form offers.
    ``renamed`` (after a rule was added under an old division code) says, as the CLI does,
    that the rule is stored under the division's successor.
    """
    require(principal, "settings")
    filters = {k: v.strip() for k, v in
               {"region": region, "category": category, "org": org}.items() if v.strip()}  # fmt: skip
    return _routing_page(request, db, principal, filters=filters, offset=offset, org_q=org_q,
                         successor=_successor_note(request, renamed), status_code=200)  # fmt: skip


def _successor_note(request: Request, renamed: str) -> str | None:
    """Return the note on a rule just added under the old code ``renamed`` (None if the code
    is no old one, or no rule was just added: a crafted link says nothing)."""
    code = renamed.strip()
    if request.query_params.get("done") != "routing-added" or not code.isdigit():
        return None
    return routing_service.successor_note(code, regions.current_adcode(code))


def _org_by_name(
    db: Session, principal: Principal, name: str, errors: dict[str, str]
) -> int | None:
    """Return the routable organisation named exactly ``name``; name what is wrong if none."""
    query = _routable_query(principal)
    found = [] if query is None else [int(i) for i, _ in db.execute(
        query.where(Organization.name == name).limit(2))]  # fmt: skip
    if len(found) == 1:
        return found[0]
    if found:
        errors["organization_id"] = (f"有多个名为「{name}」的机构，请从候选中选择编号 / "
                                     f"several organisations are named {name}: choose one by id")  # fmt: skip
    else:
        errors["organization_id"] = (f"找不到您可派单的机构「{name}」，请先查找 / "
                                     f"no organisation you may route to is named {name}: search first")  # fmt: skip
    return None


def _filter_prefix(raw: str) -> str | None:
    """Read the 区划 filter of the rules as a rule's division is read (岳麓区, 长沙市岳麓区, a
    code: :mod:`zhengwu.servicedesk.routing.division`, as the CLI, the API and the add form
    read it), or a code prefix (41, 4101); return the division's code prefix (it and below).

    A name of several divisions or of none is a bilingual 422 with the candidates, never a
    guess: an address reading would take 长沙市岳麓区 for all of 长沙市.
    """
    text = raw.strip()
    if text.isdigit() and len(text) < 6:
        return text
    try:
        code = division.rule_division(text)
    except division.DivisionNameError as exc:
        raise InvalidInputError(exc.zh, exc.en) from None
    return region_prefix(code) if code else None


def _region(raw: str, errors: dict[str, str]) -> str | None:
    """Read a division code or name ("" = anywhere) as the 派单表 import reads it
    (:mod:`zhengwu.servicedesk.routing.division`); name what is unknown or ambiguous."""
    try:
        code = division.rule_division(raw)
    except division.DivisionNameError as exc:
        errors["adcode"] = str(exc)
        return None
    if code is not None and regions.get(code) is None:
        errors["adcode"] = f"未知的区划代码：{code} / unknown adcode: {code}"
    return code


@router.post("/routing/rules", response_class=HTMLResponse)
def routing_add(
    request: Request,
    db: ConsoleDB,
    principal: Writer,
    category_code: Annotated[str, Form()] = "",
    adcode: Annotated[str, Form()] = "",
    organization_id: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    """Add a rule as a new version of the table; errors come back in the form."""
    require(principal, "settings")
    principal.require("matrix_office")
    values = {"category_code": category_code, "adcode": adcode,
              "organization_id": organization_id, "note": note}  # fmt: skip
    errors: dict[str, str] = {}
    code = category_code.strip() or None
    if code is not None and code not in {c.code for c in category_service.get_tree(db)}:
        errors["category_code"] = f"未知的分类：{code} / unknown category: {code}"
    place = _region(adcode, errors)
    org_id = int(organization_id) if organization_id.strip().isdigit() else None
    if org_id is None and organization_id.strip():  # typed a name: take it if unambiguous
        org_id = _org_by_name(db, principal, organization_id.strip(), errors)
    elif org_id is None:
        errors["organization_id"] = "请选择承办单位 / choose an organisation"
    elif db.get(Organization, org_id) is None:
        errors["organization_id"] = f"机构不存在：{org_id} / no such organisation: {org_id}"
    elif not can_route_to(db, principal, org_id):
        return _routing_page(
            request, db, principal, values=values, status_code=403,
            error=ForbiddenError(f"机构 {org_id} 不在本矩阵内",
                                 f"organisation {org_id} is outside your matrix"),
        )  # fmt: skip
    if errors or org_id is None:
        return _routing_page(request, db, principal, values=values, errors=errors,
                             status_code=422)  # fmt: skip
    rule = RoutingRuleCreate(category_code=code, adcode=place, organization_id=org_id,
                             note=note.strip())  # fmt: skip
    try:
        added = routing_service.add_rules(db, rules=[rule], actor=principal, note=note.strip())
    except ZhengwuError as exc:
        db.rollback()
        return _routing_page(request, db, principal, values=values, error=exc,
                             status_code=exc.status_code)  # fmt: skip
    # A renamed division's old code is stored under its successor: the page says so.
    renamed = f"&renamed={place}" if place and added[0].adcode != place else ""
    return RedirectResponse(f"/console/settings/routing?done=routing-added{renamed}",
                            status_code=303)  # fmt: skip


@router.post("/routing/rules/{rule_id}/retire", response_class=HTMLResponse)
def routing_retire(
    request: Request,
    db: ConsoleDB,
    principal: Writer,
    rule_id: int,
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Retire (delete) a rule with a reason: it stays on file for the requests it routed."""
    require(principal, "settings")
    principal.require("matrix_office")
    rule = routing_service.get(db, rule_id)
    if not can_route_to(db, principal, rule.organization_id):
        raise ForbiddenError(
            f"机构 {rule.organization_id} 不在本矩阵内",
            f"organisation {rule.organization_id} is outside your matrix",
        )
    if not reason.strip():  # a rule may route a whole city: say why it goes
        refused = InvalidInputError("请填写停用理由", "give a reason for retiring the rule")
        return _routing_page(request, db, principal, retire_failed=rule.id,
                             retire_error=refused, status_code=refused.status_code)  # fmt: skip
    routing_service.retire(db, rule=rule, actor=principal, reason=reason.strip())
    return RedirectResponse("/console/settings/routing?done=routing-retired", status_code=303)


PLAN_SHOWN = 200  # planned changes the page lists after an upload (all: the API, the CLI)


def _may_import_table(session: Session, principal: Principal, request: Request) -> None:
    """Refuse a routing table upload from anyone but the admin (before the file is read)."""
    require(principal, "settings")
    principal.require("admin")


@router.post("/routing/import", response_class=HTMLResponse)
@before_body(_may_import_table)
async def routing_import(
    request: Request, db: ConsoleDB, principal: Writer,
    file: Annotated[FormFile | None, File()] = None,
    dry_run: Annotated[str, Form()] = "", replace: Annotated[str, Form()] = "",
    checked: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    """Check (dry run) or import an uploaded routing table; the page shows what it did.

    A check keeps its copy for the admin (``checked``: its token in the page's form), so
    that 导入 — or another check, say with 替换 — needs no file chosen again; a file chosen
    anew is read instead.
    """
    filename = (file.filename or "") if file is not None else ""

    def work() -> Response:
        require(principal, "settings")
        principal.require("admin")
        try:
            summary, token = routing_views.import_checked(
                db, principal, file.file if file is not None else None, filename, checked,
                dry_run=dry_run == "1", replace=replace == "1",
            )  # fmt: skip
        except ZhengwuError as exc:
            db.rollback()  # nothing of a refused file stays
            return _routing_page(request, db, principal, import_error=exc,
                                 status_code=exc.status_code)  # fmt: skip
        if summary.refused_whole and not summary.dry_run:
            refused = TableRefusedError(summary)
            return _routing_page(request, db, principal, table_import=summary, checked=token,
                                 import_error=refused, status_code=refused.status_code)  # fmt: skip
        db.flush()
        return _routing_page(request, db, principal, table_import=summary, checked=token)

    return await run_in_threadpool(work)


REROUTE_SHOWN = 50  # re-routed requests the page lists (all: the API, the CLI)


@router.post("/routing/reroute", response_class=HTMLResponse)
def routing_reroute(
    request: Request, db: ConsoleDB, principal: Writer, dry_run: Annotated[str, Form()] = ""
) -> Response:
    """Check (dry run) or route the requests waiting with no body by the rules in force
    (the 无人承办 notice's form; admin only); the routing page shows what it did."""
    require(principal, "settings")
    principal.require("admin")
    summary = reroute.reroute(db, actor=principal, dry_run=dry_run == "1")
    db.flush()
    return _routing_page(request, db, principal, rerouted=summary)


# -- indicator systems: check, preview and save a TOML file --------------------------------

SYSTEM_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
MAX_SYSTEM_BYTES = 256 * 1024
_ONE_INDICATOR = "dimensions[0].indicators[0]"


def require_system_editor(principal: Principal) -> None:
    """Raise 403 unless ``principal`` may upload and save indicator systems (the admin only).

    The index's access rules (:mod:`zhengwu.index.access`) let only the admin run the
    index; a system file changes what every run computes, so saving one is the admin's too.
    """
    if principal.role != "admin":
        raise ForbiddenError(
            "只有平台管理员可以上传或保存指标体系",
            "only the platform admin may upload or save indicator systems",
        )


def _probe(doc: Mapping[str, Any], rename: tuple[str, str] | None = None) -> list[ZhengwuError]:
    """Run the loader over ``doc``; return its error, its location renamed, or nothing."""
    try:
        parse_system(doc, source="console")
    except SystemConfigError as exc:
        if rename is None:
            return [exc]
        old, new = rename
        return [SystemConfigError(exc.message_zh.replace(old, new, 1),
                                  exc.message_en.replace(old, new, 1))]  # fmt: skip
    except (TypeError, ValueError, AttributeError) as exc:  # a value of the wrong shape
        where = rename[1] if rename else "top level"
        return [SystemConfigError(f"指标体系配置错误（{where}）：类型不对（{exc}）",
                                  f"indicator system {where}: wrong type ({exc})")]  # fmt: skip
    return []


def _positive(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


def _solo(indicator: Any) -> dict[str, Any]:
    return {"name": "probe", "platforms": ["weibo"], "normalise_weights": True,
            "dimensions": [{"key": "probe", "weight": 1, "indicators": [indicator]}]}  # fmt: skip


def system_errors(data: Mapping[str, Any]) -> list[ZhengwuError]:
    """Return every error the loader finds in ``data``, not only the first.

    The loader stops at the first error. Each indicator, then each dimension (with its
    broken indicators replaced by stand-ins), then the top level (with stand-in
    dimensions) goes through the loader on its own, so one bad metric does not hide a bad
    weight or an empty dimension elsewhere.
    """
    first = _probe(data)
    dims = data.get("dimensions")
    if not first or data.get("kind", "composite") != "composite" or not isinstance(dims, list):
        return first
    found: list[ZhengwuError] = []
    tops: list[Any] = []
    for i, dim in enumerate(dims):
        if not isinstance(dim, dict):
            tops.append(dim)
            continue
        parts: dict[str, Any] = {}
        for part in ("indicators", "fallback"):
            items = dim.get(part, [])
            if not isinstance(items, list):
                parts[part] = items
                continue
            spare = [m for m in METRICS if m not in {str(x.get("metric")) for x in items
                                                     if isinstance(x, dict)}]  # fmt: skip
            clean: list[Any] = []
            for j, item in enumerate(items):
                wrong = _probe(_solo(item), (_ONE_INDICATOR, f"dimensions[{i}].{part}[{j}]"))
                found += wrong
                weight = item.get("weight") if isinstance(item, dict) else None
                stand_in = {"metric": spare.pop() if spare else "posts",
                            "weight": weight if _positive(weight) else 1.0}  # fmt: skip
                clean.append(stand_in if wrong else item)
            parts[part] = clean
        weight = dim.get("weight")
        alone = {**dim, **parts, "weight": 1 if _positive(weight) else weight}
        found += _probe(
            {"name": "probe", "platforms": ["weibo"], "dimensions": [alone],
             "normalise_weights": data.get("normalise_weights", False),
             "weight_tolerance": data.get("weight_tolerance", 1e-6)},
            ("dimensions[0]", f"dimensions[{i}]"),
        )  # fmt: skip
        key = dim.get("key")
        tops.append({"key": key if isinstance(key, str) and key.isidentifier() else f"d{i}",
                     "weight": weight if _positive(weight) else 1.0,
                     "indicators": [{"metric": "posts", "weight": 1}]})  # fmt: skip
    found += _probe({**data, "dimensions": tops})
    unique = {f"{e.message_en}": e for e in found}
    return list(unique.values()) or first


def _read_system(text: str) -> tuple[IndicatorSystem | None, list[ZhengwuError]]:
    """Parse and check a pasted or uploaded system; return it or every error found."""
    if not text.strip():
        return None, [
            InvalidInputError("请粘贴或上传一个 TOML 文件", "paste or upload a TOML file")
        ]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return None, [InvalidInputError(f"不是合法的 TOML：{exc}", f"not valid TOML: {exc}")]
    errors = system_errors(data)
    if errors:
        return None, errors
    return parse_system(data, source="console", digest=content_digest(data)), []


def _system_form(
    request: Request, *, text: str, replace_existing: bool, errors: list[ZhengwuError],
    system: IndicatorSystem | None = None, status_code: int = 200,
) -> HTMLResponse:  # fmt: skip
    principal: Principal = request.state.console_principal
    return render(
        request, "settings_system_new.html", area="settings", text=text, errors=errors,
        replace_existing=replace_existing, system=system, metrics=METRICS,
        methodology=methodology.render(system) if system else None,
        may_save=principal.role == "admin", status_code=status_code,
    )  # fmt: skip


@router.get("/systems/new", response_class=HTMLResponse)
def system_new(request: Request, principal: Viewer) -> HTMLResponse:
    """Show the form to paste or upload an indicator system (the admin only)."""
    require(principal, "settings")
    require_system_editor(principal)
    shipped = available_systems().get("zhengwu-4d")
    example = shipped.read_text(encoding="utf-8") if shipped else ""
    return _system_form(request, text=example, replace_existing=False, errors=[])


def _may_edit_systems(session: Session, principal: Principal, request: Request) -> None:
    """Refuse an indicator system's upload from anyone but the admin (before it is read)."""
    require(principal, "settings")
    require_system_editor(principal)


@router.post("/systems/new", response_class=HTMLResponse)
@before_body(_may_edit_systems)
async def system_submit(request: Request, principal: Writer) -> Response:
    """Check a pasted or uploaded system and show its methodology; save it (admin only)."""
    require(principal, "settings")
    require_system_editor(principal)
    form = await request.form()
    action = str(form.get("action") or "check")
    text = str(form.get("toml") or "")
    upload = form.get("file")
    replace_existing = form.get("replace") == "1"
    if isinstance(upload, UploadFile) and upload.filename:
        try:
            raw = await upload.read(MAX_SYSTEM_BYTES + 1)
        finally:
            await upload.close()
        problem = None
        if len(raw) > MAX_SYSTEM_BYTES:
            problem = InvalidInputError("文件超过 256 KB", "the file is larger than 256 KB")
        else:
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                problem = InvalidInputError("文件不是 UTF-8 文本", "the file is not UTF-8 text")
        if problem:
            return _system_form(request, text=text, replace_existing=replace_existing,
                                errors=[problem], status_code=422)  # fmt: skip
    text = text.replace("\r\n", "\n")
    system, errors = _read_system(text)
    if system is not None and not SYSTEM_NAME.match(system.name):
        errors = [InvalidInputError(
            f"体系名称 {system.name!r} 只能用字母、数字、点、横线和下划线（用作文件名）",
            f"system name {system.name!r} may only use letters, digits, '.', '-', '_'",
        )]  # fmt: skip
        system = None
    if system is None:
        return _system_form(request, text=text, replace_existing=replace_existing,
                            errors=errors, status_code=422)  # fmt: skip
    if action != "save":
        return _system_form(request, text=text, replace_existing=replace_existing, errors=[],
                            system=system)  # fmt: skip
    try:  # even "replace" may not put a user's system in place of a shipped one
        refuse_shipped_name(system)
    except SystemConfigError as taken:
        return _system_form(request, text=text, replace_existing=replace_existing,
                            errors=[taken], system=system, status_code=409)  # fmt: skip
    if system.name in available_systems() and not replace_existing:
        conflict = ConflictError(
            f"已有名为 {system.name} 的指标体系；勾选「覆盖同名体系」后再保存",
            f"a system named {system.name} exists; tick 'replace' to overwrite it",
        )
        return _system_form(request, text=text, replace_existing=False, errors=[conflict],
                            system=system, status_code=409)  # fmt: skip
    target = user_dir() / f"{system.name}.toml"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    load_system(system.name)  # the loader finds it where every run looks
    return RedirectResponse(
        f"/console/settings/systems/{system.name}?done=system-saved", status_code=303
    )


# Last, so that /systems/new is not read as a system called "new".
@router.get("/systems/{name}", response_class=HTMLResponse)
def system_page(request: Request, principal: Viewer, name: str) -> HTMLResponse:
    """Show one indicator system: dimensions, indicators, weights, its methodology text."""
    require(principal, "settings")
    system = load_system(name)
    return render(request, "settings_system.html", area="settings", system=system,
                  metrics=METRICS, methodology=methodology.render(system),
                  processing=processing_zh, peer_labels=PEER_ZH)  # fmt: skip
