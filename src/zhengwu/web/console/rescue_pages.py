"""救援调度: incidents, the triage queue with its explanation, a help request's forms, and
the coordinator's forms for incidents (新建事件, edit with the 灾情说明, close). The team
pages (救援队伍) are in :mod:`zhengwu.web.console.rescue_team_pages` and share the form
helpers below.

Every request is shown through :func:`zhengwu.rescue.access.view` (masked unless the
viewer acts on it), and every change goes through :mod:`zhengwu.rescue.dispatch`, whose
role checks and transition table decide; a refused change comes back in its form.
Incidents and teams are created and changed through :mod:`zhengwu.rescue.service` (which
audits them) by the roles the JSON API allows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhengwu import regions
from zhengwu.accounts import phones as published_phones
from zhengwu.audit import service as audit_service
from zhengwu.auth.principal import Principal
from zhengwu.errors import ConflictError, InvalidInputError, ZhengwuError
from zhengwu.privacy.phones import PhoneError, normalise_phone
from zhengwu.regions.address import resolve_address
from zhengwu.rescue import (
    access,
    claims,
    corrections,
    dispatch,
    intake,
    listing,
    lookup,
    notices,
    spreadsheet,
)
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.labels import (
    INCIDENT_TYPE_LABELS,
    NEED_LABELS,
    URGENCY_LABELS,
    VULNERABILITY_LABELS,
    history_reason,
)
from zhengwu.rescue.models import (
    OUTCOMES,
    VERIFY_METHODS,
    VERIFY_RESULTS,
    HelpRequest,
    Incident,
)
from zhengwu.rescue.schemas import (
    DESCRIPTION_MAX,
    IncidentCreate,
    IncidentUpdate,
    RequestEdit,
    RequestMerge,
)
from zhengwu.rescue.workflow import OPEN_STATES, STATE_LABELS
from zhengwu.validation_text import message_en, message_zh
from zhengwu.web import charts
from zhengwu.web.console import places
from zhengwu.web.console.base import (
    CHINA,
    ConsoleDB,
    ConsoleRoute,
    Pager,
    Viewer,
    Writer,
    int_or_none,
    render,
    require,
)

# Who creates, edits and closes incidents and registers teams (admin passes every check),
# as in the JSON API (``zhengwu.rescue.views``).
MANAGE_ROLES = ("dispatcher",)

QUEUE_PAGE = 100  # requests per page of the triage queue (an incident may have thousands)

_M = TypeVar("_M", bound=BaseModel)
router = APIRouter(prefix="/console/rescue", route_class=ConsoleRoute, include_in_schema=False)
LABELS = {
    "parts": {"urgency": "紧急程度", "vulnerable": "弱势人群", "people": "待救人数",
              "hazard": "险情", "waiting": "等待时长", "verification": "核实结果"},
    "flags": {"unverified": "未核实", "false": "信息不实", "unreachable": "联系不上",
              "already_rescued": "已获救", "stale": "需重新核实", "reported_rescued": "自称已获救",
              "partial": "部分救出", "no_contact": "无联系方式", "incomplete": "信息不全",
              "new_info": "求助人有新补充"},
    "methods": {"phone": "电话核实", "on_site": "现场核实", "official_source": "官方信息"},
    "results": {"confirmed": "属实", "false": "不实", "unreachable": "联系不上",
                "already_rescued": "已获救", "unverified": "未核实"},
    "outcomes": dict(notices.OUTCOME_LABELS),
    "fulfil_outcomes": {"rescued": "已救出", "relocated": "已转移"},
    "urgency": URGENCY_LABELS,
    "vulnerabilities": VULNERABILITY_LABELS,
    "needs": NEED_LABELS,
    "states": STATE_LABELS,
    "history": {"create": "登记", "verify": "核实", "fulfil": "记录救出人数", "merge": "合并镜像",
                "unmerge": "拆分来源", "people": "更正人数", "confirm_partial": "确认部分结束",
                "edit": "更正信息", "merge_manual": "人工合并", "merged_into": "合并到其他求助",
                "split_from": "拆分而来", "claim": "认领核实", "release_claim": "释放认领",
                "citizen_update": "求助人补充", "withdraw": "求助人撤回",
                "withdraw_request": "求助人请求撤回", "promote": "从未受理中登记",
                "copy_facts": "转发补充"},
    "deliveries": {"queued": "待发送", "delivered": "已发送", "failed": "发送失败",
                   "none": "无帖子可回复"},
}  # fmt: skip


@router.get("", response_class=HTMLResponse)
def incidents(request: Request, db: ConsoleDB, principal: Viewer) -> HTMLResponse:
    """List incidents, active first, with their request counts by state."""
    require(principal, "rescue")
    found = rescue_service.list_incidents(db)
    found.sort(key=lambda i: i.status != "active")
    counts = listing.counts_by_incident(db, incident_ids=[i.id for i in found])
    return render(request, "rescue_incidents.html", area="rescue", incidents=found,
                  counts=counts, labels=LABELS, types=INCIDENT_TYPES,
                  may_manage=principal.has_role(*MANAGE_ROLES))  # fmt: skip


@router.get("/{incident_id:int}", response_class=HTMLResponse)
def triage(
    request: Request, db: ConsoleDB, principal: Viewer, incident_id: int, q: str = "",
    state: str = "", urgency: str = "", sort: str = "priority",
    offset: Annotated[int, Query(ge=0)] = 0,
) -> HTMLResponse:  # fmt: skip
    """Show the incident's description and its triage queue, with why each is where it is.

    ``q`` searches the queue (地址、内容、姓名、电话或尾号; :mod:`zhengwu.rescue.lookup`);
    ``state`` is one state, ``all``, or empty for the open ones; ``urgency`` one urgency;
    ``sort`` the order (:data:`zhengwu.rescue.listing.SORTS`, by priority unless told).
    The database filters, orders, counts and pages the queue (:mod:`zhengwu.rescue.listing`):
    :data:`QUEUE_PAGE` requests at a time (``offset``); the page links keep the filters.
    A team member sees only the requests dispatched to their team, and the counts by state
    and the county map are theirs too (:func:`zhengwu.rescue.access.team_scope`).
    """
    require(principal, "rescue")
    return queue_page(request, db, principal, incident_id, q=q, state=state, urgency=urgency,
                      sort=sort, offset=offset)  # fmt: skip


def queue_page(
    request: Request, db: Session, principal: Principal, incident_id: int, *, q: str = "",
    state: str = "", urgency: str = "", sort: str = "priority", offset: int = 0,
    sheet: Mapping[str, object] | None = None, status_code: int = 200,
) -> HTMLResponse:  # fmt: skip
    """Render the triage page; after a sheet upload, ``sheet`` holds its ``name`` and its
    ``report`` or ``error`` (:mod:`zhengwu.web.console.rescue_intake_pages`)."""
    incident = rescue_service.get_incident(db, incident_id=incident_id)
    if state and state != "all" and state not in STATE_LABELS:
        raise InvalidInputError(f"未知的状态：{state}", f"unknown state: {state}")
    states = () if state == "all" else (state,) if state else OPEN_STATES
    team_id = access.queue_team(principal)
    filters = listing.Filters(states=tuple(states), team_id=team_id, urgency=urgency or None,
                              sort=sort)  # fmt: skip
    keep = published_phones.directory(db)  # 公开电话 stay readable where texts are masked
    found = listing.search_page(db, principal, incident=incident, filters=filters, q=q,
                                offset=offset, limit=QUEUE_PAGE)  # fmt: skip
    # After an upload the page's address is …/sheet: its page links must name the queue.
    pager = Pager(total=found.total, offset=found.offset, size=QUEUE_PAGE,
                  params={"q": q, "state": state, "urgency": urgency,
                          "sort": "" if sort == "priority" else sort},
                  path=f"/console/rescue/{incident.id}" if sheet else "")  # fmt: skip
    officials = access.government_handles(db, found.items)
    views = claims.attach(db, principal, [access.view(principal, r, keep=keep, officials=officials)
                                          for r in found.items])  # fmt: skip
    # The counts are over what the viewer may list (a team member: their team's), one
    # GROUP BY each; the map places each county once from its count.
    mine = "（本队）" if team_id is not None else ""
    by_state = listing.state_counts(db, incident=incident, team_id=team_id)
    state_chart = charts.bar_chart(
        [(STATE_LABELS[s], n) for s, n in by_state.items()], title=f"求助状态分布{mine}",
        color=charts.PALETTE[0],
    )  # fmt: skip
    area = incident.regions[0] if len(incident.regions) == 1 else None
    # The incident's whole map: what lies outside its region or has no place is counted
    # beside the tiles (the queue lists those too).
    counted = places.counted_map(
        area, {}, listing.adcode_totals(db, incident=incident, team_id=team_id), whole=True
    )
    # Each count opens the incident's help map (/console/map) on its division, which every
    # role of this page may open, of the same requests: a team member's, their team's.
    params: dict[str, str | int] = {"tab": "help", "incident": incident.id}
    if team_id is not None:
        params["team"] = team_id
    may_open = principal.has_role(*places.HELP_MAP_ROLES)
    links = places.map_links([c.adcode for c in counted.cells], params) if may_open else {}
    beside = places.map_links([u.adcode for u in counted.unplaced if u.adcode], params)
    map_label = places.cells_label(counted.cells)
    county_map = charts.county_grid(
        counted.cells, title=f"{incident.name}：{map_label}求助{mine}", kinds=("help",),
        count_links={"help": links},
    )  # fmt: skip
    return render(
        request, "rescue_queue.html", area="rescue", incident=incident, views=views,
        by_state=by_state, state_chart=state_chart, county_map=county_map, labels=LABELS, mine=mine,
        map_label=map_label, map_unplaced=counted.unplaced,
        map_beside_links={"help": beside} if may_open else {},
        description=access.incident_view(
            principal, incident, keep=keep, session=db
        ).description,
        may_manage=principal.has_role(*MANAGE_ROLES), q=q, state=state, urgency=urgency,
        sort=sort, sorts=listing.SORTS, query_max=lookup.QUERY_MAX, pager=pager,
        may_enter=principal.has_role(*intake.MANUAL_ROLES),
        may_export=principal.has_role("dispatcher"),  # as export.csv requires
        connector=notices.connector_configured(),
        may_import=principal.has_role(*spreadsheet.SHEET_IMPORTERS),
        upload_max_mb=spreadsheet.UPLOAD_MAX_BYTES // (1024 * 1024), sheet=sheet or {},
        status_code=status_code,
    )  # fmt: skip


def _request_page(
    request: Request, db: Session, principal: Principal, request_id: int, *,
    error: ZhengwuError | None = None, failed: str | None = None,
    form: Mapping[str, object] | None = None,
) -> HTMLResponse:  # fmt: skip
    """Render a request page; after a refusal, ``form`` keeps what the refused form said.

    A team member may open only their own team's requests (403 otherwise: the rule of
    their queue, :func:`zhengwu.rescue.access.require_request`).
    """
    found = rescue_service.get_request(db, request_id=request_id, for_update=True)
    access.require_request(principal, found)
    view = access.view(
        principal,
        found,
        keep=published_phones.directory(db),
        officials=access.government_handles(db, [found]),
    )
    view = claims.attach(db, principal, [view])[0]
    incident = rescue_service.get_incident(db, incident_id=found.incident_id)
    loads = rescue_service.team_loads(db)
    teams = [(t, loads.get(t.id, 0)) for t in rescue_service.list_teams(db) if t.active]
    staff_view = access.sees_full(principal, found)
    history = audit_service.history(db, entity_type="help_request", entity_id=found.id)
    deliveries = notices.deliveries(db, request=found)
    return render(
        request, "rescue_request.html", area="rescue", v=view, incident=incident, teams=teams,
        history=history if staff_view else [], deliveries=deliveries, labels=LABELS,
        history_reason=history_reason, edit_value=edit_value,
        error=error, failed=failed, methods=VERIFY_METHODS, results=VERIFY_RESULTS,
        outcomes=OUTCOMES, form=form or {}, connector=notices.connector_configured(),
        partial=isinstance(error, dispatch.PartialRescueError),
        may_dispatch=principal.has_role("dispatcher"),
        may_verify=principal.has_role("verifier", "dispatcher"),
        may_recount=principal.has_role(*dispatch.PEOPLE_EDITORS),
        may_edit=principal.has_role(*corrections.EDITORS),
        may_merge=principal.has_role(*corrections.MERGERS),
        edit_fields={**EDIT_FIELDS, "adcode": "区划", "lon": "经度", "lat": "纬度"},
        may_fulfil=principal.has_role("dispatcher")
        or (principal.role == "team" and principal.team_id == found.team_id),
        status_code=error.status_code if error else 200,
    )  # fmt: skip


@router.get("/requests/{request_id}", response_class=HTMLResponse)
def request_page(
    request: Request, db: ConsoleDB, principal: Viewer, request_id: int
) -> HTMLResponse:
    """Show a help request with the verification, dispatch, fulfilment and closing forms."""
    require(principal, "rescue")
    return _request_page(request, db, principal, request_id)


EDIT_FIELDS = {"address": "地址", "people_total": "人数", "phones": "电话", "urgency": "紧急程度",
               "needs": "需求", "vulnerabilities": "弱势人群", "hazard": "险情", "text": "情况描述",
               "reason": "理由", "other_id": "要并入的求助编号"}  # fmt: skip


_HEMISPHERES = {"lon": ("东经", "西经"), "lat": ("北纬", "南纬")}
_CODED = {"urgency": URGENCY_LABELS, "needs": NEED_LABELS, "vulnerabilities": VULNERABILITY_LABELS}


def division_label(code: str) -> str:
    """Return a division as people name it, with its city or province before it
    (广州市天河区, 北京市东城区, 河南省郑州市); an unknown code as it is."""
    chain = [regions.get(c) for c in regions.ancestors(code)[:2]]
    names = [d.name for d in reversed(chain) if d is not None]
    return "".join(names) or code


def _coordinate(value: Any, hemispheres: tuple[str, str]) -> str:
    """Return a longitude or latitude as 东经 113.6402° / 北纬 34.7241° (4 decimals, ~10 m)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return f"{hemispheres[number < 0]} {abs(number):.4f}°"


def edit_value(field: str, value: Any) -> str:
    """Return a value of an edit entry (更正信息) as the form shows it: labels for codes
    (超级紧急, not critical), lists joined with 、 (not Python's ['trapped']), a division by
    its name (郑州市二七区, not 410103), coordinates with their hemisphere (东经 113.6402°)."""
    if value is None or value == [] or value == "":
        return "—"
    if field == "adcode":
        return division_label(str(value))
    if field in _HEMISPHERES:
        return _coordinate(value, _HEMISPHERES[field])
    labels = _CODED.get(field, {})
    values = value if isinstance(value, list) else [value]
    return "、".join(labels.get(str(v), str(v)) for v in values)


def _checked(model: type[_M], data: dict[str, Any]) -> _M:
    """Return ``model`` of ``data``, or raise one bilingual 422 naming the fields at fault.

    Each field by its label on the form (:data:`EDIT_FIELDS`); the messages are bilingual
    already (``validated``), so the Chinese line and the English line each say them once.
    """
    errors: dict[str, str] = {}
    found = validated(model, data, errors)
    if found is None:
        said = "；".join(f"{EDIT_FIELDS.get(k, k)}：{v}" for k, v in errors.items())
        raise InvalidInputError(f"填写有误：{said}", f"invalid input: {said}")
    return found


@router.post("/requests/{request_id}/edit", response_class=HTMLResponse)
def edit(
    request: Request,
    db: ConsoleDB,
    principal: Writer,
    request_id: int,
    address: Annotated[str, Form()] = "",
    people_total: Annotated[str, Form()] = "",
    phones: Annotated[str, Form()] = "",
    urgency: Annotated[str, Form()] = "",
    needs: Annotated[list[str] | None, Form()] = None,
    vulnerabilities: Annotated[list[str] | None, Form()] = None,
    hazard: Annotated[str, Form()] = "",
    text: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    expected_version: Annotated[str, Form()] = "",
) -> Response:
    """Correct the request's extracted fields (更正求助信息; dispatcher, verifier), with
    the reason: :func:`zhengwu.rescue.corrections.edit_request`. The form sends every
    field as shown; only the changed ones are written and audited."""
    require(principal, "rescue")
    typed = {"address": address, "people_total": people_total, "phones": phones,
             "urgency": urgency, "needs": needs or [], "vulnerabilities": vulnerabilities or [],
             "hazard": hazard, "text": text, "reason": reason}  # fmt: skip
    try:
        found = rescue_service.get_request(db, request_id=request_id, for_update=True)
        data: dict[str, Any] = {"address": address, "hazard": hazard, "reason": reason,
                                "phones": [p for p in _PHONES_SPLIT.split(phones) if p.strip()],
                                "needs": needs or [], "vulnerabilities": vulnerabilities or [],
                                "expected_version": int_or_none(expected_version)}  # fmt: skip
        if people_total.strip():
            data["people_total"] = people_total.strip()
        if urgency:
            data["urgency"] = urgency
        if text.strip():
            data["text"] = text
        corrections.edit_request(db, request=found, data=_checked(RequestEdit, data),
                                 actor=principal)  # fmt: skip
    except ZhengwuError as exc:
        db.rollback()
        return _request_page(request, db, principal, request_id, error=exc, failed="edit",
                             form=typed)  # fmt: skip
    return RedirectResponse(
        f"/console/rescue/requests/{request_id}?done=rescue-edit", status_code=303
    )


@router.post("/requests/{request_id}/merge", response_class=HTMLResponse)
def merge(
    request: Request,
    db: ConsoleDB,
    principal: Writer,
    request_id: int,
    other_id: Annotated[str, Form()] = "",
    people_total: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Merge another request (by its number) into this one (人工合并, dispatcher):
    :func:`zhengwu.rescue.corrections.merge_requests`; a refusal comes back in the form."""
    require(principal, "rescue")
    typed = {"other_id": other_id, "people_total": people_total, "reason": reason}
    try:
        data = _checked(RequestMerge, {"other_id": other_id.strip().lstrip("#"),
                                       "people_total": people_total.strip() or None,
                                       "reason": reason})  # fmt: skip
        survivor = rescue_service.get_request(db, request_id=request_id, for_update=True)
        other = rescue_service.get_request(db, request_id=data.other_id, for_update=True)
        corrections.merge_requests(db, survivor=survivor, other=other, actor=principal,
                                   reason=data.reason, people_total=data.people_total)  # fmt: skip
    except ZhengwuError as exc:
        db.rollback()
        return _request_page(request, db, principal, request_id, error=exc, failed="merge",
                             form=typed)  # fmt: skip
    return RedirectResponse(
        f"/console/rescue/requests/{request_id}?done=rescue-merge", status_code=303
    )


@router.post("/requests/{request_id}/split", response_class=HTMLResponse)
def split(
    request: Request,
    db: ConsoleDB,
    principal: Writer,
    request_id: int,
    source_id: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Split one source post of this request back out into a request of its own (拆分来源,
    dispatcher): undoes a wrong automatic merge (:func:`zhengwu.rescue.intake.unmerge`)."""
    require(principal, "rescue")
    try:
        principal.require(*corrections.MERGERS)
        chosen = int_or_none(source_id)
        source = rescue_service.get_source(db, source_id=chosen) if chosen else None
        if source is None or source.request_id != request_id:
            raise InvalidInputError("请选择要拆分的来源", "choose the source to split off")
        if not reason.strip():
            raise InvalidInputError("拆分来源需要填写理由", "splitting a source needs a reason")
        created = intake.unmerge(db, source=source, actor=principal, reason=reason.strip())
    except ZhengwuError as exc:
        db.rollback()
        return _request_page(request, db, principal, request_id, error=exc, failed="split",
                             form={"source_id": source_id, "reason": reason})  # fmt: skip
    return RedirectResponse(
        f"/console/rescue/requests/{created.id}?done=rescue-split", status_code=303
    )


OPERATIONS = ("claim", "unclaim", "verify", "assign", "release", "arrive", "fulfil", "recount",
              "resolve")  # fmt: skip


@router.post("/requests/{request_id}/{operation}", response_class=HTMLResponse)
def operate(
    request: Request,
    db: ConsoleDB,
    principal: Writer,
    request_id: int,
    operation: str,
    method: Annotated[str, Form()] = "",
    result: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    team_id: Annotated[str, Form()] = "",
    expected_version: Annotated[str, Form()] = "",
    people: Annotated[str, Form()] = "",
    outcome: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    people_helped: Annotated[str, Form()] = "",
    confirm_partial: Annotated[str, Form()] = "",
    partial_reason: Annotated[str, Form()] = "",
) -> Response:
    """Claim or release a verification (认领核实), verify, dispatch, release, mark on scene,
    record people helped, correct the people count, or resolve (a partial closure needs
    its checkbox and a reason)."""
    require(principal, "rescue")
    if operation not in OPERATIONS:
        raise InvalidInputError(f"未知操作：{operation}", f"unknown operation: {operation}")
    found = rescue_service.get_request(db, request_id=request_id, for_update=True)
    access.require_request(principal, found)  # a team member: their team's requests only
    closing = Closing(people_helped=people_helped, confirm=bool(confirm_partial),
                      reason=partial_reason.strip())  # fmt: skip
    try:
        _apply(db, principal, found, operation, method=method, result=result,
               note=note.strip() or None, team_id=team_id, expected_version=expected_version,
               people=people, outcome=outcome, reason=reason.strip(), closing=closing)  # fmt: skip
    except ZhengwuError as exc:
        db.rollback()  # the refused change leaves nothing behind
        typed = {"outcome": outcome, "note": note, "people": people, "reason": reason,
                 "people_helped": people_helped, "confirm_partial": confirm_partial,
                 "partial_reason": partial_reason}  # fmt: skip
        return _request_page(request, db, principal, request_id, error=exc, failed=operation,
                             form=typed)  # fmt: skip
    return RedirectResponse(
        f"/console/rescue/requests/{request_id}?done=rescue-{operation}", status_code=303
    )


@dataclass(frozen=True, slots=True)
class Closing:
    """What the resolve form says beyond the outcome: people helped in all, and a partial
    closure's confirmation and reason."""

    people_helped: str = ""
    confirm: bool = False
    reason: str = ""


def _apply(
    db: Session, principal: Principal, found: HelpRequest, operation: str, *, method: str,
    result: str, note: str | None, team_id: str, expected_version: str, people: str,
    outcome: str, reason: str, closing: Closing,
) -> None:  # fmt: skip
    if operation == "claim":
        claims.claim(db, request=found, actor=principal)
    elif operation == "unclaim":
        claims.release(db, request=found, actor=principal)
    elif operation == "verify":
        if method not in VERIFY_METHODS or result not in VERIFY_RESULTS:
            raise InvalidInputError(
                "请选择核实方式和结果", "choose a verification method and result"
            )
        dispatch.verify(db, request=found, method=method, result=result, actor=principal,
                        note=note)  # fmt: skip
    elif operation == "assign":
        chosen = int_or_none(team_id)
        if chosen is None:
            raise InvalidInputError("请选择救援队伍", "choose a team")
        team = rescue_service.get_team(db, team_id=chosen)
        dispatch.assign(db, request=found, team=team, actor=principal,
                        expected_version=int_or_none(expected_version), note=note)  # fmt: skip
    elif operation == "release":
        if not reason:
            raise InvalidInputError("撤回需要填写理由", "releasing a team needs a reason")
        dispatch.release(db, request=found, actor=principal, reason=reason)
    elif operation == "arrive":
        dispatch.arrive(db, request=found, actor=principal)
    elif operation == "fulfil":
        count = int_or_none(people)
        if count is None or count < 1:
            raise InvalidInputError("救出人数应为正整数", "people helped must be a positive number")
        if outcome not in ("rescued", "relocated"):
            raise InvalidInputError("请选择救助结果", "choose rescued or relocated")
        dispatch.fulfil(db, request=found, people=count, outcome=outcome, actor=principal,
                        note=note)  # fmt: skip
    elif operation == "recount":
        total = int_or_none(people)
        if total is None or total < 1:
            raise InvalidInputError("人数应为正整数", "the people count must be a positive number")
        if not reason:
            raise InvalidInputError(
                "更正人数需要填写理由", "correcting the people count needs a reason"
            )
        dispatch.correct_people(db, request=found, people_total=total, actor=principal,
                                reason=reason)  # fmt: skip
    else:
        if outcome not in OUTCOMES:
            raise InvalidInputError("请选择结束原因", "choose an outcome")
        helped = closing.people_helped.strip()
        in_all = int_or_none(helped)
        if helped and (in_all is None or in_all < 0):
            raise InvalidInputError("救出人数应为整数", "people helped must be a whole number")
        dispatch.resolve(db, request=found, outcome=outcome, actor=principal, note=note,
                         people_helped=in_all, confirm_partial=closing.confirm,
                         partial_reason=closing.reason or None)  # fmt: skip


# -- incidents and teams: the coordinator's forms ------------------------------------------

INCIDENT_TYPES = INCIDENT_TYPE_LABELS
INCIDENT_FIELDS = ("name", "type", "regions", "starts_at", "ends_at", "hashtags", "keywords",
                   "reverify_hours", "status", "description", "hotline")  # fmt: skip
_SPLIT = re.compile(r"[\s,，、;；]+")
_PHONES_SPLIT = re.compile(r"[\n,，、;；/]+")  # "139 0000 3333" is one phone


def _items(raw: str) -> list[str]:
    return [x for x in _SPLIT.split(raw.strip()) if x]


def _adcodes(raw: str, errors: dict[str, str], field: str) -> list[str]:
    """Read division codes or names ("410105 郑州市"); name the ones that are unknown."""
    codes: list[str] = []
    unknown: list[str] = []
    for item in _items(raw):
        if item.isdigit() and regions.get(item) is not None:
            codes.append(item)
            continue
        found = None if item.isdigit() else resolve_address(item)
        if found is None:
            unknown.append(item)
        else:
            codes.append(found.adcode)
    if unknown:
        errors[field] = (
            f"未知的区划：{'、'.join(unknown)} / unknown division(s): {', '.join(unknown)}"
        )
    return list(dict.fromkeys(codes))


def _local_time(raw: str, errors: dict[str, str], field: str, *, required: bool) -> datetime | None:
    """Read a ``datetime-local`` value as China time."""
    if not raw.strip():
        if required:
            errors[field] = "请填写时间 / enter a time"
        return None
    try:
        value = datetime.fromisoformat(raw.strip())
    except ValueError:
        errors[field] = "时间格式应为 2021-07-20 08:00 / expected a time such as 2021-07-20 08:00"
        return None
    return value if value.tzinfo else value.replace(tzinfo=CHINA)


def _local_input(value: datetime | None) -> str:
    """Return a stored time as a ``datetime-local`` value in China time."""
    if value is None:
        return ""
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(CHINA).strftime("%Y-%m-%dT%H:%M")


def validated(model: type[_M], data: dict[str, Any], errors: dict[str, str]) -> _M | None:
    """Return ``model`` of the fields that read well, or None with its complaints in ``errors``."""
    try:
        return model.model_validate({k: v for k, v in data.items() if k not in errors})
    except ValidationError as exc:
        _pydantic_errors(exc, errors)
        return None


def _pydantic_errors(exc: ValidationError, errors: dict[str, str]) -> None:
    for err in exc.errors():
        field = str(err["loc"][0]) if err.get("loc") else "name"
        kind, ctx = err.get("type", ""), err.get("ctx") or {}
        message = {
            "string_too_short": "不能为空 / must not be empty",
            "string_too_long": f"最多 {ctx.get('max_length')} 个字 / at most {ctx.get('max_length')} characters",
            "literal_error": "请从列表中选择 / choose one of the options",
            "greater_than": f"应大于 {ctx.get('gt')} / must be greater than {ctx.get('gt')}",
            "greater_than_equal": f"不能小于 {ctx.get('ge')} / must be at least {ctx.get('ge')}",
            "less_than_equal": f"不能大于 {ctx.get('le')} / must be at most {ctx.get('le')}",
        }.get(kind, f"{message_zh(err)} / {message_en(err)}")
        errors.setdefault(field, message)


def _incident_values(incident: Incident) -> dict[str, str]:
    return {
        "name": incident.name, "type": incident.type, "regions": " ".join(incident.regions),
        "starts_at": _local_input(incident.starts_at), "ends_at": _local_input(incident.ends_at),
        "hashtags": " ".join(f"#{t}#" for t in incident.hashtags),
        "keywords": " ".join(incident.keywords), "reverify_hours": f"{incident.reverify_hours:g}",
        "status": incident.status, "description": incident.description or "",
        "hotline": incident.hotline or "",
    }  # fmt: skip


def _incident_form(
    request: Request, *, incident: Incident | None, values: dict[str, str],
    errors: dict[str, str] | None = None, error: ZhengwuError | None = None,
    status_code: int = 200, db: Session | None = None,
) -> HTMLResponse:  # fmt: skip
    """Render the incident form; for an open incident, with its open requests by state
    (the close button then asks for a confirmation and a reason)."""
    still_open = (
        rescue_service.open_counts(db, incident=incident)
        if db is not None and incident is not None and incident.status == "active"
        else {}
    )
    return render(
        request, "rescue_incident_form.html", area="rescue", incident=incident, values=values,
        errors=errors or {}, error=error, types=INCIDENT_TYPES, status_code=status_code,
        description_max=DESCRIPTION_MAX, open_counts=still_open, labels=LABELS,
        open_total=sum(still_open.values()),
    )  # fmt: skip


def _read_incident(form: dict[str, str], errors: dict[str, str]) -> dict[str, object]:
    """Turn the incident form into the fields of IncidentCreate / IncidentUpdate."""
    data: dict[str, object] = {
        "name": form["name"].strip(), "type": form["type"],
        "regions": _adcodes(form["regions"], errors, "regions"),
        "hashtags": _items(form["hashtags"]), "keywords": _items(form["keywords"]),
        "starts_at": _local_time(form["starts_at"], errors, "starts_at", required=True),
        "ends_at": _local_time(form["ends_at"], errors, "ends_at", required=False),
        "description": form["description"],  # the schema trims it; blank clears it
        "hotline": _hotline(form["hotline"], errors),
    }  # fmt: skip
    hours = form["reverify_hours"].strip()
    try:
        data["reverify_hours"] = float(hours) if hours else 6.0
    except ValueError:
        errors["reverify_hours"] = "应为小时数，如 6 / enter a number of hours, e.g. 6"
    starts, ends = data["starts_at"], data["ends_at"]
    if isinstance(starts, datetime) and isinstance(ends, datetime) and ends < starts:
        errors["ends_at"] = "结束时间早于开始时间 / ends before it starts"
    return data


def _hotline(raw: str, errors: dict[str, str]) -> str | None:
    """Read the 求助热线 as a published number in its normal form (blank: none)."""
    if not raw.strip():
        return None
    try:
        return normalise_phone(raw)
    except PhoneError as exc:
        errors["hotline"] = f"{exc.message_zh} / {exc.message_en}"
        return None


def _incident_fields(
    name: str, type: str, regions: str, starts_at: str, ends_at: str, hashtags: str,
    keywords: str, reverify_hours: str, status: str, description: str, hotline: str,
) -> dict[str, str]:  # fmt: skip
    return {"name": name, "type": type, "regions": regions, "starts_at": starts_at,
            "ends_at": ends_at, "hashtags": hashtags, "keywords": keywords,
            "reverify_hours": reverify_hours, "status": status,
            "description": description, "hotline": hotline}  # fmt: skip


TextField = Annotated[str, Form()]


@router.get("/incidents/new", response_class=HTMLResponse)
def incident_new(request: Request, principal: Viewer) -> HTMLResponse:
    """Show the form for a new incident (新建事件; dispatcher)."""
    require(principal, "rescue")
    principal.require(*MANAGE_ROLES)
    now = _local_input(datetime.now(UTC))
    values = dict.fromkeys(INCIDENT_FIELDS, "") | {"type": "flood", "starts_at": now,
                                                 "reverify_hours": "6", "status": "active"}  # fmt: skip
    return _incident_form(request, incident=None, values=values)


@router.post("/incidents", response_class=HTMLResponse)
def incident_create(
    request: Request, db: ConsoleDB, principal: Writer, name: TextField = "",
    type: TextField = "flood", regions: TextField = "", starts_at: TextField = "",
    ends_at: TextField = "", hashtags: TextField = "", keywords: TextField = "",
    reverify_hours: TextField = "", description: TextField = "", hotline: TextField = "",
) -> Response:  # fmt: skip
    """Create an incident; errors come back in the form with what was typed."""
    require(principal, "rescue")
    principal.require(*MANAGE_ROLES)
    values = _incident_fields(name, type, regions, starts_at, ends_at, hashtags, keywords,
                              reverify_hours, "active", description, hotline)  # fmt: skip
    errors: dict[str, str] = {}
    data = _read_incident(values, errors)
    payload = validated(IncidentCreate, data, errors)
    if errors or payload is None:
        return _incident_form(request, incident=None, values=values, errors=errors,
                              status_code=422)  # fmt: skip
    try:
        incident = rescue_service.create_incident(db, data=payload, actor=principal)
    except ZhengwuError as exc:
        db.rollback()
        return _incident_form(request, incident=None, values=values, error=exc,
                              errors=_field_of(exc), status_code=exc.status_code)  # fmt: skip
    return RedirectResponse(
        f"/console/rescue/{incident.id}?done=rescue-incident-created", status_code=303
    )


def _field_of(exc: ZhengwuError) -> dict[str, str]:
    """Put a service error next to the field it is about (name taken → name)."""
    message = f"{exc.message_zh} / {exc.message_en}"
    if "名称已存在" in exc.message_zh:
        return {"name": message}
    if "区划" in exc.message_zh:
        return {"regions": message}
    if "结束时间" in exc.message_zh:
        return {"ends_at": message}
    return {}


@router.get("/incidents/{incident_id}/edit", response_class=HTMLResponse)
def incident_edit(
    request: Request, db: ConsoleDB, principal: Viewer, incident_id: int
) -> HTMLResponse:
    """Show an incident's edit form, with the button that closes it (dispatcher)."""
    require(principal, "rescue")
    principal.require(*MANAGE_ROLES)
    incident = rescue_service.get_incident(db, incident_id=incident_id)
    return _incident_form(request, incident=incident, values=_incident_values(incident), db=db)


@router.post("/incidents/{incident_id}/edit", response_class=HTMLResponse)
def incident_update(
    request: Request, db: ConsoleDB, principal: Writer, incident_id: int,
    name: TextField = "", type: TextField = "flood", regions: TextField = "",
    starts_at: TextField = "", ends_at: TextField = "", hashtags: TextField = "",
    keywords: TextField = "", reverify_hours: TextField = "", status: TextField = "active",
    description: TextField = "", hotline: TextField = "",
) -> Response:  # fmt: skip
    """Save an incident's fields, description or status; errors come back in the form."""
    require(principal, "rescue")
    principal.require(*MANAGE_ROLES)
    incident = rescue_service.get_incident(db, incident_id=incident_id)
    values = _incident_fields(name, type, regions, starts_at, ends_at, hashtags, keywords,
                              reverify_hours, status, description, hotline)  # fmt: skip
    errors: dict[str, str] = {}
    data = _read_incident(values, errors) | {"status": status}
    if name.strip() != incident.name and _name_taken(db, name.strip()):
        errors["name"] = f"灾情名称已存在：{name.strip()} / incident exists: {name.strip()}"
    payload = validated(IncidentUpdate, data, errors)
    if errors or payload is None:
        return _incident_form(request, incident=incident, values=values, errors=errors,
                              status_code=422, db=db)  # fmt: skip
    try:
        rescue_service.update_incident(db, incident=incident, data=payload, actor=principal)
    except ZhengwuError as exc:
        db.rollback()
        return _incident_form(request, incident=incident, values=values, error=exc,
                              errors=_field_of(exc), status_code=exc.status_code, db=db)  # fmt: skip
    return RedirectResponse("/console/rescue?done=rescue-incident-updated", status_code=303)


def _name_taken(db: Session, name: str) -> bool:
    return db.scalar(select(Incident.id).where(Incident.name == name)) is not None


@router.post("/incidents/{incident_id}/close", response_class=HTMLResponse)
def incident_close(
    request: Request, db: ConsoleDB, principal: Writer, incident_id: int,
    force: TextField = "", reason: TextField = "",
) -> Response:  # fmt: skip
    """Close an incident (结束灾情): it stays readable; collection and the help form stop.

    With requests still open, the form comes back with their counts by state unless
    ``force`` is ticked and a ``reason`` given (audited).
    """
    require(principal, "rescue")
    principal.require(*MANAGE_ROLES)
    incident = rescue_service.get_incident(db, incident_id=incident_id)
    if incident.status == "closed":
        raise ConflictError(f"灾情「{incident.name}」已结束", f"{incident.name} is already closed")
    data = IncidentUpdate(status="closed", force=bool(force), reason=reason.strip() or None)
    try:
        rescue_service.update_incident(db, incident=incident, data=data, actor=principal)
    except ZhengwuError as exc:
        db.rollback()
        values = _incident_values(incident) | {"close_reason": reason, "force": force}
        return _incident_form(request, incident=incident, values=values, error=exc,
                              status_code=exc.status_code, db=db)  # fmt: skip
    return RedirectResponse("/console/rescue?done=rescue-incident-closed", status_code=303)
