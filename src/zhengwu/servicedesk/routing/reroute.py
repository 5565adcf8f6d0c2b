"""Re-route the requests that wait with no body (未派单) through the rules in force now.

A request is routed once, when it comes in (:func:`zhengwu.servicedesk.service.build_new_request`):
one that no rule matched then — taken in before any rule existed, or before the fallback
(兜底) that now owns it — waits unassigned in a matrix's dispatch queue or, with no place,
on no queue but the admin's. A rule added later routes the next requests, not these.
:func:`reroute` routes them as intake would now, as one unit of work (``zhengwu desk
routing reroute``, ``POST /api/desk/routing/reroute``, the console's 无人承办 notice).

**Which requests.** Open, with no body, in state 已接收 (``received``): nobody has acted
on them since intake. Left as they are, and counted in the summary:

- 已退单 (``returned``): the body that had it sent it back — the office dispatches it by
  hand; the rule that gave it to that body would give it straight back;
- any other open state without a body (a hotline export's reply recorded on a request no
  rule routed: the hotline answered it itself);
- one a matrix office kept in its own queue (its ``route`` entry's ``outside_scope``:
  :class:`zhengwu.servicedesk.access.OfficeQueue`) when the rules now send it where that
  office does not read it: the office kept it to dispatch within its matrix, and a
  re-route must not take it out of its sight. When the rules now name a body the office
  reads, it is routed — what the office kept it for;
- one that still matches no rule.

**What changes.** The body and the rule, and — for a request on no matrix's queue — the
queue of its place or body, as intake would pick it; a request on a matrix's queue stays
on it. State, category, place and deadlines do not move: they run from receipt. Each
routed request gets a ``route`` audit entry as intake writes one (rule, table version,
body, ``fallback`` and its reason when a fallback routed it) with ``rerouted``: why it
waited (:data:`WAITING`) and the queue it waited on; the run itself is audited
(``routing_reroute``). A row is updated only while it is still received, unassigned and
at the version read, so a dispatch by hand meanwhile wins (counted as ``changed``).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Table, bindparam, func, select, update
from sqlalchemy.orm import Session

from zhengwu.accounts.models import Account, Organization
from zhengwu.audit import service as audit_service
from zhengwu.audit.models import AuditEntry
from zhengwu.auth.principal import Principal
from zhengwu.db.base import utcnow
from zhengwu.servicedesk import access, snapshot
from zhengwu.servicedesk.category import service as category_service
from zhengwu.servicedesk.models import ServiceRequest
from zhengwu.servicedesk.routing import fallback
from zhengwu.servicedesk.routing import service as routing_service
from zhengwu.servicedesk.routing.models import RoutingRule
from zhengwu.servicedesk.workflow import OPEN_STATES

# A waiting request as a re-route reads it (:func:`_batches`).
_Waiting = Row[int, str, int, str | None, str | None, str | None, str, int | None, datetime]
BATCH = 500  # requests read (and their route entries) per query
LISTED = 10_000  # routed requests the summary lists one by one (all are counted)

# Why a re-routed request had waited: code → (Chinese, English).
WAITING: Mapping[str, tuple[str, str]] = {
    "no_rules": ("受理时没有任何路由规则", "no routing rule was in force when it came in"),
    "no_rule": ("受理时没有匹配的路由规则", "no routing rule matched it when it came in"),
    "office_queue": (
        "登记方矩阵管理员将其留在本矩阵的队列待派单",
        "the matrix office that took it in kept it in its own queue to dispatch",
    ),
}


def reason(waiting: str, fallback_why: str | None) -> str:
    """Return the re-route's ``route`` entry reason, in Chinese and English: why it waited,
    and — when a fallback routed it now — why the fallback (:data:`fallback.WHY`)."""
    zh, en = WAITING[waiting]
    said_zh, said_en = (
        f"重新派单：{zh}，现按现行路由规则派单",
        f"re-routed: {en}; routed now by the rules in force",
    )
    if fallback_why is not None:
        why_zh, why_en = fallback.WHY[fallback_why]
        said_zh += f"（兜底派单：{why_zh}）"
        said_en += f" (fallback: {why_en})"
    return f"{said_zh} / {said_en}"


@dataclass(frozen=True, slots=True)
class Rerouted:
    """One request routed by a re-route (or, in a dry run, that would be)."""

    public_id: str
    organization_id: int
    organization: str  # the body's name
    matrix_id: int | None
    routing_rule_id: int
    waiting: str  # a key of WAITING
    fallback: str | None  # a key of fallback.WHY, when a fallback routed it


@dataclass(slots=True)
class RerouteSummary:
    """What a re-route did (or, ``dry_run``, would do).

    ``waiting``: the requests examined (received, no body); of them ``rerouted``,
    ``no_rule`` (still no rule matches), ``kept_in_office`` (a matrix office keeps it: the
    rules send it outside its scope) and ``changed`` (acted on meanwhile). ``returned`` and
    ``other_states``: open requests with no body left to the office, not examined.
    ``routed`` lists the first :data:`LISTED` routed requests.
    """

    dry_run: bool
    version: int = 0  # the routing table version the requests were routed by
    waiting: int = 0
    rerouted: int = 0
    no_rule: int = 0
    kept_in_office: int = 0
    changed: int = 0
    returned: int = 0
    other_states: int = 0
    fallbacks: int = 0  # of ``rerouted``, those a fallback routed
    routed: list[Rerouted] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Return the summary as the API and ``--json`` give it."""
        return asdict(self)


def _unassigned() -> list[Any]:
    return [ServiceRequest.organization_id.is_(None), ServiceRequest.state.in_(OPEN_STATES)]


def waiting_count(session: Session) -> int:
    """Return how many requests a re-route would examine: received, no body (未派单)."""
    query = select(func.count(ServiceRequest.id)).where(
        ServiceRequest.organization_id.is_(None), ServiceRequest.state == "received"
    )
    return int(session.scalar(query) or 0)


class _InForce:
    """Whether any routing rule was in force at a moment (the spans of the whole table)."""

    def __init__(self, session: Session) -> None:
        spans = sorted(
            session.execute(select(RoutingRule.valid_from, RoutingRule.valid_to)).all(),
            key=lambda span: span[0],
        )
        self._starts: list[datetime] = []
        self._ends: list[datetime | None] = []
        for start, end in spans:  # merged: the union of the spans, in order
            if self._ends and (self._ends[-1] is None or start <= self._ends[-1]):
                last = self._ends[-1]
                self._ends[-1] = None if last is None or end is None else max(last, end)
                continue
            self._starts.append(start)
            self._ends.append(end)

    def at(self, moment: datetime) -> bool:
        """Return whether a rule was in force at ``moment``."""
        i = bisect.bisect_right(self._starts, moment) - 1
        if i < 0:
            return False
        end = self._ends[i]
        return end is None or moment < end


def _batches(session: Session) -> Iterator[Sequence[_Waiting]]:
    """Yield the waiting requests' columns a re-route needs, :data:`BATCH` at a time."""
    sr = ServiceRequest
    columns = (sr.id, sr.public_id, sr.version, sr.category_code, sr.adcode, sr.account_uid,
               sr.source, sr.matrix_id, sr.received_at)  # fmt: skip
    last = 0
    while True:
        rows = session.execute(
            select(*columns)
            .where(sr.organization_id.is_(None), sr.state == "received", sr.id > last)
            .order_by(sr.id).limit(BATCH)
        ).all()  # fmt: skip
        if not rows:
            return
        yield rows
        last = rows[-1].id


_T: Table = ServiceRequest.__table__  # type: ignore[assignment]
# One row's assignment, only while it is still received, unassigned and at the version read.
# Core on the connection: no ORM bookkeeping per row, and no autoflush of the audit entries
# added meanwhile (they go out together, once per batch).
_ASSIGN = (
    update(_T)
    .where(_T.c.id == bindparam("rid"), _T.c.version == bindparam("read_version"),
           _T.c.organization_id.is_(None), _T.c.state == "received")
    .values(organization_id=bindparam("org"), routing_rule_id=bindparam("rule"),
            matrix_id=bindparam("queue"), version=_T.c.version + 1, updated_at=bindparam("at"))
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class _RouteEntry:
    """What a re-route reads of a request's latest ``route`` audit entry."""

    at: datetime
    data: dict[str, Any] | None


def _route_entries(session: Session, ids: Sequence[int]) -> dict[int, _RouteEntry]:
    """Return each request's latest ``route`` audit entry (by the audit log's entity index)."""
    a = AuditEntry
    rows = session.execute(
        select(a.entity_id, a.at, a.data)
        .where(a.entity_type == "request", a.entity_id.in_(ids), a.action == "route")
        .order_by(a.id)
    )  # fmt: skip
    return {entity_id: _RouteEntry(at, data) for entity_id, at, data in rows}


def _left(session: Session, summary: RerouteSummary) -> None:
    """Count the open requests with no body a re-route leaves to the office."""
    query = (
        select(ServiceRequest.state, func.count(ServiceRequest.id))
        .where(*_unassigned(), ServiceRequest.state != "received")
        .group_by(ServiceRequest.state)
    )
    for state, n in session.execute(query).all():
        if state == "returned":
            summary.returned += int(n)
        else:
            summary.other_states += int(n)


class _Rerouter:
    """Route one batch after another with what they share (the snapshot, office queues)."""

    def __init__(self, session: Session, *, actor: Principal, now: datetime, dry_run: bool):
        self.session, self.actor, self.now, self.dry_run = session, actor, now, dry_run
        self.config = snapshot.current(session)
        self.nodes = {c.code: c for c in self.config.tree}
        self.in_force = _InForce(session)
        self.offices: dict[int, access.OfficeQueue] = {}
        self.accounts: dict[tuple[str, str], Account | None] = {}
        self.names: dict[int, str] = {}

    def _name(self, organization_id: int) -> str:
        if organization_id not in self.names:
            query = select(Organization.name).where(Organization.id == organization_id)
            self.names[organization_id] = self.session.scalar(query) or str(organization_id)
        return self.names[organization_id]

    def _office(self, matrix_id: int) -> access.OfficeQueue:
        if matrix_id not in self.offices:
            self.offices[matrix_id] = access.OfficeQueue(self.session, matrix_id)
        return self.offices[matrix_id]

    def _account(self, uid: str | None, source: str) -> Account | None:
        from zhengwu.servicedesk import service

        if not uid:
            return None
        key = (uid, source)
        if key not in self.accounts:
            self.accounts[key] = service.addressed_account(self.session, uid, source)
        return self.accounts[key]

    def _waited(self, row: _Waiting, entry: _RouteEntry | None) -> tuple[str, int | None]:
        """Return why ``row`` waited (a key of :data:`WAITING`) and the office that kept it."""
        data = (entry.data if entry is not None else None) or {}
        office = data.get("office_matrix_id") if data.get("outside_scope") else None
        if isinstance(office, int):
            return "office_queue", office
        return ("no_rule" if self.in_force.at(entry.at if entry else row.received_at)
                else "no_rules"), None  # fmt: skip

    def route(self, row: _Waiting, entry: _RouteEntry | None, summary: RerouteSummary) -> None:
        """Route one waiting request (or, in a dry run, say how it would be routed)."""
        from zhengwu.servicedesk import service

        tree = self.config.tree
        lineage = category_service.lineage(tree, row.category_code, by_code=self.nodes)
        rule = routing_service.route(
            self.session, category_codes=lineage, adcode=row.adcode, at=self.now,
            rules=self.config.routing,
        )  # fmt: skip
        if rule is None:
            summary.no_rule += 1
            return
        waiting, office = self._waited(row, entry)
        account = self._account(row.account_uid, row.source)
        queue = service.matrix_for(
            self.session, self.config, account, row.adcode, rule.organization_id
        )
        if office is not None and not self._office(office).covers(queue, rule.organization_id):
            summary.kept_in_office += 1
            return
        matrix_id = row.matrix_id if row.matrix_id is not None else queue
        why = fallback.why(rule, adcode=row.adcode, category_code=row.category_code)
        if not self.dry_run and not self._write(row, rule, matrix_id, waiting, why):
            summary.changed += 1
            return
        summary.rerouted += 1
        summary.fallbacks += why is not None
        if len(summary.routed) < LISTED:
            name = self._name(rule.organization_id)
            routed = Rerouted(row.public_id, rule.organization_id, name, matrix_id, rule.id,
                              waiting, why)  # fmt: skip
            summary.routed.append(routed)

    def _write(
        self, row: _Waiting, rule: snapshot.RuleNode, matrix_id: int | None, waiting: str,
        why: str | None,
    ) -> bool:  # fmt: skip
        """Give the request its body and audit it; False when it changed since it was read."""
        from zhengwu.servicedesk import service

        done = self.session.connection().execute(_ASSIGN, {
            "rid": row.id, "read_version": row.version, "org": rule.organization_id,
            "rule": rule.id, "queue": matrix_id, "at": self.now,
        })  # fmt: skip
        if done.rowcount != 1:
            return False
        data = service.route_entry_data(rule, category_code=row.category_code, adcode=row.adcode)
        if why is not None:
            data["fallback"] = why
        data["rerouted"] = {"waiting": waiting, "matrix_id": row.matrix_id}
        audit_service.record(
            self.session, entity_type="request", entity_id=row.id, action="route",
            actor=self.actor, from_state="received", to_state="received", at=self.now,
            reason=reason(waiting, why), data=data,
        )  # fmt: skip
        return True


def reroute(
    session: Session, *, actor: Principal, dry_run: bool = False, now: datetime | None = None
) -> RerouteSummary:
    """Route the requests waiting with no body through the rules in force ``now`` (admin).

    See the module's docstring for which requests are routed and what changes. With
    ``dry_run`` nothing is written. The caller commits (one unit of work).
    """
    actor.require("admin")
    now = now or utcnow()
    summary = RerouteSummary(dry_run=dry_run, version=routing_service.table_version(session))
    _left(session, summary)
    if not routing_service.has_rules(session, at=now):
        summary.waiting = summary.no_rule = waiting_count(session)
        return summary
    rerouter = _Rerouter(session, actor=actor, now=now, dry_run=dry_run)
    for rows in _batches(session):
        entries = _route_entries(session, [row.id for row in rows])
        for row in rows:
            summary.waiting += 1
            rerouter.route(row, entries.get(row.id), summary)
        session.flush()  # the batch's route entries, in one go
    if not dry_run and summary.rerouted:
        _forget(session)
        audit_service.record(
            session, entity_type="routing_reroute", entity_id=summary.version,
            action="reroute", actor=actor, at=now,
            data={k: v for k, v in summary.to_dict().items() if k != "routed"},
        )  # fmt: skip
    return summary


def _forget(session: Session) -> None:
    """Expire the session's copies of requests: the re-route updated rows behind the ORM."""
    for obj in list(session.identity_map.values()):
        if isinstance(obj, ServiceRequest):
            session.expire(obj)
