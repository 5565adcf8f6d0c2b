"""Who may see and do what with a request — the one access rule of the service desk.

- admin: everything (acts as an office);
- matrix office (矩阵管理员): requests in its matrix's queue, or handled (lead or helper) by
  an organisation that runs an account of its matrix;
- handler / operator of organisation X: requests X leads or co-handles (协办), nothing else;
- everyone else (the public, rescue roles): nothing here — the public board shows masked
  requests without going through this module.
"""

from __future__ import annotations

from sqlalchemy import Select, false, or_, select
from sqlalchemy.orm import Session, object_session

from zhengwu.accounts.models import Account, MatrixMember
from zhengwu.auth.principal import Principal
from zhengwu.errors import ForbiddenError
from zhengwu.servicedesk.models import RequestHelper, ServiceRequest
from zhengwu.servicedesk.workflow import ACTION_ACTORS

HANDLING_ROLES = frozenset({"handler", "operator"})


def matrix_organizations(matrix_id: int) -> Select[int | None]:
    """Return a SELECT of the organisations that run an account of a matrix."""
    return (
        select(Account.organization_id)
        .join(MatrixMember, MatrixMember.account_id == Account.id)
        .where(MatrixMember.matrix_id == matrix_id, Account.organization_id.is_not(None))
    )


def readable_requests(principal: Principal) -> Select[ServiceRequest]:
    """Return a SELECT of the requests ``principal`` may read unmasked."""
    query = select(ServiceRequest)
    if principal.role == "admin":
        return query
    if principal.role == "matrix_office" and principal.matrix_id is not None:
        orgs = matrix_organizations(principal.matrix_id)
        return query.where(
            or_(
                ServiceRequest.matrix_id == principal.matrix_id,
                ServiceRequest.organization_id.in_(orgs),
                ServiceRequest.id.in_(
                    select(RequestHelper.request_id).where(RequestHelper.organization_id.in_(orgs))
                ),
            )
        )
    if principal.role in HANDLING_ROLES and principal.organization_id is not None:
        return query.where(
            or_(
                ServiceRequest.organization_id == principal.organization_id,
                ServiceRequest.id.in_(
                    select(RequestHelper.request_id).where(
                        RequestHelper.organization_id == principal.organization_id
                    )
                ),
            )
        )
    return query.where(false())


def _session(request: ServiceRequest) -> Session:
    session = object_session(request)
    if session is None:  # pragma: no cover - a programming error, not a user one
        raise RuntimeError("request is detached from its session")
    return session


def relations(principal: Principal, request: ServiceRequest) -> frozenset[str]:
    """Return how ``principal`` stands to ``request``: lead, helper, office (or nothing)."""
    if principal.role == "admin":
        return frozenset({"office"})
    if principal.role == "matrix_office" and principal.matrix_id is not None:
        query = readable_requests(principal).where(ServiceRequest.id == request.id)
        found = _session(request).scalar(select(query.exists()))
        return frozenset({"office"}) if found else frozenset()
    if principal.role in HANDLING_ROLES and principal.organization_id is not None:
        if request.organization_id == principal.organization_id:
            return frozenset({"lead"})
        helper = _session(request).get(RequestHelper, (request.id, principal.organization_id))
        return frozenset({"helper"}) if helper is not None else frozenset()
    return frozenset()


def can_read(principal: Principal, request: ServiceRequest) -> bool:
    """Return whether ``principal`` may read ``request`` unmasked."""
    return bool(relations(principal, request))


def can(principal: Principal, action: str, request: ServiceRequest) -> bool:
    """Return whether ``principal`` may perform ``action`` on ``request`` (state aside)."""
    return bool(ACTION_ACTORS.get(action, frozenset()) & relations(principal, request))


def require(principal: Principal, action: str, request: ServiceRequest) -> None:
    """Raise ForbiddenError unless ``principal`` may perform ``action`` on ``request``."""
    if not can(principal, action, request):
        raise ForbiddenError(
            f"无权对诉求 {request.public_id} 执行「{action}」",
            f"not allowed to {action} request {request.public_id}",
        )


def can_route_to(session: Session, principal: Principal, organization_id: int) -> bool:
    """Return whether ``principal`` may route requests to an organisation (rules, transfers)."""
    if principal.role == "admin":
        return True
    if principal.role == "matrix_office" and principal.matrix_id is not None:
        query = matrix_organizations(principal.matrix_id).where(
            Account.organization_id == organization_id
        )
        return session.scalar(select(query.exists())) is True
    return False
