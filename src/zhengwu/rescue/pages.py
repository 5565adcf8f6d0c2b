"""Public pages: the incident board ``/board/rescue/{id}`` and the help form (no login)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape
from pydantic import ValidationError

from zhengwu.accounts import phones as published_phones
from zhengwu.auth.principal import PUBLIC, Principal
from zhengwu.errors import InvalidInputError, ZhengwuError
from zhengwu.rescue import access, board, followup, intake
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.labels import STEP_LABELS, vulnerability_label
from zhengwu.rescue.models import Incident
from zhengwu.rescue.notices import OUTCOME_LABELS
from zhengwu.rescue.schemas import HELP_PEOPLE_MAX, HELP_TEXT_MIN, HelpSubmission
from zhengwu.rescue.throttle import limit_anonymous, limit_followup
from zhengwu.rescue.workflow import STATE_LABELS
from zhengwu.web import branding
from zhengwu.web.deps import DB, CurrentPrincipal, WritingPrincipal
from zhengwu.web.localtime import local_time

router = APIRouter(tags=["rescue pages"], include_in_schema=False)
_templates = Environment(
    loader=PackageLoader("zhengwu.rescue", "templates"), autoescape=select_autoescape()
)
_templates.filters.update(local=local_time, vulnerability_label=vulnerability_label)
branding.install(_templates)
_templates.globals.update(
    state_labels=STATE_LABELS,
    step_labels=STEP_LABELS,
    outcome_labels=OUTCOME_LABELS,
    urgency_labels={"critical": "超级紧急", "urgent": "紧急", "normal": "一般"},
)


@router.get("/board/rescue/{incident_id}", response_class=HTMLResponse)
def board_page(
    incident_id: int, request: Request, db: DB, principal: CurrentPrincipal,
    offset: Annotated[int, Query(ge=0)] = 0, notices_offset: Annotated[int, Query(ge=0)] = 0,
) -> HTMLResponse:  # fmt: skip
    """Show the public board of an incident, masked for every viewer (staff included: a
    board is projected and shared; the console's queue shows what staff may read).

    The waiting requests (by priority) and the closing notices (latest first) are shown a
    page at a time (``offset``, ``notices_offset``), each with 上一页 / 下一页 links in a
    labelled ``nav``; a list's links keep the other list's page and every other query
    parameter of the address (a shared link's ``from=…``).
    """
    incident = rescue_service.get_incident(db, incident_id=incident_id)
    view = board.board(db, incident=incident, principal=PUBLIC, offset=offset,
                       notices_offset=notices_offset)  # fmt: skip
    kept = {k: v for k, v in request.query_params.items() if k not in ("offset", "notices_offset")}
    page = _templates.get_template("rescue_board.html").render(
        board=view,
        staff_console=(
            f"/console/rescue/{incident.id}" if principal.role in access.FULL_ROLES else None
        ),
        requests_links=page_links(view.requests_total, view.requests_offset, view.page_size,
                                  key="offset",
                                  other={**kept, "notices_offset": view.notices_offset},
                                  anchor="waiting"),
        notices_links=page_links(view.notices_total, view.notices_offset, view.page_size,
                                 key="notices_offset",
                                 other={**kept, "offset": view.requests_offset},
                                 anchor="notices-heading"),
    )  # fmt: skip
    return HTMLResponse(page)


def page_links(
    total: int, offset: int, size: int, *, key: str, other: Mapping[str, object], anchor: str
) -> dict[str, object]:
    """Return a board list's range, page number and its previous / next links (None at
    either end); a link keeps the other parameters (``other``; empty and zero ones are
    left out) and returns to the list (``anchor``)."""

    def link(to: int) -> str:
        params = {k: v for k, v in other.items() if v} | ({key: to} if to else {})
        return f"?{urlencode(params)}#{anchor}"

    return {
        "total": total, "size": size, "first": offset + 1 if total else 0,
        "last": min(offset + size, total), "page": offset // size + 1 if size else 1,
        "pages": max(-(-total // size), 1) if size else 1,
        "prev": link(max(offset - size, 0)) if offset else None,
        "next": link(offset + size) if offset + size < total else None,
    }  # fmt: skip


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
        principal, incident, keep=published_phones.directory(db), session=db
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
    found, source = intake.take_submission(db, incident=incident, data=data, actor=principal,
                                           channel="form")  # fmt: skip
    issued = followup.issue(db, request=found, phone=data.phone, source=source)
    fresh = rescue_service.get_request(db, request_id=found.id)
    view = access.view(
        principal, fresh, keep=published_phones.directory(db),
        officials=access.government_handles(db, [fresh]),
    )  # fmt: skip
    page = _templates.get_template("rescue_receipt.html").render(
        incident=incident, request=view, callback=bool(found.phones), followup=issued
    )
    return HTMLResponse(page, status_code=201, headers=PRIVATE_HEADERS)


# -- a citizen's follow-up (zhengwu.rescue.followup) ---------------------------------------

# Pages carrying a follow-up key: not cached, and the key never leaves in a Referer.
PRIVATE_HEADERS = {"cache-control": "no-store", "referrer-policy": "no-referrer"}
# Mounted before ``router``: /board/rescue/followup is not an incident number.
followup_router = APIRouter(tags=["rescue pages"], include_in_schema=False)


def _followup_page(
    key: followup.FollowupKey | None, *, db: DB | None = None, status_code: int = 200,
    message: tuple[str, str] | None = None, error: tuple[str, str] | None = None,
    confirm: dict[str, object] | None = None, errors: dict[str, tuple[str, str]] | None = None,
    values: dict[str, str] | None = None,
) -> HTMLResponse:  # fmt: skip
    """Render the follow-up page: the request's status and forms, or the look-up form;
    with ``confirm`` (reason, its label, note, creator) the withdrawal's confirmation. A
    refused field's error (``errors``, by field id) is shown next to it, and the forms keep
    what was typed (``values``, by field id)."""
    status, hotline = None, None
    if key is not None and db is not None:
        try:
            found = followup.find(db, key)
            hotline = rescue_service.get_incident(db, incident_id=found.incident_id).hotline
            status = followup.status(
                found,
                keep=published_phones.directory(db),
                officials=access.government_handles(db, [found]),
            )
        except ZhengwuError as exc:
            error, status_code = (exc.message_zh, exc.message_en), exc.status_code
    page = _templates.get_template("rescue_followup.html").render(
        status=status, key=key, message=message, error=error, hotline=hotline,
        confirm=confirm if status is not None and status.open else None,
        errors=errors or {}, values=values or {},
    )  # fmt: skip
    return HTMLResponse(page, status_code=status_code, headers=PRIVATE_HEADERS)


@followup_router.get("/board/rescue/followup", response_class=HTMLResponse)
def followup_lookup_page() -> HTMLResponse:
    """Show the look-up form: the phone given with the request and its query code."""
    return _followup_page(None)


@followup_router.post("/board/rescue/followup", response_class=HTMLResponse)
def followup_lookup(
    request: Request, db: DB, _principal: WritingPrincipal,
    phone: Annotated[str, Form()] = "", code: Annotated[str, Form()] = "",
) -> HTMLResponse:  # fmt: skip
    """Show the follow-up page of the request a phone and its query code open (rate-limited)."""
    limit_followup(request)
    return _followup_page(followup.FollowupKey(phone=phone, code=code), db=db)


@followup_router.get("/board/rescue/followup/{token}", response_class=HTMLResponse)
def followup_page(token: str, request: Request, db: DB) -> HTMLResponse:
    """Show the private follow-up page of a request (its link's token; rate-limited)."""
    limit_followup(request)
    return _followup_page(followup.FollowupKey(token=token), db=db)


@followup_router.post("/board/rescue/followup/update", response_class=HTMLResponse)
def followup_update(
    request: Request, db: DB, _principal: WritingPrincipal,
    token: Annotated[str, Form()] = "", phone: Annotated[str, Form()] = "",
    code: Annotated[str, Form()] = "", text: Annotated[str, Form()] = "",
    people: Annotated[str, Form()] = "", new_phone: Annotated[str, Form()] = "",
) -> HTMLResponse:  # fmt: skip
    """Add the citizen's update to their request (rate-limited)."""
    limit_followup(request)
    key = followup.FollowupKey(token=token or None, phone=phone or None, code=code or None)
    fields = {"text": text, "people": people.strip() or None, "new_phone": new_phone}
    typed = {"text": text, "people": people, "new_phone": new_phone}
    try:
        data = followup.FollowupUpdateIn.model_validate({**key.model_dump(), **fields})
        followup.add_update(db, request=followup.find(db, key), data=data)
    except ValidationError as exc:
        refused = {str(e["loc"][0]) for e in exc.errors() if e.get("loc")}
        errors = {f: UPDATE_FIELD_ERRORS[f] for f in UPDATE_FIELD_ERRORS if f in refused}
        return _followup_page(key, db=db, status_code=422,
                              error=CORRECT_BELOW if errors else UPDATE_ERROR,
                              errors=errors, values=typed)  # fmt: skip
    except ZhengwuError as exc:
        return _followup_page(key, db=db, status_code=exc.status_code,
                              error=(exc.message_zh, exc.message_en), values=typed)  # fmt: skip
    return _followup_page(key, db=db, message=UPDATE_DONE)


@followup_router.post("/board/rescue/followup/withdraw", response_class=HTMLResponse)
def followup_withdraw(
    request: Request, db: DB, _principal: WritingPrincipal,
    token: Annotated[str, Form()] = "", phone: Annotated[str, Form()] = "",
    code: Annotated[str, Form()] = "", reason: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "", confirm: Annotated[str, Form()] = "",
) -> HTMLResponse:  # fmt: skip
    """Withdraw the citizen's request: safe, or the information was wrong (rate-limited).

    Two steps, no script needed: the form on the follow-up page only asks (a page says
    what withdrawing does, with 「确认撤回」 and 「返回，不撤回」); the request is withdrawn
    when that confirmation is posted (``confirm=yes``).
    """
    limit_followup(request)
    key = followup.FollowupKey(token=token or None, phone=phone or None, code=code or None)
    try:
        data = followup.FollowupWithdrawIn.model_validate(
            {**key.model_dump(), "reason": reason, "note": note.strip() or None}
        )
        found, creator = followup.open_key(db, key)
        if confirm != "yes":
            asked = {"reason": data.reason, "label": followup.WITHDRAW_REASONS[data.reason],
                     "note": data.note or "", "creator": creator}  # fmt: skip
            return _followup_page(key, db=db, confirm=asked)
        closed = followup.withdraw(db, request=found, data=data, creator=creator)
    except ValidationError as exc:
        refused = {str(e["loc"][0]) for e in exc.errors() if e.get("loc")}
        errors = {f: WITHDRAW_FIELD_ERRORS[f] for f in WITHDRAW_FIELD_ERRORS if f in refused}
        return _followup_page(key, db=db, status_code=422,
                              error=CORRECT_BELOW if errors else WITHDRAW_ERROR,
                              errors=errors, values={"note": note})  # fmt: skip
    except ZhengwuError as exc:
        return _followup_page(key, db=db, status_code=exc.status_code,
                              error=(exc.message_zh, exc.message_en))  # fmt: skip
    return _followup_page(key, db=db, message=WITHDRAW_DONE if closed else WITHDRAW_ASKED)


UPDATE_DONE = ("已收到您的补充，核实员会看到并重新评估。", "your update was received; "
               "the verifiers will see it and reassess the request")  # fmt: skip
UPDATE_ERROR = (
    f"请写明有什么变化（2 到 2000 个字）；人数填 1 到 {HELP_PEOPLE_MAX} 的整数；电话写 11 位手机或带区号的座机",
    f"describe what changed (2 to 2000 characters); people is a whole number from 1 to "
    f"{HELP_PEOPLE_MAX}; a phone is an 11-digit mobile or a landline with its area code",
)
CORRECT_BELOW = (
    "请改正下面标出的内容后再提交。",
    "Please correct the fields marked below and send again.",
)
# What the follow-up forms say next to a field they refuse (Chinese, then English).
UPDATE_FIELD_ERRORS: dict[str, tuple[str, str]] = {
    "text": ("请写明有什么变化，2 到 2000 个字", "describe what changed in 2 to 2000 characters"),
    "people": FIELD_ERRORS["people"],
    "new_phone": FIELD_ERRORS["phone"],
}
WITHDRAW_FIELD_ERRORS: dict[str, tuple[str, str]] = {
    "reason": ("请选择撤回原因", "choose why you withdraw the request"),
    "note": ("说明最多 500 个字", "the note is at most 500 characters"),
}
WITHDRAW_DONE = ("求助已撤回，看板将注明由求助人撤回。平安就好！",
                 "the request is withdrawn; the board says you withdrew it. Stay safe!")  # fmt: skip
WITHDRAW_ASKED = ("已收到您的撤回请求：此求助还有其他人发布的信息，核实员确认后结束。",
                  "your withdrawal was received: others also posted this request, so a "
                  "verifier confirms before it is closed")  # fmt: skip
WITHDRAW_ERROR = ("请选择撤回原因：已自行脱险/已获救，或信息有误",
                  "choose why: you are safe, or the information was wrong")  # fmt: skip
