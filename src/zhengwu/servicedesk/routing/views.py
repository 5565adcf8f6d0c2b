"""Routes of the routing table: read it (staff), change it (admin, or a matrix office for
the bodies of its matrix)."""

from __future__ import annotations

from fastapi import APIRouter

from zhengwu.auth.principal import Principal
from zhengwu.errors import ForbiddenError
from zhengwu.servicedesk import access
from zhengwu.servicedesk.routing import service as routing_service
from zhengwu.servicedesk.routing.models import (
    RoutingRuleCreate,
    RoutingRuleRead,
    RoutingVersionRead,
)
from zhengwu.web.deps import DB, ChinaTime, CurrentPrincipal, WritingPrincipal

router = APIRouter(prefix="/api/desk/routing", tags=["service desk 诉求办理"])
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
    """Add rules as one new version of the table (same key: the old rule is retired)."""
    for rule in rules:
        _may_route_to(db, principal, rule.organization_id)
    created = routing_service.add_rules(db, rules=rules, actor=principal, note=note)
    return [RoutingRuleRead.model_validate(r) for r in created]


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
