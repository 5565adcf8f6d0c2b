"""诉求办理: the service-desk queue and a request's page with every workflow action as a form.

Reading goes through :mod:`zhengwu.servicedesk.service` (``search``, ``get_readable``),
which apply the desk's one access rule: a handler sees only its organisation's requests.
Actions go through ``service.perform`` and its transition table; the forms offered are
the actions the presenter says this reader may take from the request's state.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Annotated, NamedTuple
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from zhengwu import regions
from zhengwu.accounts.models import Organization
from zhengwu.auth.principal import Principal
from zhengwu.chinatime import parse_china_time
from zhengwu.errors import InvalidInputError, ZhengwuError
from zhengwu.servicedesk import (
    access,
    deadlines,
    office_merges,
    presenters,
    scheduled,
    service,
    upload,
)
from zhengwu.servicedesk import filters as request_filters
from zhengwu.servicedesk.actions import FIELD_NAMES
from zhengwu.servicedesk.category import service as category_service
from zhengwu.servicedesk.models import SOURCE_LABELS, RequestHelper, ServiceRequest
from zhengwu.servicedesk.routing import reroute
from zhengwu.servicedesk.routing import service as routing_service
from zhengwu.servicedesk.schemas import MAX_REASON, MAX_REPLY, ActionInput
from zhengwu.servicedesk.workflow import (
    ACTION_LABELS,
    OPEN_STATES,
    REASON_REQUIRED,
    STATE_LABELS,
)
from zhengwu.validation_text import message_en, message_zh
from zhengwu.web.console.base import (
    ConsoleDB,
    ConsoleRoute,
    Viewer,
    Writer,
    int_or_none,
    render,
    require,
)

router = APIRouter(prefix="/console/desk", route_class=ConsoleRoute, include_in_schema=False)
PAGE = 100
# The deepest ``offset`` read (it reads every row before the page; the pager's links use a
# cursor instead).
MAX_OFFSET = 10_000
COUNT_CAP = 10_000  # the queue's total is counted this far ("10,000+" beyond)
MERGED_SHOWN = 20  # an office's calls merged outside its scope listed under its queue
_HELPED_IN_LIMIT = 20_000  # more co-handled requests than this: a join instead of IN (…)
# The fields each action's form asks for (its ActionInput fields).
ACTION_FIELDS: dict[str, tuple[str, ...]] = {
    "accept": (),
    "assign": ("organization_id", "reason"),
    "transfer": ("organization_id", "reason"),
    "return": ("reason",),
    "start": (),
    "reply": ("reply_text",),
    "resolve": ("reply_text",),
    "follow_up": ("satisfaction", "reason"),
    "reopen": ("reason",),
    "cohandle": ("helper_organization_ids",),
    "note": ("reason",),
    "request_extension": ("days", "reason"),
    "approve_extension": ("reason",),
    "refuse_extension": ("reason",),
    "supervise": ("reason",),
    "duplicate": ("duplicate_of", "reason"),
    "invalid": ("reason",),
    "reclassify": ("category_code",),
}
FIELD_LABELS = {
    "organization_id": "承办单位",
    "helper_organization_ids": "协办单位（可多选）",
    "reason": "理由 / 说明",
    "reply_text": "公开答复内容",
    "satisfaction": "满意度（1–5）",
    "days": "延期工作日数",
    "duplicate_of": "保留的诉求编号",
    "category_code": "新分类",
}
# The audit log also holds steps that are not workflow actions.
HISTORY_LABELS = {**ACTION_LABELS, "receive": "接收", "route": "自动派单", "merge": "合并重复件",
                  "recompute_deadline": "重算期限"}  # fmt: skip


def _before(value: str) -> datetime | None:
    """Parse the ``before`` cursor of the queue (an ISO timestamp), or refuse it."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInputError(
            f"无效的翻页位置：{value}", f"invalid page cursor: {value}"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _candidates(
    db: Session, principal: Principal, *, states: list[str] | None, codes: list[str] | None,
    overdue: bool, before: datetime | None, k: int,
) -> list[str] | None:  # fmt: skip
    """Return the newest ``k`` requests of each way ``principal`` reads requests, or None.

    The desk's access rule (:mod:`zhengwu.servicedesk.access`) is an OR of a few ways to
    read a request (the organisation leads it, co-handles it, the matrix's queue …); as one
    query that OR cannot use an index, so at national scale a filtered queue would scan
    the table. Each way alone is an index range scan, newest first; the first ``k`` rows of
    their union are among the first ``k`` of each. The page is then read through
    ``service.search`` restricted to these ids, which applies the access rule itself — so
    these ways only decide what is fast, never what may be read. An admin reads everything:
    a shortcut only for the overdue filter; None: no shortcut needed.
    """
    sr = ServiceRequest
    where: list[ColumnElement[bool]] = []
    if states:
        where.append(sr.state.in_(states))
    if codes:
        where.append(sr.category_code.in_(codes))
    if overdue:  # a second later than search's "now": a superset, never fewer rows
        where.append((sr.resolve_due < deadlines.desk_now(db) + timedelta(seconds=1))
                     & sr.state.in_(OPEN_STATES))  # fmt: skip
    if before is not None:
        where.append(sr.received_at < before)
    helpers: ColumnElement[bool] | None
    if principal.role == "matrix_office" and principal.matrix_id is not None:
        # The office's matrix and every matrix below it: a short id list (one CTE query).
        matrices = sorted(db.scalars(access.office_matrices(principal.matrix_id)))
        orgs = sorted({o for o in db.scalars(access.matrix_organizations(principal.matrix_id))
                       if o is not None})  # fmt: skip
        ways: list[ColumnElement[bool]] = [sr.matrix_id.in_(matrices)]
        if orgs:
            ways.append(sr.organization_id.in_(orgs))
        helpers = RequestHelper.organization_id.in_(orgs) if orgs else None
    elif principal.role in access.HANDLING_ROLES and principal.organization_id is not None:
        ways = [sr.organization_id == principal.organization_id]
        helpers = RequestHelper.organization_id == principal.organization_id
    elif overdue:
        # Overdue requests are old ones: walking the newest-first index would pass every
        # recent request first. Sorting by an expression (same values) makes the database
        # read the overdue ones from their own index instead, then keep the newest ``k``.
        newest = (func.coalesce(sr.received_at, sr.received_at).desc(), sr.id.desc())
        late = list(db.scalars(select(sr.id).where(*where).order_by(*newest).limit(k)))
        return sorted(db.scalars(select(sr.public_id).where(sr.id.in_(late)))) if late else []
    else:
        return None
    order = (sr.received_at.desc(), sr.id.desc())
    queries = [select(sr.public_id).where(way, *where).order_by(*order).limit(k) for way in ways]
    if helpers is not None:
        # The co-handled requests first (few, by the helpers' index), then their page.
        helped = list(db.scalars(select(RequestHelper.request_id).where(helpers).distinct()))
        if len(helped) > _HELPED_IN_LIMIT:
            queries.append(
                select(sr.public_id).join(RequestHelper, RequestHelper.request_id == sr.id)
                .where(helpers, *where).order_by(*order).limit(k)
            )  # fmt: skip
        elif helped:
            queries.append(
                select(sr.public_id).where(sr.id.in_(helped), *where).order_by(*order).limit(k)
            )
    found: set[str] = set()
    for query in queries:
        found.update(db.scalars(query))
    return sorted(found)


@router.get("", response_class=HTMLResponse)
def queue(
    request: Request, db: ConsoleDB, principal: Viewer, state: str = "", overdue: str = "",
    category: str = "", offset: int = 0, before: str = "", skip: int = 0, ticket: str = "",
    phone: str = "", channel: str = "", region: str = "", organization_id: str = "",
    start: str = "", end: str = "", unassigned: str = "",
) -> HTMLResponse:  # fmt: skip
    """List the requests you handle or oversee, newest first (filters: state, category with
    its subcategories, overdue, 未派单 (open, no body); the search box: ticket number or
    caller's phone; more: channel, region, organisation, received from / to), ``PAGE`` at
    a time.

    Pages go on from a cursor (``before`` = just after the last row's receipt time,
    ``skip`` = rows of that same instant already shown), so a deep page costs what the
    first does; ``offset`` (up to ``MAX_OFFSET``) is still read. The total is counted up
    to ``COUNT_CAP`` (shown as "10,000+" beyond).
    """
    require(principal, "desk")
    if state and state not in STATE_LABELS:
        raise InvalidInputError(f"未知状态：{state}", f"unknown state: {state}")
    tree = category_service.get_tree(db, include_inactive=True)
    codes = None
    if category:
        codes = [c.code for c in tree if category in category_service.lineage(tree, c.code)]
        if not codes:
            raise InvalidInputError(f"未知分类：{category}", f"unknown category: {category}")
    cursor = _before(before)
    first = min(max(offset, 0), MAX_OFFSET) + min(max(skip, 0), MAX_OFFSET)
    states = [state] if state else None
    asked = request_filters.RequestFilters(
        states=states, category_codes=codes, overdue=True if overdue == "1" else None,
        ticket=ticket.strip() or None, phone=phone.strip() or None,
        channels=[channel] if channel else None, region=region.strip() or None,
        organization_id=int_or_none(organization_id), start=_day(start, "start"),
        end=_day(end, "end", next_day=True), unassigned=True if unassigned == "1" else None,
    )  # fmt: skip
    request_filters.check_phone_allowed(asked, principal)
    request_filters.check(asked)
    total = request_filters.count(db, principal, asked, cap=COUNT_CAP)
    ends = [e for e in (cursor, asked.end) if e is not None]
    paged_filters = replace(asked, end=min(ends) if ends else None)
    # The fast path reads the newest rows per way of access under state, category and
    # overdue alone: with another filter the newest of those may all miss it.
    plain = asked == request_filters.RequestFilters(
        states=states, category_codes=codes, overdue=asked.overdue
    )
    ids = (
        _candidates(db, principal, states=states, codes=codes, overdue=overdue == "1",
                    before=cursor, k=first + PAGE + 1)
        if plain else None
    )  # fmt: skip
    found = (
        []
        if ids == []
        else service.search(
            db, principal=principal, ids=ids, filters=paged_filters, limit=PAGE + 1, offset=first
        )
    )  # fmt: skip
    rows = [presenters.summary(r, unmasked=True) for r in found[:PAGE]]
    overseer = principal.has_role("matrix_office")  # the admin too
    # The office's calls merged into requests outside its scope: read-only (office_merges).
    merged_total, merged_calls = office_merges.merged_calls(db, principal, limit=MERGED_SHOWN)
    orgs = _org_names(
        db, {r.organization_id for r in rows} | {c.organization_id for c in merged_calls}
    )
    kept = (("state", state), ("category", category), ("overdue", overdue), ("ticket", ticket),
            ("phone", phone), ("channel", channel), ("region", region),
            ("organization_id", organization_id), ("start", start), ("end", end),
            ("unassigned", unassigned))  # fmt: skip
    query = urlencode({k: v for k, v in kept if v})
    # The download carries the same filters (the API takes category codes, not a subtree).
    download = urlencode(
        [
            (k, v)
            for k, v in kept
            if v and k not in ("category", "overdue", "start", "end", "unassigned")
        ]
        + [("category", c) for c in codes or ()]
        + ([("overdue", "true")] if overdue == "1" else [])
        + ([("unassigned", "true")] if unassigned == "1" else [])
        + [(k, v.isoformat()) for k, v in (("start", asked.start), ("end", asked.end)) if v]
    )
    next_page = ""
    if len(found) > PAGE:
        last = rows[-1].received_at
        after = last + timedelta(microseconds=1)
        same = sum(1 for r in rows if r.received_at == last)
        if cursor is not None and after == cursor:  # the whole page was one instant
            same += first
        next_page = urlencode({"before": after.isoformat(), "skip": same})
    return render(
        request, "desk_queue.html", area="desk", rows=rows, orgs=orgs, state=state,
        overdue=overdue, category=category, paged=bool(first or cursor), next_page=next_page,
        query=query, state_labels=STATE_LABELS, source_labels=SOURCE_LABELS,
        ticket=ticket, phone=phone, channel=channel, region=region,
        organization_id=organization_id, start=start, end=end, unassigned=unassigned,
        total=total,
        count_cap=COUNT_CAP, download=download, organizations=_organizations(db, principal),
        phone_allowed=access.reads_requests(principal),
        categories=[c for c in tree if c.active or c.code == category],
        # Those who oversee the desk learn that requests wait because no rule exists.
        unrouted=routing_service.unrouted_without_rules(db) if overseer else 0,
        # Requests on no one's queue (no place, no rule, no fallback): the admin alone reads them.
        **ownerless_notice(db, principal)._asdict(),
        # Deadlines on the page that run into a year without an official schedule.
        provisional=deadlines.provisional_years((r.received_at, r.resolve_due) for r in rows),
        # Requests taken in past their deadline (imported history): the sweep leaves them.
        late_intake=scheduled.overdue_at_intake(db, within=principal),
        late_intake_cap=scheduled.NOTICE_CAP,
        # The import form (导入热线工单), for those who take requests in for the whole desk.
        may_import=access.may_import(principal), import_sources=upload.import_sources(),
        no_matrix=access.office_without_matrix(principal),  # why it has neither form nor rows
        max_mb=upload.MAX_UPLOAD_BYTES // (1024 * 1024), source="", public=False,
        merged_total=merged_total, merged_calls=merged_calls,
    )  # fmt: skip


class OwnerlessNotice(NamedTuple):
    """The template variables of ``_ownerless_notice.html`` (and of its re-route form)."""

    ownerless: int  # open requests with no body on no matrix's queue
    has_fallback: bool  # a city-wide fallback is in force
    reroutable: int  # received with no body while rules are in force: 重新派单 examines them


def ownerless_notice(db: Session, principal: Principal) -> OwnerlessNotice:
    """Return the notice of requests on no one's queue (``_ownerless_notice.html``, on the
    desk queue and the routing page): how many, whether a city-wide fallback is in force,
    and how many waiting requests the re-route form (:mod:`.routing.reroute`) would examine
    — the admin's only (0 for everyone else: no notice, no form)."""
    if principal.role != "admin":
        return OwnerlessNotice(0, True, 0)
    waiting = reroute.waiting_count(db) if routing_service.has_rules(db) else 0
    return OwnerlessNotice(
        routing_service.ownerless(db), routing_service.has_city_fallback(db), waiting
    )


def _day(value: str, name: str, *, next_day: bool = False) -> datetime | None:
    """Parse a date (or date-time) of the filter form, China time; ``end`` takes its whole day."""
    if not value.strip():
        return None
    try:
        moment = parse_china_time(value)
    except ValueError:
        raise InvalidInputError(
            f"{name} 不是日期：{value}", f"{name} is not a date: {value}"
        ) from None
    return moment + timedelta(days=1) if next_day and len(value.strip()) == 10 else moment


def _organizations(db: Session, principal: Principal) -> list[tuple[int, str]]:
    """Return the organisations the organisation filter offers (those handling requests)."""
    query = select(Organization.id, Organization.name).order_by(Organization.name).limit(500)
    if principal.role in access.HANDLING_ROLES and principal.organization_id is not None:
        query = query.where(Organization.id == principal.organization_id)
    return [(int(i), str(n)) for i, n in db.execute(query)]


def _org_names(db: Session, ids: set[int | None]) -> dict[int, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    rows = db.execute(select(Organization.id, Organization.name).where(Organization.id.in_(wanted)))
    return {int(i): str(n) for i, n in rows}


def _detail_page(
    request: Request, db: Session, principal: Principal, public_id: str, *,
    error: ZhengwuError | None = None, values: dict[str, str] | None = None,
    failed_action: str | None = None,
) -> HTMLResponse:  # fmt: skip
    req = service.get_viewable(db, principal=principal, public_id=public_id)
    detail = presenters.detail(db, req, principal)
    organizations = list(db.execute(select(Organization.id, Organization.name)
                                    .order_by(Organization.name).limit(1000)))  # fmt: skip
    names = {int(i): str(n) for i, n in organizations}
    tree = category_service.get_tree(db)
    division = regions.get(detail.adcode) if detail.adcode else None
    return render(
        request, "desk_request.html", area="desk", r=detail, orgs=names,
        organizations=organizations, categories=tree,
        category_names={c.code: c.name for c in tree}, division=division,
        action_labels=ACTION_LABELS, history_labels=HISTORY_LABELS, action_fields=ACTION_FIELDS, field_labels=FIELD_LABELS,
        reason_required=REASON_REQUIRED, state_labels=STATE_LABELS, source_labels=SOURCE_LABELS,
        error=error, values=values or {}, failed_action=failed_action,
        max_lengths={"reply_text": MAX_REPLY, "reason": MAX_REASON},
        provisional=deadlines.provisional_years(
            [(detail.received_at, detail.response_due), (detail.received_at, detail.resolve_due)]
        ),
        status_code=error.status_code if error else 200,
    )  # fmt: skip


@router.get("/{public_id}", response_class=HTMLResponse)
def request_page(
    request: Request, db: ConsoleDB, principal: Viewer, public_id: str
) -> HTMLResponse:
    """Show a request: fields, actions you may take, audit history, outbox, sources."""
    require(principal, "desk")
    return _detail_page(request, db, principal, public_id)


def _action_input(
    *, reason: str, organization_id: str, helper_organization_ids: list[str], days: str,
    reply_text: str, satisfaction: str, duplicate_of: str, category_code: str,
    expected_version: str,
) -> ActionInput:  # fmt: skip
    try:
        return ActionInput(
            reason=reason.strip() or None, organization_id=int_or_none(organization_id),
            helper_organization_ids=[int(h) for h in helper_organization_ids if h.strip()],
            days=int_or_none(days), reply_text=reply_text.strip() or None,
            satisfaction=int_or_none(satisfaction), duplicate_of=duplicate_of.strip() or None,
            category_code=category_code.strip() or None,
            expected_version=int_or_none(expected_version),
        )  # fmt: skip
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        label = FIELD_LABELS.get(where, where)
        en = FIELD_NAMES.get(where, (where, where))[1]
        raise InvalidInputError(
            f"{label} 无效：{message_zh(first)}", f"invalid {en}: {message_en(first)}"
        ) from None
    except ValueError:
        raise InvalidInputError("协办单位编号无效", "invalid helper organisation id") from None


@router.post("/{public_id}/act", response_class=HTMLResponse)
def act(
    request: Request,
    db: ConsoleDB,
    principal: Writer,
    public_id: str,
    action: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
    organization_id: Annotated[str, Form()] = "",
    helper_organization_ids: Annotated[list[str] | None, Form()] = None,
    days: Annotated[str, Form()] = "",
    reply_text: Annotated[str, Form()] = "",
    satisfaction: Annotated[str, Form()] = "",
    duplicate_of: Annotated[str, Form()] = "",
    category_code: Annotated[str, Form()] = "",
    expected_version: Annotated[str, Form()] = "",
) -> Response:
    """Perform a workflow action from its form; errors come back in the form (4xx)."""
    require(principal, "desk")
    values = {"reason": reason, "organization_id": organization_id, "days": days,
              "reply_text": reply_text, "satisfaction": satisfaction,
              "duplicate_of": duplicate_of, "category_code": category_code}  # fmt: skip
    try:
        data = _action_input(
            reason=reason, organization_id=organization_id,
            helper_organization_ids=helper_organization_ids or [], days=days,
            reply_text=reply_text, satisfaction=satisfaction, duplicate_of=duplicate_of,
            category_code=category_code, expected_version=expected_version,
        )  # fmt: skip
        req = service.get_readable(db, principal=principal, public_id=public_id)
        service.perform(db, request=req, action=action, actor=principal, data=data)
    except ZhengwuError as exc:
        if exc.status_code == 404:
            raise
        # Nothing of the refused action may stay: roll back, then show the form again.
        db.rollback()
        return _detail_page(request, db, principal, public_id, error=exc, values=values,
                            failed_action=action)  # fmt: skip
    return RedirectResponse(f"/console/desk/{public_id}?done=desk-{action}", status_code=303)
