"""Public routes: submit a request (form or JSON), follow it, reopen or rate it, the board.

Everything here is open to the anonymous public, so it only ever shows masked text, and
anonymous submissions are rate-limited per client address.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from pydantic import ValidationError
from sqlalchemy import func, select

from zhengwu.accounts import phones as published_phones
from zhengwu.auth.principal import PUBLIC
from zhengwu.errors import ConflictError, InvalidInputError, NotFoundError
from zhengwu.servicedesk import access, presenters, public_form, rates, service
from zhengwu.servicedesk.actions import FIELD_NAMES
from zhengwu.servicedesk.category import service as category_service
from zhengwu.servicedesk.errors import IntakeThrottledError
from zhengwu.servicedesk.models import ServiceRequest
from zhengwu.servicedesk.schemas import (
    MAX_REASON,
    ActionInput,
    CitizenAction,
    IntakeReceipt,
    PublicRequest,
    RequestIntake,
    StaffIntakeReceipt,
)
from zhengwu.servicedesk.throttle import SlidingWindow
from zhengwu.servicedesk.workflow import STATE_LABELS
from zhengwu.validation_text import message_en, message_zh
from zhengwu.web import branding
from zhengwu.web.deps import DB, WritingPrincipal, check_choices
from zhengwu.web.forms import read_form
from zhengwu.web.localtime import CHINA, local_time

router = APIRouter(tags=["public 公众"])
ANON_LIMIT, ANON_WINDOW_SECONDS = 10, 60.0
BOARD_MAX_AGE = 60
_templates = Environment(
    loader=PackageLoader("zhengwu.servicedesk", "templates"), autoescape=select_autoescape()
)
_templates.filters["local"] = local_time
branding.install(_templates)
_PRIVATE = {"Cache-Control": "private, no-store"}  # a form sent back, a receipt with a token
_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
_ATTRIBUTE = re.compile(r"^attribute\[([^\]]+)\](\[\])?$")
_FORM_FIELDS = (
    "text", "category_code", "address", "lat", "lon", "adcode", "citizen_name",
    "citizen_phone", "citizen_email", "account_uid", "media_url", "public",
)  # fmt: skip


def setup(app: FastAPI) -> None:
    """Give the app its own limiter of anonymous submissions."""
    app.state.desk_intake_limiter = SlidingWindow(ANON_LIMIT, ANON_WINDOW_SECONDS, app.state.engine)


def _wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


async def _intake_payload(request: Request) -> tuple[dict[str, Any], bool]:
    """Return the submitted fields and whether they came from a form."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await read_form(request)
        data: dict[str, Any] = {
            k: v for k in _FORM_FIELDS if isinstance(v := form.get(k), str) and v
        }
        attributes: dict[str, Any] = {}
        for key in form:
            if m := _ATTRIBUTE.match(key):
                values = [v for v in form.getlist(key) if isinstance(v, str)]
                attributes[m[1]] = values if m[2] else (values[0] if values else "")
        data["attributes"] = attributes
        if "public" in data:
            data["public"] = data["public"] not in {"0", "false", "off", "no"}
        return data, True
    try:
        body = await request.json()
    except ValueError:
        raise InvalidInputError("请求体不是有效的 JSON", "the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise InvalidInputError("请求体应为 JSON 对象", "the body must be a JSON object")
    return body, False


# The fields of the public form, the API intake and a citizen's action (Chinese, English).
_FIELDS: dict[str, tuple[str, str]] = {
    **FIELD_NAMES,
    "text": ("诉求内容", "text"),
    "address": ("地点", "address"),
    "citizen_name": ("姓名", "name"),
    "citizen_phone": ("电话", "phone"),
    "citizen_email": ("邮箱", "email"),
    "token": ("凭证", "token"),
    "reason": ("理由", "reason"),
}


def _validation_error(exc: ValidationError) -> InvalidInputError:
    """Return the first error of a form or body as a bilingual 422 (each half one language)."""
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ()))
    zh, en = _FIELDS.get(where, (where, where))
    return InvalidInputError(
        f"「{zh}」无效：{message_zh(first)}", f"invalid {en}: {message_en(first)}"
    )


@router.post(
    "/api/requests",
    response_model=IntakeReceipt,
    status_code=201,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": RequestIntake.model_json_schema()},
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "properties": {f: {"type": "string"} for f in _FORM_FIELDS},
                    }
                },
            },
        }
    },
)
async def submit_request(request: Request, db: DB, principal: WritingPrincipal) -> Response:
    """Submit a citizen request (form or JSON); anonymous submissions are rate-limited.

    Logged-in staff registering a request here are answered as by
    ``POST /api/desk/requests`` (:func:`service.staff_receipt`): a matrix office's request
    that routing would place outside its matrix is kept in its own queue, and a matrix
    office without a matrix is refused before its body is read.
    """
    access.check_office_has_matrix(principal)
    data, from_form = await _intake_payload(request)
    if not principal.is_authenticated:
        client = request.client.host if request.client else "-"
        request.app.state.desk_intake_limiter.hit(client)
        # The public cannot claim to be a platform post or another system's ticket.
        for key in ("source_ref", "citizen_uid", "root_ref", "submitted_at"):
            data.pop(key, None)
        data["source"] = "form" if from_form else "api"
    else:
        data.setdefault("source", "form" if from_form else "api")
    try:
        intake = RequestIntake.model_validate(data)
    except ValidationError as exc:
        raise _validation_error(exc) from None

    def take_in() -> tuple[service.IntakeOutcome, IntakeReceipt]:
        office = access.office_queue(db, principal)  # a matrix office's own queue
        outcome = service.receive(db, intake=intake, actor=principal, office=office)
        if access.reads_requests(principal):  # staff: the answer of POST /api/desk/requests
            return outcome, service.staff_receipt(db, principal, outcome)
        return outcome, IntakeReceipt(
            public_id=outcome.request.public_id, status=outcome.status,
            citizen_token=outcome.citizen_token, state=outcome.request.state,
            category_code=outcome.request.category_code,
            organization_id=outcome.request.organization_id,
        )  # fmt: skip

    # The database work is blocking: run it off the event loop, as FastAPI does for sync routes.
    outcome, receipt = await run_in_threadpool(take_in)
    status = 201 if outcome.status == "created" else 200
    if from_form and _wants_html(request):
        warnings = receipt.warnings if isinstance(receipt, StaffIntakeReceipt) else []
        return HTMLResponse(_receipt_html(outcome, warnings), status_code=status)
    return JSONResponse(receipt.model_dump(mode="json"), status_code=status)


def _owned(req: ServiceRequest, token: str | None) -> bool:
    """Tell whether ``token`` is the citizen's token of ``req`` (their own request)."""
    return token is not None and secrets.compare_digest(
        service.token_hash(token), req.citizen_token_hash
    )


def _public_or_owned(db: DB, public_id: str, token: str | None) -> ServiceRequest:
    req = service.get_by_public_id(db, public_id)
    owned = _owned(req, token)
    if not owned and (not req.is_public or req.state == "invalid"):
        raise NotFoundError(f"诉求不存在：{public_id}", f"no such request: {public_id}")
    return req


@router.get("/api/public/requests/{public_id}", response_model=PublicRequest)
def public_request(db: DB, public_id: str, token: str | None = None) -> PublicRequest:
    """Return one request as the public sees it (its own citizen may pass ``token``, and
    then also sees their satisfaction rating)."""
    req = _public_or_owned(db, public_id, token)
    tree = category_service.get_tree(db, include_inactive=True)
    return presenters.public_rows(db, [req], tree, own=_owned(req, token))[0]


async def _action_payload(request: Request) -> tuple[dict[str, Any], bool]:
    """Return a citizen action's fields (token, reason, satisfaction) and whether they came
    from a form (the private page's 评价 and 重新办理 forms), else from a JSON body."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await read_form(request)
        return {k: v for k in _ACTION_FIELDS if isinstance(v := form.get(k), str)}, True
    data, _ = await _intake_payload(request)
    return data, False


async def _citizen(request: Request, db: DB, public_id: str, action: str) -> Response:
    data, from_form = await _action_payload(request)
    if from_form and _wants_html(request):
        return await run_in_threadpool(_citizen_form, db, public_id, action, data)
    if isinstance(data.get("satisfaction"), str):
        data["satisfaction"] = data["satisfaction"] or None
    try:
        body = CitizenAction.model_validate(data)
    except ValidationError as exc:
        raise _validation_error(exc) from None

    def act() -> ServiceRequest:
        req = service.get_by_public_id(db, public_id)
        return service.citizen_act(
            db, request=req, action=action, token=body.token,
            data=ActionInput(reason=body.reason, satisfaction=body.satisfaction),
        )  # fmt: skip

    req = await run_in_threadpool(act)

    def present() -> PublicRequest:
        tree = category_service.get_tree(db, include_inactive=True)
        return presenters.public_rows(db, [req], tree, own=True)[0]  # the token was checked

    return JSONResponse((await run_in_threadpool(present)).model_dump(mode="json"))


_ACTION_FIELDS = ("token", "reason", "satisfaction")
# The private page's forms: what each says next to a field it refuses (Chinese, English).
_REOPEN_NEEDS_REASON = ("请说明问题为什么没有解决", "please say why the problem is not solved")
_REASON_TOO_LONG = (f"最多 {MAX_REASON} 个字", f"at most {MAX_REASON} characters")
_CHOOSE_SATISFACTION = ("请选择满意度（1 到 5）", "choose how satisfied you are (1 to 5)")


def _citizen_form(db: DB, public_id: str, action: str, values: dict[str, str]) -> Response:
    """Take a reopen or rating from the citizen's private page (``/board/requests/{id}?token=``).

    A refused field is named next to it (Chinese, then English) and the page comes back with
    what was typed; a request whose state changed meanwhile says so above the forms. Done,
    it is back to the page (post/redirect/get), the token kept for a later rating.
    """
    token = values.get("token", "")
    req = _public_or_owned(db, public_id, token or None)
    reason = values.get("reason", "").strip()
    satisfaction = values.get("satisfaction", "").strip()
    errors: dict[str, tuple[str, str]] = {}
    field = "reason" if action == "reopen" else "rate_reason"
    if action == "reopen" and not reason:
        errors[field] = _REOPEN_NEEDS_REASON
    elif len(reason) > MAX_REASON:
        errors[field] = _REASON_TOO_LONG
    if action == "follow_up" and satisfaction not in {"1", "2", "3", "4", "5"}:
        errors["satisfaction"] = _CHOOSE_SATISFACTION
    form_error: tuple[str, str] | None = None
    if not errors:
        try:
            req = service.citizen_act(
                db, request=req, action=action, token=token,
                data=ActionInput(reason=reason or None,
                                 satisfaction=int(satisfaction) if satisfaction else None),
            )  # fmt: skip
        except (ConflictError, InvalidInputError) as exc:  # the state changed meanwhile
            db.rollback()
            req = _public_or_owned(db, public_id, token)
            form_error = (exc.message_zh, exc.message_en)
        else:
            url = f"/board/requests/{req.public_id}?token={quote(token)}"
            return RedirectResponse(url, status_code=303)
    typed = {f"{action}:{k}": v for k, v in values.items() if k != "token"}
    page = _request_html(db, req, token, errors=errors, values=typed, form_error=form_error)
    return HTMLResponse(page, status_code=422 if errors else 409, headers=_PRIVATE)


@router.post("/api/requests/{public_id}/reopen", response_model=PublicRequest)
async def citizen_reopen(request: Request, db: DB, public_id: str) -> Response:
    """Reopen a resolved request as its citizen (token from the receipt; reason required)."""
    return await _citizen(request, db, public_id, "reopen")


@router.post("/api/requests/{public_id}/rate", response_model=PublicRequest)
async def citizen_rate(request: Request, db: DB, public_id: str) -> Response:
    """Rate a resolved request 1–5 as its citizen (回访; token from the receipt)."""
    return await _citizen(request, db, public_id, "follow_up")


def _board_query(category: str | None, state: str | None) -> Any:
    check_choices("state", [state] if state else None, STATE_LABELS)
    query = service.public_requests()
    if category:
        query = query.where(ServiceRequest.category_code.like(f"{category}%"))
    if state:
        query = query.where(ServiceRequest.state == state)
    return query


def _etag(db: DB, query: Any, *parts: object) -> str:
    sub = query.subquery()
    count, latest = db.execute(select(func.count(), func.max(sub.c.updated_at))).one()
    # Texts and replies are masked at display: a number published or withdrawn (公开电话)
    # changes the page.
    published = ",".join(sorted(published_phones.directory(db)))
    raw = "|".join(map(str, (count, latest, published, *parts)))
    return '"' + hashlib.sha256(raw.encode()).hexdigest()[:32] + '"'


def _period(periods: list[str], asked: str | None) -> str:
    """Return the month of the rates: the one asked for (``2025-07``), else the latest
    month with requests, else this month (China time)."""
    if asked and _MONTH.fullmatch(asked.strip()):
        return asked.strip()
    return periods[0] if periods else f"{datetime.now(CHINA):%Y-%m}"


def _board(
    db: DB, category: str | None, state: str | None, limit: int, offset: int,
    period: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    query = _board_query(category, state)
    rows = list(db.scalars(query.order_by(ServiceRequest.received_at.desc(), ServiceRequest.id.desc())
                           .limit(limit).offset(offset)))  # fmt: skip
    tree = category_service.get_tree(db, include_inactive=True)
    periods = rates.months_with_requests(db)
    chosen = _period(periods, period)
    start, end = rates.period_bounds(chosen)
    return {
        "requests": [r.model_dump(mode="json") for r in presenters.public_rows(db, rows, tree)],
        "rates": rates.as_dicts(rates.compute(db, start=start, end=end, by="organization")),
        "period": chosen,
        "periods": periods,
        "categories": [{"code": c.code, "name": c.name} for c in tree if c.parent_code is None],
        "states": STATE_LABELS,
    }


@router.get("/api/public/requests")
def public_board(
    request: Request, db: DB, category: str | None = None, state: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50, offset: Annotated[int, Query(ge=0)] = 0,
    period: Annotated[str | None, Query(pattern=_MONTH.pattern)] = None,
) -> Response:  # fmt: skip
    """Return the public board (#马上办#): masked requests, replies and one month's rates
    (``period``, default the latest month with requests; ``periods`` lists those months)."""
    etag = _etag(db, _board_query(category, state), category, state, limit, offset, period)
    headers = {"ETag": etag, "Cache-Control": f"public, max-age={BOARD_MAX_AGE}"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return JSONResponse(_board(db, category, state, limit, offset, period), headers=headers)


def _board_html(
    db: DB, *, category: str | None = None, state: str | None = None, offset: int = 0,
    period: str | None = None, values: dict[str, str] | None = None,
    errors: public_form.FieldErrors | None = None, form_error: tuple[str, str] | None = None,
) -> str:  # fmt: skip
    """Render the public board page, its form with what was typed and each field's error."""
    return _templates.get_template("board.html").render(
        board=_board(db, category, state, 50, offset, period), category=category, state=state,
        offset=offset, values=values or {}, errors=errors or {}, form_error=form_error,
    )  # fmt: skip


@router.get("/board/requests", response_class=HTMLResponse, include_in_schema=False)
def board_page(
    db: DB, category: str | None = None, state: str | None = None,
    offset: Annotated[int, Query(ge=0)] = 0, period: str | None = None,
) -> HTMLResponse:  # fmt: skip
    """Render the public board as a mobile-friendly page."""
    page = _board_html(db, category=category, state=state, offset=offset, period=period)
    return HTMLResponse(page, headers={"Cache-Control": f"public, max-age={BOARD_MAX_AGE}"})


@router.post("/board/requests", response_class=HTMLResponse, include_in_schema=False)
async def board_submit(request: Request, db: DB) -> HTMLResponse:
    """Take in a request from the board's "我要反映" form, as the anonymous public.

    A refused field is named next to it (Chinese, then English) and the board comes back
    with everything typed; a new request gets the public receipt, its state in words.
    """
    values = public_form.typed_values(await read_form(request))

    def take_in() -> HTMLResponse:
        codes = {c.code for c in category_service.get_tree(db)}
        intake, errors = public_form.check(values, categories=codes)
        if intake is None:
            page = _board_html(db, values=values, errors=errors)
            return HTMLResponse(page, status_code=InvalidInputError.status_code, headers=_PRIVATE)
        try:  # counted once valid: correcting a typo must not use up the allowance
            request.app.state.desk_intake_limiter.hit(
                request.client.host if request.client else "-"
            )
        except IntakeThrottledError as exc:
            page = _board_html(db, values=values, form_error=(exc.message_zh, exc.message_en))
            return HTMLResponse(page, status_code=exc.status_code, headers=_PRIVATE)
        outcome = service.receive(db, intake=intake, actor=PUBLIC)
        return HTMLResponse(
            _receipt_html(outcome), status_code=201 if outcome.status == "created" else 200,
            headers=_PRIVATE,
        )  # fmt: skip

    # The database work is blocking: run it off the event loop, as FastAPI does for sync routes.
    return await run_in_threadpool(take_in)


def _receipt_html(outcome: service.IntakeOutcome, warnings: list[str] | None = None) -> str:
    """Render the public receipt of a request just taken in (its state in words), with what
    staff who registered it must know (``warnings``: :func:`service.staff_intake_warnings`)."""
    req = outcome.request
    receipt = IntakeReceipt(
        public_id=req.public_id, status=outcome.status, citizen_token=outcome.citizen_token,
        state=req.state, category_code=req.category_code, organization_id=req.organization_id,
    )  # fmt: skip
    return _templates.get_template("receipt.html").render(
        receipt=receipt,
        state_label=STATE_LABELS.get(receipt.state, receipt.state),
        warnings=warnings or [],
    )


@router.get("/board/requests/{public_id}", response_class=HTMLResponse, include_in_schema=False)
def board_request_page(db: DB, public_id: str, token: str | None = None) -> HTMLResponse:
    """Render one request; with the citizen's token, also the reopen and rating forms."""
    req = _public_or_owned(db, public_id, token)
    page = _request_html(db, req, token)
    return HTMLResponse(
        page, headers={"Cache-Control": "private, no-store" if token else "public, max-age=60"}
    )


def _request_html(
    db: DB, req: ServiceRequest, token: str | None, *,
    errors: dict[str, tuple[str, str]] | None = None, values: dict[str, str] | None = None,
    form_error: tuple[str, str] | None = None,
) -> str:  # fmt: skip
    """Render one request as the public sees it; with the citizen's token, its forms, with
    what was typed (``values`` keyed ``action:field``) and each refused field's error."""
    tree = category_service.get_tree(db, include_inactive=True)
    row = presenters.public_rows(db, [req], tree, own=_owned(req, token))[0]
    return _templates.get_template("request.html").render(
        request=row, token=token, errors=errors or {}, values=values or {}, form_error=form_error
    )
