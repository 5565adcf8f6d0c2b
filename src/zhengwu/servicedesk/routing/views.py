"""Routes of the routing table: read it (staff), change it (admin, or a matrix office for
the bodies of its matrix)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session

from zhengwu.auth.principal import Principal
from zhengwu.db.base import utcnow
from zhengwu.errors import ForbiddenError
from zhengwu.servicedesk import access, export, kept_uploads, upload
from zhengwu.servicedesk.routing import importer, reroute, sheet
from zhengwu.servicedesk.routing import service as routing_service
from zhengwu.servicedesk.routing.models import (
    RoutingRuleCreate,
    RoutingRuleRead,
    RoutingVersionRead,
)
from zhengwu.web.deps import DB, ChinaTime, CurrentPrincipal, WritingPrincipal
from zhengwu.web.gate import GatedRoute, before_body

router = APIRouter(prefix="/api/desk/routing", tags=["service desk 诉求办理"],
                   route_class=GatedRoute)  # fmt: skip
_STAFF = ("matrix_office", "handler", "operator")


def _may_route_to(db: DB, principal: Principal, organization_id: int) -> None:
    principal.require("matrix_office")
    if not access.can_route_to(db, principal, organization_id):
        raise ForbiddenError(
            f"机构 {organization_id} 不在本矩阵内",
            f"organisation {organization_id} is outside your matrix",
        )


@router.get("/rules", response_model=list[RoutingRuleRead])
def list_rules(
    db: DB, principal: CurrentPrincipal, at: ChinaTime | None = None
) -> list[RoutingRuleRead]:
    """Return the rules in force (at ``at``, default now; no offset = China time)."""
    principal.require(*_STAFF)
    return [RoutingRuleRead.model_validate(r) for r in routing_service.active_rules(db, at=at)]


@router.post("/rules", response_model=list[RoutingRuleRead], status_code=201)
def add_rules(
    db: DB, principal: WritingPrincipal, rules: list[RoutingRuleCreate], note: str = ""
) -> list[RoutingRuleRead]:
    """Add rules as one new version of the table (same key: the old rule is retired).

    A rule's ``adcode`` is a division code or name (岳麓区, 长沙市岳麓区), read as the 派单表
    import reads it; a name several divisions bear is refused (422) with the candidates.
    """
    for rule in rules:
        _may_route_to(db, principal, rule.organization_id)
    created = routing_service.add_rules(db, rules=rules, actor=principal, note=note)
    return [RoutingRuleRead.model_validate(r) for r in created]


@router.get("/rules/export", response_class=StreamingResponse)
def export_rules(
    db: DB, principal: CurrentPrincipal, format: export.Format = "csv"
) -> StreamingResponse:
    """Download the rules in force as csv, xlsx or json (派单表: the columns of
    ``zhengwu desk routing export``; the file uploads again as it is)."""
    principal.require(*_STAFF)
    records = list(sheet.iter_records(db))
    name = f"routing-{utcnow():%Y%m%d-%H%M%S}.{format}"
    return StreamingResponse(
        sheet.chunks(format, iter(records)), media_type=export.MEDIA_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )  # fmt: skip


def _may_import(session: Session, principal: Principal, request: Request) -> None:
    """Refuse a table upload from anyone but the admin (before the file is read)."""
    principal.require("admin")


@router.post("/rules/import")
@before_body(_may_import)
def import_rules(
    db: DB, principal: WritingPrincipal, file: Annotated[UploadFile, File()],
    dry_run: Annotated[bool, Form()] = False, replace: Annotated[bool, Form()] = False,
) -> dict[str, Any]:  # fmt: skip
    """Upload the routing table (CSV or .xlsx, as ``zhengwu desk routing import``; admin).

    Answers what it added, changed and (``replace``) retired, or with ``dry_run`` would,
    and the refused rows (where and why). A replacing upload with refused rows changes
    nothing and is answered 422 with the same summary.
    """
    principal.require("admin")
    with upload.saved_upload(file.file, file.filename or "", **TABLE_UPLOAD) as path:
        summary = _import_file(db, principal, path, dry_run=dry_run, replace=replace)
    if summary.refused_whole and not dry_run:
        raise importer.TableRefusedError(summary)
    return summary.to_dict()


MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # a national table of 30,000 rules is ~4 MB of CSV
# An uploaded table (the API's and the console's), saved under its own file name.
TABLE_UPLOAD: upload.UploadRules = {
    "limit": MAX_UPLOAD_BYTES,
    "choose": ("请选择要导入的派单表（CSV 或 Excel）", "choose a routing table (CSV or Excel)"),
    "too_large": (
        "请用命令 zhengwu desk routing import 导入",
        "import it with zhengwu desk routing import",
    ),
}
KEPT_KIND = "routing-table"


def import_checked(
    db: Session, principal: Principal, stream: Any, filename: str, checked: str, *,
    dry_run: bool, replace: bool,
) -> tuple[importer.TableImportSummary, str | None]:  # fmt: skip
    """Check or import the console form's table: the file chosen, or (none chosen) the copy
    kept by the check whose token is ``checked``; a check keeps its copy for its user
    (:func:`kept_uploads.checked_or_chosen`). The second value is the token the page
    carries on; an import that took effect spends it."""
    return kept_uploads.checked_or_chosen(
        lambda path: _import_file(db, principal, path, dry_run=dry_run, replace=replace),
        kind=KEPT_KIND, owner=principal, filename=filename, checked=checked,
        saved=lambda: upload.saved_upload(stream, filename, **TABLE_UPLOAD), dry_run=dry_run,
        took_effect=lambda summary: summary.applied,
    )  # fmt: skip


def _import_file(
    db: Session, principal: Principal, path: Path, *, dry_run: bool, replace: bool
) -> importer.TableImportSummary:
    with upload.shown_as(path):
        return importer.import_table(db, path, actor=principal, dry_run=dry_run,
                                     replace=replace, shown=path.name)  # fmt: skip


@router.delete("/rules/{rule_id}", response_model=RoutingRuleRead)
def retire_rule(
    db: DB, principal: WritingPrincipal, rule_id: int, reason: str = ""
) -> RoutingRuleRead:
    """Retire a rule (kept for the requests it routed)."""
    rule = routing_service.get(db, rule_id)
    _may_route_to(db, principal, rule.organization_id)
    routing_service.retire(db, rule=rule, actor=principal, reason=reason)
    return RoutingRuleRead.model_validate(rule)


@router.get("/versions", response_model=list[RoutingVersionRead])
def list_versions(db: DB, principal: CurrentPrincipal) -> list[RoutingVersionRead]:
    """Return the changelog of the routing table, newest first."""
    principal.require(*_STAFF)
    return [RoutingVersionRead.model_validate(v) for v in routing_service.versions(db)]


@router.post("/derive", response_model=list[RoutingRuleRead], status_code=201)
def derive(db: DB, principal: WritingPrincipal) -> list[RoutingRuleRead]:
    """Add rules derived from the categories' sectors and the bodies on file (admin)."""
    principal.require("admin")
    derivation = routing_service.derive_rules(db, actor=principal)
    return [RoutingRuleRead.model_validate(r) for r in derivation.rules]


@router.post("/reroute")
def reroute_waiting(db: DB, principal: WritingPrincipal, dry_run: bool = False) -> dict[str, Any]:
    """Route the requests waiting with no body (未派单) through the rules in force (admin).

    Answers the counts (waiting, rerouted, no_rule, kept_in_office, changed, returned,
    other_states, fallbacks) and the requests routed; with ``dry_run`` writes nothing, as
    ``zhengwu desk routing reroute --dry-run``.
    """
    principal.require("admin")
    summary = reroute.reroute(db, actor=principal, dry_run=dry_run)
    return summary.to_dict()
