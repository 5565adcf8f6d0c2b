"""Public pages: the incident board ``/board/rescue/{id}`` and the help form (no login)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape
from pydantic import ValidationError

from zhengwu.accounts import phones as published_phones
from zhengwu.auth.principal import Principal
from zhengwu.errors import InvalidInputError
from zhengwu.rescue import access, board, intake
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.labels import vulnerability_label
from zhengwu.rescue.models import Incident
from zhengwu.rescue.notices import OUTCOME_LABELS
from zhengwu.rescue.schemas import HELP_PEOPLE_MAX, HELP_TEXT_MIN, HelpSubmission
from zhengwu.rescue.throttle import limit_anonymous
from zhengwu.rescue.workflow import STATE_LABELS
from zhengwu.web.deps import DB, CurrentPrincipal, WritingPrincipal
from zhengwu.web.localtime import local_time

router = APIRouter(tags=["rescue pages"], include_in_schema=False)
_templates = Environment(
    loader=PackageLoader("zhengwu.rescue", "templates"), autoescape=select_autoescape()
)
_templates.filters.update(local=local_time, vulnerability_label=vulnerability_label)
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


# What the form says next to a field it refuses (Chinese, then English).
FIELD_ERRORS: dict[str, tuple[str, str]] = {
    "text": (
        f"请描述情况，{HELP_TEXT_MIN} 到 4000 个字（几个人、在哪里、水多深）",
        f"describe the situation in {HELP_TEXT_MIN} to 4000 characters",
    ),
    "phone": (
        "电话号码无效：手机写 11 位，座机带区号，如 0371-66661234",
        "not a phone number: a mobile has 11 digits, a landline its area code, e.g. 0371-66661234",
    ),
    "people": (
        f"人数请填 1 到 {HELP_PEOPLE_MAX} 之间的整数",
        f"people must be a whole number from 1 to {HELP_PEOPLE_MAX}",
    ),
    "name": ("联系人最多 64 个字", "the contact name is at most 64 characters"),
    "address": ("地址最多 256 个字", "the address is at most 256 characters"),
}


def _form(
    db: DB, principal: Principal, incident: Incident, *,
    values: dict[str, str] | None = None, errors: dict[str, tuple[str, str]] | None = None,
) -> str:  # fmt: skip
    """Render the help form, with what was typed and the error next to each refused field.

    A closed incident gets no form: a page saying so, with the number to call instead.
    """
    description = access.incident_view(
        principal, incident, keep=published_phones.directory(db)
    ).description
    if incident.status != "active":
        return _templates.get_template("rescue_closed.html").render(
            incident=incident, description=description
        )
    return _templates.get_template("rescue_form.html").render(
        incident=incident, csrf=principal.csrf_token, values=values or {}, errors=errors or {},
        description=description,
    )  # fmt: skip


def _field_errors(exc: ValidationError) -> dict[str, tuple[str, str]]:
    """Return the bilingual message of each refused field of a help submission."""
    fields = {str(e["loc"][0]) for e in exc.errors() if e.get("loc")}
    return {f: FIELD_ERRORS[f] for f in FIELD_ERRORS if f in fields}


@router.get("/board/rescue/{incident_id}/help", response_class=HTMLResponse)
def form_page(incident_id: int, db: DB, principal: CurrentPrincipal) -> HTMLResponse:
    """Show the help form of an incident, with its situation description (masked); a
    closed incident shows that it is closed and the hotline to call instead."""
    incident = rescue_service.get_incident(db, incident_id=incident_id)
    return HTMLResponse(_form(db, principal, incident))


@router.post("/board/rescue/{incident_id}/help", response_class=HTMLResponse)
def form_submit(
    incident_id: int,
    request: Request,
    db: DB,
    principal: WritingPrincipal,
    text: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    phone: Annotated[str, Form()] = "",
    address: Annotated[str, Form()] = "",
    people: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """Take in a help request from the form (anonymous allowed, rate-limited).

    A refused field is named next to it, in Chinese and English, and the form comes back
    with everything typed. A phone is not required (an address alone may still lead a team
    there), but the receipt then says that nobody can call back.
    """
    incident = rescue_service.get_incident(db, incident_id=incident_id)
    if incident.status != "active":  # a closed incident's form: nobody would read the request
        return HTMLResponse(_form(db, principal, incident), status_code=409)
    values = {"text": text, "name": name, "phone": phone, "address": address, "people": people}
    try:
        data = HelpSubmission.model_validate({k: v.strip() or None for k, v in values.items()})
    except ValidationError as exc:
        page = _form(db, principal, incident, values=values, errors=_field_errors(exc))
        return HTMLResponse(page, status_code=InvalidInputError.status_code)
    # Counted once valid: correcting a typo must not use up a person's few submissions.
    limit_anonymous(request, principal)
    found = intake.submit(db, incident=incident, data=data, actor=principal, channel="form")
    view = access.view(
        principal, rescue_service.get_request(db, request_id=found.id),
        keep=published_phones.directory(db),
    )  # fmt: skip
    page = _templates.get_template("rescue_receipt.html").render(
        incident=incident, request=view, callback=bool(found.phones)
    )
    return HTMLResponse(page, status_code=201)
