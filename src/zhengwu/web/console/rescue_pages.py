"""救援调度: incidents, the triage queue with its explanation, and a help request's forms.

Every request is shown through :func:`zhengwu.rescue.access.view` (masked unless the
viewer acts on it), and every change goes through :mod:`zhengwu.rescue.dispatch`, whose
role checks and transition table decide; a refused change comes back in its form.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from zhengwu.audit import service as audit_service
from zhengwu.auth.principal import Principal
from zhengwu.errors import InvalidInputError, ZhengwuError
from zhengwu.outbox import service as outbox_service
from zhengwu.rescue import access, board, dispatch
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.models import OUTCOMES, VERIFY_METHODS, VERIFY_RESULTS, HelpRequest
from zhengwu.rescue.workflow import STATE_LABELS
from zhengwu.web import charts
from zhengwu.web.console.base import (
    ConsoleDB,
    ConsoleRoute,
    Viewer,
    Writer,
    int_or_none,
    render,
    require,
)
from zhengwu.web.console.places import grid_cells

router = APIRouter(prefix="/console/rescue", route_class=ConsoleRoute, include_in_schema=False)
LABELS = {
    "parts": {"urgency": "紧急程度", "vulnerable": "弱势人群", "people": "待救人数",
              "hazard": "险情", "waiting": "等待时长", "verification": "核实结果"},
    "flags": {"unverified": "未核实", "false": "信息不实", "unreachable": "联系不上",
              "already_rescued": "已获救", "stale": "需重新核实", "reported_rescued": "自称已获救",
              "partial": "部分救出", "no_contact": "无联系方式", "incomplete": "信息不全"},
    "methods": {"phone": "电话核实", "on_site": "现场核实", "official_source": "官方信息"},
    "results": {"confirmed": "属实", "false": "不实", "unreachable": "联系不上",
                "already_rescued": "已获救", "unverified": "未核实"},
    "outcomes": dict(dispatch.OUTCOME_LABELS),
    "fulfil_outcomes": {"rescued": "已救出", "relocated": "已转移"},
    "urgency": {"critical": "超级紧急", "urgent": "紧急", "normal": "一般"},
    "vulnerabilities": {"pregnant": "孕妇", "infant": "婴儿", "injured": "伤员", "elderly": "老人",
                        "disabled": "残障人士", "ill": "病人", "child": "儿童",
                        "on_medication": "需用药"},
    "needs": {"trapped": "被困", "medical": "医疗", "evacuation": "转移", "supplies": "物资",
              "missing_person": "寻人", "shelter": "安置", "power": "电力"},
    "states": STATE_LABELS,
    "history": {"create": "登记", "verify": "核实", "fulfil": "记录救出人数", "merge": "合并镜像",
                "unmerge": "拆分来源"},
}  # fmt: skip


@router.get("", response_class=HTMLResponse)
def incidents(request: Request, db: ConsoleDB, principal: Viewer) -> HTMLResponse:
    """List incidents, active first, with their request counts by state."""
    require(principal, "rescue")
    found = rescue_service.list_incidents(db)
    found.sort(key=lambda i: i.status != "active")
    counts = {i.id: board.counts(rescue_service.requests_of(db, incident=i))[0] for i in found}
    return render(request, "rescue_incidents.html", area="rescue", incidents=found,
                  counts=counts, labels=LABELS)  # fmt: skip


@router.get("/{incident_id}", response_class=HTMLResponse)
def triage(request: Request, db: ConsoleDB, principal: Viewer, incident_id: int) -> HTMLResponse:
    """Show the triage queue by priority, with why each request is where it is."""
    require(principal, "rescue")
    incident = rescue_service.get_incident(db, incident_id=incident_id)
    team_id = principal.team_id if principal.role == "team" else None
    queue = rescue_service.queue(db, incident=incident, team_id=team_id)
    views = [access.view(principal, r) for r in queue]
    everything = rescue_service.requests_of(db, incident=incident)
    by_state, _ = board.counts(everything)
    state_chart = charts.bar_chart(
        [(STATE_LABELS[s], n) for s, n in by_state.items()], title="求助状态分布",
        color=charts.PALETTE[0],
    )  # fmt: skip
    area = incident.regions[0] if len(incident.regions) == 1 else None
    county_map = charts.county_grid(
        grid_cells(area, [], [r.adcode for r in everything]), title=f"{incident.name}：各区县求助"
    )
    return render(
        request, "rescue_queue.html", area="rescue", incident=incident, views=views,
        by_state=by_state, state_chart=state_chart, county_map=county_map, labels=LABELS,
    )  # fmt: skip


def _request_page(
    request: Request, db: Session, principal: Principal, request_id: int, *,
    error: ZhengwuError | None = None, failed: str | None = None,
) -> HTMLResponse:  # fmt: skip
    found = rescue_service.get_request(db, request_id=request_id, for_update=True)
    view = access.view(principal, found)
    incident = rescue_service.get_incident(db, incident_id=found.incident_id)
    loads = rescue_service.team_loads(db)
    teams = [(t, loads.get(t.id, 0)) for t in rescue_service.list_teams(db) if t.active]
    staff_view = access.sees_full(principal, found)
    history = audit_service.history(db, entity_type="help_request", entity_id=found.id)
    notices = outbox_service.for_entity(db, entity_type="help_request", entity_id=found.id)
    return render(
        request, "rescue_request.html", area="rescue", v=view, incident=incident, teams=teams,
        history=history if staff_view else [], notices=notices, labels=LABELS, error=error,
        failed=failed, methods=VERIFY_METHODS, results=VERIFY_RESULTS, outcomes=OUTCOMES,
        may_dispatch=principal.has_role("dispatcher"),
        may_verify=principal.has_role("verifier", "dispatcher"),
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


OPERATIONS = ("verify", "assign", "release", "arrive", "fulfil", "resolve")


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
) -> Response:
    """Verify, dispatch, release, mark on scene, record people helped, or resolve."""
    require(principal, "rescue")
    if operation not in OPERATIONS:
        raise InvalidInputError(f"未知操作：{operation}", f"unknown operation: {operation}")
    found = rescue_service.get_request(db, request_id=request_id, for_update=True)
    try:
        _apply(db, principal, found, operation, method=method, result=result,
               note=note.strip() or None, team_id=team_id, expected_version=expected_version,
               people=people, outcome=outcome, reason=reason.strip())  # fmt: skip
    except ZhengwuError as exc:
        db.rollback()  # the refused change leaves nothing behind
        return _request_page(request, db, principal, request_id, error=exc, failed=operation)
    return RedirectResponse(
        f"/console/rescue/requests/{request_id}?done=rescue-{operation}", status_code=303
    )


def _apply(
    db: Session, principal: Principal, found: HelpRequest, operation: str, *, method: str,
    result: str, note: str | None, team_id: str, expected_version: str, people: str,
    outcome: str, reason: str,
) -> None:  # fmt: skip
    if operation == "verify":
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
    else:
        if outcome not in OUTCOMES:
            raise InvalidInputError("请选择结束原因", "choose an outcome")
        dispatch.resolve(db, request=found, outcome=outcome, actor=principal, note=note)
