"""救援队伍: the team list with its load, and the coordinator's forms — 新建队伍, edit,
停用 (deactivate) and 重新启用 (reactivate).

Teams change only through :mod:`zhengwu.rescue.service` (which audits every change and
refuses to stand down a team that still holds open requests), by the roles the JSON API
allows. A team's contact is masked for everyone but dispatchers and the team itself
(:func:`zhengwu.rescue.access.team_view`). An inactive team stays listed with its history
but is no longer offered on a request's dispatch form.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from zhengwu.auth.principal import Principal
from zhengwu.errors import ZhengwuError
from zhengwu.privacy.phones import PhoneError, normalise_callback_phone
from zhengwu.rescue import access
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.models import Team
from zhengwu.rescue.schemas import TeamCreate, TeamUpdate
from zhengwu.web.console.base import ConsoleDB, ConsoleRoute, Viewer, Writer, render, require
from zhengwu.web.console.rescue_pages import (
    MANAGE_ROLES,
    TextField,
    _adcodes,
    _field_of,
    _items,
    validated,
)

router = APIRouter(prefix="/console/rescue", route_class=ConsoleRoute, include_in_schema=False)
TEAM_KINDS = {"fire_brigade": "消防救援", "ngo_rescue": "社会救援队", "volunteer": "志愿者",
              "medical": "医疗", "other": "其他"}  # fmt: skip
TEAM_FIELDS = ("name", "kind", "capacity", "capabilities", "area", "contact_name",
               "contact_phone")  # fmt: skip


def _team_rows(db: Session, principal: Principal) -> list[dict[str, object]]:
    loads = rescue_service.team_loads(db)
    rows: list[dict[str, object]] = []
    # Teams that can be sent first; the inactive ones stay listed (their history is theirs).
    for team in sorted(rescue_service.list_teams(db), key=lambda t: not t.active):
        shown = access.team_view(principal, team, load=loads.get(team.id, 0))
        rows.append({
            "team": team, "load": shown.load,
            "masked": not access.sees_team_contact(principal, team),
            "contact_name": shown.contact_name, "contact_phone": shown.contact_phone,
        })  # fmt: skip
    return rows


def _teams_page(
    request: Request, db: Session, principal: Principal, *, values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None, error: ZhengwuError | None = None,
    list_error: ZhengwuError | None = None, status_code: int = 200,
) -> HTMLResponse:  # fmt: skip
    shown = values or dict.fromkeys(TEAM_FIELDS, "") | {"kind": "ngo_rescue", "capacity": "1"}
    return render(
        request, "rescue_teams.html", area="rescue", rows=_team_rows(db, principal),
        kinds=TEAM_KINDS, values=shown, errors=errors or {}, error=error, list_error=list_error,
        may_manage=principal.has_role(*MANAGE_ROLES), status_code=status_code,
    )  # fmt: skip


def _team_form(
    request: Request, *, team: Team, values: dict[str, str],
    errors: dict[str, str] | None = None, error: ZhengwuError | None = None,
    status_code: int = 200,
) -> HTMLResponse:  # fmt: skip
    return render(
        request, "rescue_team_form.html", area="rescue", team=team, values=values,
        errors=errors or {}, error=error, kinds=TEAM_KINDS, status_code=status_code,
    )  # fmt: skip


def _team_values(team: Team) -> dict[str, str]:
    return {
        "name": team.name, "kind": team.kind, "capacity": str(team.capacity),
        "capabilities": " ".join(team.capabilities), "area": " ".join(team.area),
        "contact_name": team.contact_name or "", "contact_phone": team.contact_phone or "",
    }  # fmt: skip


def _read_team(values: dict[str, str], errors: dict[str, str]) -> dict[str, object]:
    """Turn the team form into the fields of TeamCreate / TeamUpdate (blank contact: none)."""
    data: dict[str, object] = {
        "name": values["name"].strip(), "kind": values["kind"],
        "capabilities": _items(values["capabilities"]),
        "area": _adcodes(values["area"], errors, "area"),
        "contact_name": values["contact_name"].strip() or None,
    }  # fmt: skip
    if not values["capacity"].strip().isdigit():
        errors["capacity"] = "请输入正整数 / enter a whole number"
    else:
        data["capacity"] = int(values["capacity"])
    # Stored in its normal form, like every other phone ("139 5555 3333" → 13955553333).
    phone = values["contact_phone"].strip()
    try:
        data["contact_phone"] = normalise_callback_phone(phone) if phone else None
    except PhoneError as exc:
        errors["contact_phone"] = f"{exc.message_zh} / {exc.message_en}"
    return data


def _form_values(
    name: str, kind: str, capacity: str, capabilities: str, area: str, contact_name: str,
    contact_phone: str,
) -> dict[str, str]:  # fmt: skip
    return {"name": name, "kind": kind, "capacity": capacity, "capabilities": capabilities,
            "area": area, "contact_name": contact_name, "contact_phone": contact_phone}  # fmt: skip


@router.get("/teams", response_class=HTMLResponse)
def teams(request: Request, db: ConsoleDB, principal: Viewer) -> HTMLResponse:
    """List rescue teams with their load, and the form for a new team (dispatcher)."""
    require(principal, "rescue")
    return _teams_page(request, db, principal)


@router.post("/teams", response_class=HTMLResponse)
def team_create(
    request: Request, db: ConsoleDB, principal: Writer, name: TextField = "",
    kind: TextField = "ngo_rescue", capacity: TextField = "1", capabilities: TextField = "",
    area: TextField = "", contact_name: TextField = "", contact_phone: TextField = "",
) -> Response:  # fmt: skip
    """Register a team (新建队伍); errors come back in the form with what was typed."""
    require(principal, "rescue")
    principal.require(*MANAGE_ROLES)
    values = _form_values(name, kind, capacity, capabilities, area, contact_name, contact_phone)
    errors: dict[str, str] = {}
    data = _read_team(values, errors)
    payload = validated(TeamCreate, data, errors)
    if errors or payload is None:
        return _teams_page(request, db, principal, values=values, errors=errors, status_code=422)
    try:
        rescue_service.create_team(db, data=payload, actor=principal)
    except ZhengwuError as exc:
        db.rollback()
        return _teams_page(request, db, principal, values=values, error=exc,
                           errors=_field_of(exc), status_code=exc.status_code)  # fmt: skip
    return RedirectResponse("/console/rescue/teams?done=rescue-team-created", status_code=303)


@router.get("/teams/{team_id}/edit", response_class=HTMLResponse)
def team_edit(request: Request, db: ConsoleDB, principal: Viewer, team_id: int) -> HTMLResponse:
    """Show a team's edit form, with the button that deactivates or reactivates it."""
    require(principal, "rescue")
    principal.require(*MANAGE_ROLES)
    team = rescue_service.get_team(db, team_id=team_id)
    return _team_form(request, team=team, values=_team_values(team))


@router.post("/teams/{team_id}/edit", response_class=HTMLResponse)
def team_update(
    request: Request, db: ConsoleDB, principal: Writer, team_id: int, name: TextField = "",
    kind: TextField = "ngo_rescue", capacity: TextField = "1", capabilities: TextField = "",
    area: TextField = "", contact_name: TextField = "", contact_phone: TextField = "",
) -> Response:  # fmt: skip
    """Save a team's fields; errors (a taken name: 409) come back in the form."""
    require(principal, "rescue")
    principal.require(*MANAGE_ROLES)
    team = rescue_service.get_team(db, team_id=team_id)
    values = _form_values(name, kind, capacity, capabilities, area, contact_name, contact_phone)
    errors: dict[str, str] = {}
    data = _read_team(values, errors)
    payload = validated(TeamUpdate, data, errors)
    if errors or payload is None:
        return _team_form(request, team=team, values=values, errors=errors, status_code=422)
    try:
        rescue_service.update_team(db, team=team, data=payload, actor=principal)
    except ZhengwuError as exc:
        db.rollback()
        team = rescue_service.get_team(db, team_id=team_id)
        return _team_form(request, team=team, values=values, error=exc,
                          errors=_field_of(exc), status_code=exc.status_code)  # fmt: skip
    return RedirectResponse("/console/rescue/teams?done=rescue-team-updated", status_code=303)


@router.post("/teams/{team_id}/deactivate", response_class=HTMLResponse)
def team_deactivate(request: Request, db: ConsoleDB, principal: Writer, team_id: int) -> Response:
    """Stand a team down (停用); refused (409) while it still holds open requests."""
    return _set_active(request, db, principal, team_id, active=False)


@router.post("/teams/{team_id}/reactivate", response_class=HTMLResponse)
def team_reactivate(request: Request, db: ConsoleDB, principal: Writer, team_id: int) -> Response:
    """Put a deactivated team back on the dispatch list (重新启用)."""
    return _set_active(request, db, principal, team_id, active=True)


def _set_active(
    request: Request, db: Session, principal: Principal, team_id: int, *, active: bool
) -> Response:
    require(principal, "rescue")
    principal.require(*MANAGE_ROLES)
    team = rescue_service.get_team(db, team_id=team_id)
    try:
        rescue_service.set_team_active(db, team=team, active=active, actor=principal)
    except ZhengwuError as exc:
        db.rollback()
        return _teams_page(request, db, principal, list_error=exc, status_code=exc.status_code)
    done = "rescue-team-reactivated" if active else "rescue-team-deactivated"
    return RedirectResponse(f"/console/rescue/teams?done={done}#team-{team_id}", status_code=303)
