"""Count open requests' deadlines again after a new working-day calendar was loaded.

A deadline is stored when it is set, so loading the State Council's schedule of a year
(``zhengwu desk calendar import``) changes no request by itself: a request received on 15
December 2026 keeps the 15-working-day deadline counted without that year's 调休. This
module counts such deadlines again, on the calendar in force, for the requests still open:

* the response deadline (受理期限) while nobody has answered, the resolve deadline (办结
  期限) while the request is not resolved — and only while the stored deadline is still
  ahead: a deadline that has passed was judged (and supervised) and stays as it was;
* the working days come from the request's own record: the receive entry (the category's
  days at intake, or the category's days now for requests taken in before the entry kept
  them), the last reopening (it set the resolve deadline anew) and the approved extensions
  after it;
* a deadline changes only when that record, counted on an earlier calendar (the built-in
  one with statutory holidays, the weekday-only one of earlier versions, or the calendar
  just replaced), gives exactly the stored deadline. One it does not explain — a category
  edited since, a deadline set by hand — is left alone and listed;
* each change is written to the audit log (``recompute_deadline``: which deadline, old,
  new, working days, calendar) in the same transaction as the change.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhengwu.audit import service as audit_service
from zhengwu.audit.models import AuditEntry
from zhengwu.auth.principal import Principal
from zhengwu.db.base import utcnow
from zhengwu.servicedesk import workdays
from zhengwu.servicedesk.category import service as category_service
from zhengwu.servicedesk.models import ServiceRequest
from zhengwu.servicedesk.service import DEFAULT_RESOLVE_DAYS, DEFAULT_RESPONSE_DAYS
from zhengwu.servicedesk.workflow import OPEN_STATES

ACTION = "recompute_deadline"
LABEL = "重算期限"
BATCH = 500
_FIELDS = {"response_due": "受理期限", "resolve_due": "办结期限"}


@dataclass(frozen=True, slots=True)
class Change:
    """One deadline counted again: which request and field, before and after."""

    public_id: str
    field: str  # response_due | resolve_due
    old: datetime
    new: datetime
    days: int

    def to_dict(self) -> dict[str, Any]:
        """Return the change as JSON-ready values."""
        return {"public_id": self.public_id, "field": self.field, "old": self.old.isoformat(),
                "new": self.new.isoformat(), "days": self.days}  # fmt: skip


@dataclass(slots=True)
class Report:
    """What a recompute run looked at, changed and left alone."""

    checked: int = 0  # open requests with a deadline still ahead
    unchanged: int = 0  # deadlines the calendar in force gives as stored
    changed: list[Change] = field(default_factory=list)
    unexplained: list[tuple[str, str]] = field(default_factory=list)  # (public_id, field)

    def to_dict(self) -> dict[str, Any]:
        """Return the report as JSON-ready values."""
        return {
            "checked": self.checked, "unchanged": self.unchanged,
            "changed": [c.to_dict() for c in self.changed],
            "unexplained": [{"public_id": p, "field": f} for p, f in self.unexplained],
        }  # fmt: skip


@dataclass(slots=True)
class _Chain:
    """How a deadline was set: from ``anchor``, ``days`` working days, then extensions."""

    anchor: datetime
    days: int
    extensions: list[int]

    def due(self, cal: workdays.WorkCalendar) -> datetime:
        moment = workdays.add_working_days(self.anchor, self.days, calendar=cal)
        for extra in self.extensions:
            moment = workdays.add_working_days(moment, extra, calendar=cal)
        return moment


def recompute_open(
    session: Session,
    *,
    calendar: workdays.WorkCalendar,
    actor: Principal,
    earlier: Sequence[workdays.WorkCalendar] = (),
    now: datetime | None = None,
    dry_run: bool = False,
) -> Report:
    """Count the deadlines of open requests again on ``calendar`` (see the module notes).

    ``earlier``: calendars the stored deadlines may have been counted on besides the
    built-in ones (the file an import just replaced). With ``dry_run`` nothing is written.
    """
    now = now or utcnow()
    candidates = [calendar, workdays.DEFAULT, workdays.WEEKDAYS_ONLY, *earlier]
    days_of = {c.code: (c.response_days, c.resolve_days)
               for c in category_service.get_tree(session, include_inactive=True)}  # fmt: skip
    report = Report()
    last_id = 0
    while True:
        batch = list(session.scalars(
            select(ServiceRequest)
            .where(ServiceRequest.id > last_id, ServiceRequest.state.in_(OPEN_STATES),
                   (ServiceRequest.resolve_due > now) | (ServiceRequest.response_due > now))
            .order_by(ServiceRequest.id).limit(BATCH)
        ))  # fmt: skip
        if not batch:
            return report
        last_id = batch[-1].id
        history = _history(session, [r.id for r in batch])
        for request in batch:
            report.checked += 1
            for name, chain in _chains(request, history[request.id], days_of, now).items():
                _one(session, request, name, chain, calendar, candidates, report, actor, now,
                     dry_run)  # fmt: skip
        if not dry_run:
            session.flush()


def _history(session: Session, ids: list[int]) -> dict[int, list[AuditEntry]]:
    found: dict[int, list[AuditEntry]] = defaultdict(list)
    for entry in session.scalars(
        select(AuditEntry)
        .where(AuditEntry.entity_type == "request", AuditEntry.entity_id.in_(ids),
               AuditEntry.action.in_(("receive", "reopen", "approve_extension")))
        .order_by(AuditEntry.at, AuditEntry.id)
    ):  # fmt: skip
        found[entry.entity_id].append(entry)
    return found


def _chains(
    request: ServiceRequest, history: list[AuditEntry], days_of: dict[str, tuple[int, int]],
    now: datetime,
) -> dict[str, _Chain]:  # fmt: skip
    """Return how each deadline still to be counted again was set, from the record."""
    received = next((e.data or {} for e in history if e.action == "receive"), {})
    intake_code = received.get("category_code", request.category_code)
    defaults = days_of.get(intake_code or "", (DEFAULT_RESPONSE_DAYS, DEFAULT_RESOLVE_DAYS))
    chains: dict[str, _Chain] = {}
    if request.first_response_at is None and request.response_due is not None:
        days = _int(received.get("response_days"), defaults[0])
        chains["response_due"] = _Chain(request.received_at, days, [])
    if request.resolved_at is None and request.resolve_due is not None:
        chain = _Chain(request.received_at, _int(received.get("resolve_days"), defaults[1]), [])
        for entry in history:
            data = entry.data or {}
            if entry.action == "reopen":
                now_days = days_of.get(request.category_code or "", defaults)[1]
                chain = _Chain(entry.at, _int(data.get("days"), now_days), [])
            elif entry.action == "approve_extension":
                chain.extensions.append(_int(data.get("days"), 0))
        chains["resolve_due"] = chain
    return {name: chain for name, chain in chains.items() if getattr(request, name) > now}


def _int(value: object, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _one(
    session: Session, request: ServiceRequest, name: str, chain: _Chain,
    calendar: workdays.WorkCalendar, candidates: list[workdays.WorkCalendar], report: Report,
    actor: Principal, now: datetime, dry_run: bool,
) -> None:  # fmt: skip
    stored: datetime = getattr(request, name)
    new = chain.due(calendar)
    if new == stored:
        report.unchanged += 1
        return
    if not any(chain.due(c) == stored for c in candidates[1:]):
        report.unexplained.append((request.public_id, name))
        return
    days = chain.days + sum(chain.extensions)
    report.changed.append(Change(request.public_id, name, stored, new, days))
    if dry_run:
        return
    setattr(request, name, new)
    request.updated_at = now
    audit_service.record(
        session, entity_type="request", entity_id=request.id, action=ACTION, actor=actor,
        from_state=request.state, to_state=request.state, at=now,
        reason=f"载入新的工作日历后重算{_FIELDS[name]} / deadline counted again on the new "
        "working-day calendar",
        data={"field": name, "old": stored.isoformat(), "new": new.isoformat(),
              "anchor": chain.anchor.isoformat(), "days": chain.days,
              "extensions": chain.extensions, "calendar": calendar.source},
    )  # fmt: skip
