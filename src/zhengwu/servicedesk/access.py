"""Who may see and do what with a request — the one access rule of the service desk.

- admin: everything (acts as an office);
- matrix office (矩阵管理员): requests in the queue of its matrix or of any matrix below it
  (a city office oversees its districts' sub-matrices, at any depth, through
  ``Matrix.parent_id``), or handled (lead or helper) by an organisation that runs an
  account of one of those matrices. Never a sibling's or a parent's requests;
- handler / operator of organisation X: requests X leads or co-handles (协办), nothing else;
- everyone else (the public, rescue roles): nothing here — the public board shows masked
  requests without going through this module.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, false, or_, select
from sqlalchemy.orm import Session, object_session

from zhengwu.accounts.access import subtree_ids
from zhengwu.accounts.models import Account, MatrixMember
from zhengwu.auth.principal import Principal
from zhengwu.errors import ForbiddenError
from zhengwu.servicedesk.models import RequestHelper, ServiceRequest
from zhengwu.servicedesk.workflow import ACTION_ACTORS, ACTION_LABELS

HANDLING_ROLES = frozenset({"handler", "operator"})


OFFICE_MATRICES = "desk_office_matrices"  # the CTE's name (unique within a statement)


def office_matrices(matrix_id: int) -> Select[int]:
    """Return a SELECT of the matrices an office of ``matrix_id`` oversees: it and its subtree.

    One recursive CTE (no loop per matrix or per request), so it stays one statement at
    national scale.
    """
    return subtree_ids(matrix_id, name=OFFICE_MATRICES)


def matrix_organizations(
    matrix_id: int, *, matrices: Select[int] | None = None
) -> Select[int | None]:
    """Return a SELECT of the organisations that run an account of a matrix or its subtree.

    ``matrices`` is the subtree's SELECT when the caller already has one (one CTE in the
    statement); otherwise it is built from ``matrix_id``.
    """
    inside = matrices if matrices is not None else office_matrices(matrix_id)
    return (
        select(Account.organization_id)
        .join(MatrixMember, MatrixMember.account_id == Account.id)
        .where(MatrixMember.matrix_id.in_(inside), Account.organization_id.is_not(None))
    )


def reads_requests(principal: Principal) -> bool:
    """Return whether ``principal``'s role reads requests unmasked at all (staff of the desk).

    Which requests is :func:`readable_requests`; every other role lists only the public
    board's requests, masked.
    """
    return principal.role in {"admin", "matrix_office"} | HANDLING_ROLES


def readable_ways(principal: Principal) -> list[ColumnElement[bool]] | None:
    """Return the ways ``principal`` reads a request, any one of which suffices (None: all).

    The matrix office: the request is in the queue of its matrix or of a matrix below it, or
    its lead or a co-handler is an organisation of one of those matrices; a handler: its organisation leads or co-handles it. Each
    way alone can use an index (a count or a page may run them one by one); [] reads nothing.
    """
    if principal.role == "admin":
        return None
    if principal.role == "matrix_office" and principal.matrix_id is not None:
        matrices = office_matrices(principal.matrix_id)
        orgs = matrix_organizations(principal.matrix_id, matrices=matrices)
        return [
            ServiceRequest.matrix_id.in_(matrices),
            ServiceRequest.organization_id.in_(orgs),
            ServiceRequest.id.in_(
                select(RequestHelper.request_id).where(RequestHelper.organization_id.in_(orgs))
            ),
        ]
    if principal.role in HANDLING_ROLES and principal.organization_id is not None:
        return [
            ServiceRequest.organization_id == principal.organization_id,
            ServiceRequest.id.in_(
                select(RequestHelper.request_id).where(
                    RequestHelper.organization_id == principal.organization_id
                )
            ),
        ]
    return []


def readable_requests(principal: Principal) -> Select[ServiceRequest]:
    """Return a SELECT of the requests ``principal`` may read unmasked."""
    query = select(ServiceRequest)
    ways = readable_ways(principal)
    if ways is None:
        return query
    return query.where(or_(*ways)) if ways else query.where(false())


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
            f"无权对诉求 {request.public_id} 执行「{ACTION_LABELS.get(action, action)}」",
            f"not allowed to {action} request {request.public_id}",
        )


def can_route_to(session: Session, principal: Principal, organization_id: int) -> bool:
    """Return whether ``principal`` may route requests to an organisation (rules, transfers).

    A matrix office routes to the organisations of its matrix and of the matrices below it
    — the ones whose requests it oversees.
    """
    if principal.role == "admin":
        return True
    if principal.role == "matrix_office" and principal.matrix_id is not None:
        query = matrix_organizations(principal.matrix_id).where(
            Account.organization_id == organization_id
        )
        return session.scalar(select(query.exists())) is True
    return False
