"""Who may see and do what with a request — the one access rule of the service desk.

- admin: everything (acts as an office);
- matrix office (矩阵管理员): requests in the queue of its matrix or of any matrix below it
  (a city office oversees its districts' sub-matrices, at any depth, through
  ``Matrix.parent_id``), or handled (lead or helper) by an organisation that runs an
  account of one of those matrices. Never a sibling's or a parent's requests — except,
  read-only and masked, one its call was merged into (:mod:`.office_merges`, which this
  module's reading rule leaves out: no action, no rates, no queue);
- handler / operator of organisation X: requests X leads or co-handles (协办), nothing else;
- everyone else (the public, rescue roles): nothing here — the public board shows masked
  requests without going through this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, CompoundSelect, Select, false, func, or_, select, union
from sqlalchemy.orm import Session, object_session

from zhengwu.accounts.access import subtree_ids
from zhengwu.accounts.models import Account, Matrix, MatrixMember, Organization
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
    matrix_id: int, *, matrices: Select[int] | Sequence[int] | None = None
) -> Select[int | None]:
    """Return a SELECT of the organisations that run an account of a matrix or its subtree.

    ``matrices`` is the subtree's SELECT (or its ids) when the caller already has one (one
    CTE in the statement); otherwise it is built from ``matrix_id``.

    The member accounts are a subquery, not a join: SQLite, given the join, walked every
    account and probed its membership once per matrix of the list (180,000 × 788 probes,
    13 minutes for a national office) instead of reading the memberships of those matrices.
    """
    inside = matrices if matrices is not None else office_matrices(matrix_id)
    members = select(MatrixMember.account_id).where(MatrixMember.matrix_id.in_(inside))
    return select(Account.organization_id).where(
        Account.id.in_(members), Account.organization_id.is_not(None)
    )


# An office's matrices or organisations up to this many are handed to the database as a list
# of ids; more, as the subquery. The planner cannot estimate a recursive CTE (it guesses
# thousands of matrices and 270,000 member accounts for one city's 1 and 423), so with the
# subquery it read a month of requests and every account; with the ids it probes the
# indexes of those few matrices and organisations.
SCOPE_LIST_LIMIT = 2000


def office_matrix_ids(session: Session, matrix_id: int) -> Select[int] | list[int]:
    """Return the matrices an office of ``matrix_id`` oversees: the list of their ids when
    short (:data:`SCOPE_LIST_LIMIT`), else :func:`office_matrices`' SELECT."""
    subtree = office_matrices(matrix_id)
    ids = list(session.scalars(subtree.limit(SCOPE_LIST_LIMIT + 1)))
    return ids if len(ids) <= SCOPE_LIST_LIMIT else subtree


def office_scope(
    session: Session, matrix_id: int
) -> tuple[Select[int] | list[int], Select[int | None] | list[int]]:
    """Return the matrices and the organisations of an office of ``matrix_id``.

    Each is the list of its ids when it is short (:data:`SCOPE_LIST_LIMIT`), else its SELECT
    (:func:`office_matrices`, :func:`matrix_organizations`); either goes into ``in_()``.
    """
    limit = SCOPE_LIST_LIMIT
    matrices = office_matrix_ids(session, matrix_id)
    organizations = matrix_organizations(matrix_id, matrices=matrices).distinct()
    # At most as many organisations as member accounts: counting those first (from the
    # index, stopping at the limit) spares a national matrix the join of every account.
    members = select(MatrixMember.account_id).where(MatrixMember.matrix_id.in_(matrices))
    if len(session.scalars(members.limit(limit + 1)).all()) > limit:
        return matrices, organizations
    return matrices, [o for o in session.scalars(organizations) if o is not None]


class OfficeQueue:
    """The scope a matrix office's intake keeps its new requests in (see :func:`office_queue`).

    A new request of an office's upload, or one it registers itself, that routing would place where the office does not
    read it — on no matrix and with no body (未派单, no rule matched), or on another
    matrix's queue with a body outside the office's subtree — is kept in the office's own
    matrix queue instead, unassigned: the office dispatches it (派单) to a body of its
    subtree, the only ones it may route to (:func:`can_route_to`). Those are exactly the
    requests :func:`readable_ways` would not give the office at intake (a new request has no
    co-handler yet).
    """

    def __init__(self, session: Session, matrix_id: int) -> None:
        self.matrix_id = matrix_id
        self._in = office_matrix_ids(session, matrix_id)
        self.matrices = frozenset(self._in) if isinstance(self._in, list) else None
        self._session = session
        self._matrix_known: dict[int, bool] = {}
        self._org_known: dict[int, bool] = {}  # one probe per organisation, whatever the file

    def _has_matrix(self, matrix_id: int) -> bool:
        if self.matrices is not None:
            return matrix_id in self.matrices
        if matrix_id not in self._matrix_known:
            query = select(Matrix.id).where(Matrix.id == matrix_id, Matrix.id.in_(self._in))
            self._matrix_known[matrix_id] = self._session.scalar(query) is not None
        return self._matrix_known[matrix_id]

    def _has_organization(self, organization_id: int) -> bool:
        if organization_id not in self._org_known:
            query = matrix_organizations(self.matrix_id, matrices=self._in).where(
                Account.organization_id == organization_id
            )
            self._org_known[organization_id] = self._session.scalar(select(query.exists())) is True
        return self._org_known[organization_id]

    def has_matrix(self, matrix_id: int) -> bool:
        """Return whether ``matrix_id`` is the office's matrix or one below it."""
        return self._has_matrix(matrix_id)

    def covers(self, matrix_id: int | None, organization_id: int | None) -> bool:
        """Return whether the office reads a new request queued on ``matrix_id`` and led by
        ``organization_id`` (either may be None)."""
        if matrix_id is not None and self._has_matrix(matrix_id):
            return True
        return organization_id is not None and self._has_organization(organization_id)

    def reads(self, request_id: int, matrix_id: int | None, organization_id: int | None) -> bool:
        """Return whether the office reads an existing request (:func:`readable_ways`): its
        queue or lead body (:meth:`covers`), or one of its co-handlers (协办), is the
        office's. A call merged into a request it does not read joins it read-only
        (:mod:`zhengwu.servicedesk.office_merges`)."""
        if self.covers(matrix_id, organization_id):
            return True
        helpers = select(RequestHelper.organization_id).where(
            RequestHelper.request_id == request_id
        )
        return any(self._has_organization(org) for org in self._session.scalars(helpers))


def office_queue(session: Session, principal: Principal) -> OfficeQueue | None:
    """Return the queue a matrix office's intake keeps its new requests in — an upload's
    rows and a request it registers itself (``POST /api/desk/requests``) — or None for
    anyone else: an admin's or the system's intake routes as the routing table says.

    A matrix office without a matrix is refused (:func:`check_office_has_matrix`): it would
    take requests in as an admin does and see none of them.
    """
    if principal.role != "matrix_office":
        return None
    check_office_has_matrix(principal)
    assert principal.matrix_id is not None  # checked just above
    return OfficeQueue(session, principal.matrix_id)


def office_without_matrix(principal: Principal) -> bool:
    """Return whether ``principal`` is a matrix office whose account has no matrix set.

    Such an account reads no request (:func:`readable_ways` gives it none), so whatever it
    took in — routed as an admin's would be — would vanish from its sight.
    """
    return principal.role == "matrix_office" and principal.matrix_id is None


def check_office_has_matrix(principal: Principal) -> None:
    """Refuse (403) a matrix office without a matrix: it may not take requests in (import an
    export, register a request) until an admin sets the account's matrix."""
    if office_without_matrix(principal):
        raise ForbiddenError(
            f"账号 {principal.username}（矩阵管理员）没有所属矩阵：导入或登记的诉求将不在任何矩阵的"
            "队列中，本账号也看不到。请平台管理员先为该账号设置所属矩阵",
            f"account {principal.username!r} is a matrix office without a matrix: the requests "
            "it imported or registered would be in no matrix's queue and out of its sight. "
            "An admin must set the account's matrix first",
        )


def reads_requests(principal: Principal) -> bool:
    """Return whether ``principal``'s role reads requests unmasked at all (staff of the desk).

    Which requests is :func:`readable_requests`; every other role lists only the public
    board's requests, masked.
    """
    return principal.role in {"admin", "matrix_office"} | HANDLING_ROLES


def readable_ways(
    principal: Principal, session: Session | None = None
) -> list[ColumnElement[bool]] | None:
    """Return the ways ``principal`` reads a request, any one of which suffices (None: all).

    The matrix office: the request is in the queue of its matrix or of a matrix below it, or
    its lead or a co-handler is an organisation of one of those matrices; a handler: its organisation leads or co-handles it. Each
    way alone can use an index (a count or a page may run them one by one); [] reads nothing.

    With a ``session``, an office's matrices and organisations are read first and written
    into the ways as lists of ids when short (:func:`office_scope`): the planner then sees
    how few they are.
    """
    if principal.role == "admin":
        return None
    if principal.role == "matrix_office" and principal.matrix_id is not None:
        matrices: Select[int] | list[int]
        orgs: Select[int | None] | list[int]
        if session is not None:
            matrices, orgs = office_scope(session, principal.matrix_id)
        else:
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


def readable_ids(
    session: Session, principal: Principal, *where: ColumnElement[bool],
    columns: Sequence[Any] = (),
) -> Select[Any] | CompoundSelect[Any]:  # fmt: skip
    """Return a SELECT of the ids (and ``columns``) of the requests ``principal`` reads that
    match ``where``, each request once.

    The union of one query per way (:func:`readable_ways`): each can use its index
    (``(matrix_id, received_at)``, ``(organization_id, received_at)``, the co-handlers'),
    where their OR in one query makes the database test every request of ``where`` against
    each way — seconds for a month of a national desk. An office's matrices and
    organisations are read first (:func:`office_scope`).
    """
    sr = ServiceRequest
    ways = readable_ways(principal, session)
    if ways is None:
        return select(sr.id, *columns).where(*where)
    if not ways:
        return select(sr.id, *columns).where(false())
    return union(*(select(sr.id, *columns).where(way, *where) for way in ways))


def readable_requests(principal: Principal) -> Select[ServiceRequest]:
    """Return a SELECT of the requests ``principal`` may read unmasked."""
    query = select(ServiceRequest)
    ways = readable_ways(principal)
    if ways is None:
        return query
    return query.where(or_(*ways)) if ways else query.where(false())


# A national office reads most requests: its newest is among the newest few of all, which
# are read first and checked one by one (see :func:`latest_received`).
NEWEST_WALK = 1000


def latest_received(session: Session, principal: Principal) -> datetime | None:
    """Return the newest ``received_at`` of the requests ``principal`` reads (None: none).

    The same as ``max(received_at)`` over :func:`readable_requests`, taken one way at a
    time so that each is an index probe: for a matrix office, the newest request of each of
    its matrices and of each of their organisations (``(matrix_id, received_at)`` and
    ``(organization_id, received_at)``), and of the requests they co-handle. Over the
    disjunction of the ways at once, the database read every request the office reads (or
    walked the whole table by date): seconds at national scale.

    An office with too many organisations for a list (:func:`office_scope`; a national one
    has about 100,000) would probe each, about 1 s: its newest request is looked for first
    among the newest :data:`NEWEST_WALK` requests of all (:func:`_newest_walked`), and the
    probes are run only if it reads none of them.
    """
    sr = ServiceRequest
    newest = func.max(sr.received_at)
    ways = readable_ways(principal)
    if ways is None:
        return session.scalar(select(newest))
    queries: list[Select[datetime]]
    if principal.role == "matrix_office" and principal.matrix_id is not None:
        matrices, orgs = office_scope(session, principal.matrix_id)
        if not isinstance(orgs, list):
            found_early = session.scalar(_newest_walked(matrices))
            if found_early is not None:
                return found_early
        each_matrix = select(Matrix.id).where(Matrix.id.in_(matrices)).subquery("desk_newest_m")
        each_org = (
            select(Organization.id.label("organization_id"))
            .where(Organization.id.in_(orgs))
            .subquery("desk_newest_o")
        )
        queries = [
            select(
                func.max(select(newest).where(sr.matrix_id == each_matrix.c.id).scalar_subquery())
            ).select_from(each_matrix),
            select(
                func.max(
                    select(newest)
                    .where(sr.organization_id == each_org.c.organization_id)
                    .scalar_subquery()
                )
            ).select_from(each_org),
            select(
                func.max(
                    select(newest)
                    .join(RequestHelper, RequestHelper.request_id == sr.id)
                    .where(RequestHelper.organization_id == each_org.c.organization_id)
                    .scalar_subquery()
                )
            ).select_from(each_org),
        ]
    else:
        queries = [select(newest).where(way) for way in ways]
    found = [at for query in queries if (at := session.scalar(query)) is not None]
    return max(found, default=None)


def _newest_walked(matrices: Select[int] | list[int]) -> Select[datetime]:
    """Return a SELECT of the newest ``received_at`` an office of ``matrices`` reads among the
    newest :data:`NEWEST_WALK` requests of all (NULL: none of them).

    Exact when not NULL: every request left out is no newer than those walked. The
    newest requests come from ``(received_at, id)`` backwards; each is tested in turn by the
    ways of :func:`readable_ways`, its organisations looked up by index (its accounts, their
    memberships) rather than by building the set of the office's ~100,000 organisations.
    """
    sr = ServiceRequest
    walked = (
        select(sr.id, sr.received_at, sr.matrix_id, sr.organization_id)
        .order_by(sr.received_at.desc(), sr.id.desc())
        .limit(NEWEST_WALK)
        .subquery("desk_walked")
    )
    ran_by_office = (
        select(Account.id)
        .join(MatrixMember, MatrixMember.account_id == Account.id)
        .where(MatrixMember.matrix_id.in_(matrices))
    )
    leads = ran_by_office.where(Account.organization_id == walked.c.organization_id).exists()
    helps = (
        ran_by_office.join(RequestHelper, RequestHelper.organization_id == Account.organization_id)
        .where(RequestHelper.request_id == walked.c.id)
        .exists()
    )
    return (
        select(walked.c.received_at)
        .where(or_(walked.c.matrix_id.in_(matrices), leads, helps))
        .order_by(walked.c.received_at.desc())
        .limit(1)
    )


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


# Who takes a hotline export in for the whole desk (web console and ``POST /api/desk/import``;
# the CLI runs as the system): the admin and the matrix office. A handler or operator of one
# organisation may not — the file's requests go to every body, not only to its own.
IMPORT_ROLES = ("matrix_office",)  # admin passes every role check


def may_import(principal: Principal) -> bool:
    """Return whether ``principal`` may import a hotline export (12345 导出表) for the desk
    (not a matrix office without a matrix: :func:`check_office_has_matrix`)."""
    return (
        principal.is_authenticated
        and principal.has_role(*IMPORT_ROLES)
        and not office_without_matrix(principal)
    )


def check_may_import(principal: Principal) -> None:
    """Refuse (403) a principal who may not import a hotline export (a matrix office without
    a matrix with its own reason)."""
    if not principal.is_authenticated:
        raise ForbiddenError("请先登录", "please log in")
    check_office_has_matrix(principal)
    if not may_import(principal):
        raise ForbiddenError(
            f"当前角色（{principal.role_label}）无权导入热线工单：只有矩阵管理员和平台管理员可以导入",
            f"role {principal.role!r} may not import a hotline export "
            "(matrix office and admin only)",
        )
