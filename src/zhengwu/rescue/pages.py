"""Public pages: the incident board ``/board/rescue/{id}`` and the help form (no login)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape
from pydantic import ValidationError

from zhengwu.accounts import phones as published_phones
from zhengwu.errors import InvalidInputError
from zhengwu.rescue import access, board, intake
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.dispatch import OUTCOME_LABELS
from zhengwu.rescue.labels import vulnerability_label
from zhengwu.rescue.schemas import HelpSubmission
from zhengwu.rescue.throttle import limit_anonymous
from zhengwu.rescue.workflow import STATE_LABELS
from zhengwu.web.deps import DB, CurrentPrincipal, WritingPrincipal

router = APIRouter(tags=["rescue pages"], include_in_schema=False)
_templates = Environment(
    loader=PackageLoader("zhengwu.rescue", "templates"), autoescape=select_autoescape()
)
_templates.filters.update(vulnerability_label=vulnerability_label)
_templates.globals.update(
    state_labels=STATE_LABELS,
    outcome_labels=OUTCOME_LABELS,
    urgency_labels={"critical": "超级紧急", "urgent": "紧急", "normal": "一般"},
)


@router.get("/board/rescue/{incident_id}", response_class=HTMLResponse)
def board_page(incident_id: int, db: DB, principal: CurrentPrincipal) -> HTMLResponse:
    """Show the public board of an incident (masked unless the viewer acts on requests)."""
    incident = rescue_service.get_incident(db, incident_id=incident_id)
    view = board.board(db, incident=incident, principal=principal, limit=100)
    page = _templates.get_template("rescue_board.html").render(board=view)
    return HTMLResponse(page)


@router.get("/board/rescue/{incident_id}/help", response_class=HTMLResponse)
def form_page(incident_id: int, db: DB, principal: CurrentPrincipal) -> HTMLResponse:
    """Show the help form of an incident, with its situation description (masked)."""
    incident = rescue_service.get_incident(db, incident_id=incident_id)
    page = _templates.get_template("rescue_form.html").render(
        incident=incident, csrf=principal.csrf_token, error=None,
        description=access.incident_view(
            principal, incident, keep=published_phones.directory(db)
        ).description,
    )  # fmt: skip
    return HTMLResponse(page)


@router.post("/board/rescue/{incident_id}/help", response_class=HTMLResponse)
def form_submit(
    incident_id: int,
    request: Request,
    db: DB,
    principal: WritingPrincipal,
    text: Annotated[str, Form()],
    name: Annotated[str, Form()] = "",
    phone: Annotated[str, Form()] = "",
    address: Annotated[str, Form()] = "",
    people: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """Take in a help request from the form (anonymous allowed, rate-limited)."""
    limit_anonymous(request, principal)
    incident = rescue_service.get_incident(db, incident_id=incident_id)
    try:
        data = HelpSubmission(
            text=text, name=name or None, phone=phone or None, address=address or None,
            people=int(people) if people.strip().isdigit() else None,
        )  # fmt: skip
    except ValidationError:
        page = _templates.get_template("rescue_form.html").render(
            incident=incident, csrf=principal.csrf_token, error="请描述情况（至少两个字）"
        )
        return HTMLResponse(page, status_code=InvalidInputError.status_code)
    found = intake.submit(db, incident=incident, data=data, actor=principal, channel="form")
    view = access.view(
        principal, rescue_service.get_request(db, request_id=found.id),
        keep=published_phones.directory(db),
    )  # fmt: skip
    page = _templates.get_template("rescue_receipt.html").render(incident=incident, request=view)
    return HTMLResponse(page, status_code=201)
