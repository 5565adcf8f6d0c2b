"""Routes of the service desk under ``/api/desk`` (staff), plus the public and sub-domain routers.

Staff: the queue with filters, a request's detail (with its audit history and outbox), each
workflow action as ``POST /api/desk/requests/{public_id}/{action}``, the due-soon list, rates
and the escalation job. Reading goes through :mod:`zhengwu.servicedesk.access`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, File, Form, Query, Request, UploadFile
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session

from zhengwu.auth.principal import Principal
from zhengwu.db.base import utcnow
from zhengwu.errors import ForbiddenError
from zhengwu.servicedesk import (
    access,
    export,
    office_merges,
    presenters,
    public_views,
    rates,
    scheduled,
    service,
    upload,
)
from zhengwu.servicedesk import filters as request_filters
from zhengwu.servicedesk.category import views as category_views
from zhengwu.servicedesk.models import SOCIAL_SOURCES
from zhengwu.servicedesk.rates import GroupBy, RateRow
from zhengwu.servicedesk.routing import views as routing_views
from zhengwu.servicedesk.schemas import (
    ActionInput,
    RequestDetail,
    RequestIntake,
    RequestSummary,
    StaffIntakeReceipt,
)
from zhengwu.servicedesk.workflow import (
    ACTION_ACTORS,
    ACTION_LABELS,
    STATE_LABELS,
    TRANSITIONS,
    Action,
)
from zhengwu.storable import MAX_STORED_INT
from zhengwu.web.deps import DB, ChinaTime, CurrentPrincipal, WritingPrincipal, check_choices
from zhengwu.web.gate import GatedRoute, before_body

router = APIRouter(tags=["service desk 诉求办理"], route_class=GatedRoute)
router.include_router(category_views.router)
router.include_router(routing_views.router)
router.include_router(public_views.router)

STAFF = ("matrix_office", "handler", "operator")
OFFICE = ("matrix_office",)


def setup(app: FastAPI) -> None:
    """Prepare per-app state of the desk (the anonymous-intake limiter)."""
    public_views.setup(app)


def _filters(
    principal: CurrentPrincipal,
    state: Annotated[list[str] | None, Query()] = None,
    category: Annotated[list[str] | None, Query()] = None,
    # Bounded as the column is: the export streams its rows, so a value PostgreSQL refuses
    # would cut the download short instead of answering 422 (SQLite took it).
    organization_id: Annotated[int | None, Query(ge=1, le=MAX_STORED_INT)] = None,
    channel: Annotated[list[str] | None, Query()] = None,
    overdue: bool | None = None,
    start: ChinaTime | None = None,
    end: ChinaTime | None = None,
    region: str | None = None,
    ticket: str | None = None,
    phone: str | None = None,
    unassigned: bool | None = None,
) -> request_filters.RequestFilters:
    """Return the queue's filters from its query parameters, refusing unknown values (422).

    ``start`` and ``end`` are ISO 8601; a bare date or a time without an offset is China
    time. ``channel``: the source (12345, weibo, form …); ``region``: a division code, a city
    or province taking in its divisions; ``ticket``: the hotline's ticket number (工单编号)
    as imported; ``phone``: the caller's phone (any writing; desk staff only);
    ``unassigned``: true for the open requests with no body (未派单), false for the others.
    """
    check_choices("state", state, STATE_LABELS)
    found = request_filters.RequestFilters(
        states=state, category_codes=category, organization_id=organization_id,
        channels=channel, overdue=overdue, start=start, end=end, region=region or None,
        ticket=ticket or None, phone=phone or None, unassigned=unassigned,
    )  # fmt: skip
    request_filters.check_phone_allowed(found, principal)
    request_filters.check(found)
    return found


# The queue's filters as query parameters (the queue and its export take the same ones).
QueueFilters = Annotated[request_filters.RequestFilters, Depends(_filters)]


@router.get("/api/desk/requests", response_model=list[RequestSummary])
def queue(
    db: DB,
    principal: CurrentPrincipal,
    filters: QueueFilters,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[RequestSummary]:
    """List the requests you handle (or oversee), newest first, with filters (state,
    category, organization_id, channel, overdue, start, end, region, ticket, phone,
    unassigned: see ``_filters``). An unknown ``state`` is refused (422) with the list of valid ones.
    """
    principal.require(*STAFF)
    found = service.search(db, principal=principal, limit=limit, offset=offset, filters=filters)
    return [presenters.summary(r, unmasked=True) for r in found]


@router.get("/api/desk/requests/export", response_class=StreamingResponse)
def export_requests(
    request: Request,
    db: DB,
    principal: CurrentPrincipal,
    filters: QueueFilters,
    format: export.Format = "csv",
) -> StreamingResponse:
    """Download the requests you may read as csv, xlsx or json, with the queue's filters.

    The columns are the hotline import's, so the file imports again; rows stream from the
    database. Staff get their requests in full; another logged-in role gets the public
    board's requests with personal data masked. Every export is audited.
    """
    if not principal.is_authenticated:
        raise ForbiddenError("请先登录", "please log in")
    export.record_export(db, principal=principal, filters=filters, fmt=format)
    factory = request.app.state.session_factory

    def body() -> Iterator[bytes]:
        # The request's session is closed before the body is sent: the rows get their own.
        with factory() as session:
            records = export.iter_records(session, principal=principal, filters=filters)
            yield from export.chunks(format, records)

    name = f"requests-{utcnow():%Y%m%d-%H%M%S}.{format}"
    return StreamingResponse(
        body(), media_type=export.MEDIA_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )  # fmt: skip


@router.get("/api/desk/requests/due-soon", response_model=list[RequestSummary])
def due_soon(
    db: DB, principal: CurrentPrincipal, hours: Annotated[float, Query(gt=0, le=720)] = 24
) -> list[RequestSummary]:
    """List your open requests whose next deadline falls within ``hours`` (reminders)."""
    principal.require(*STAFF)
    found = scheduled.due_soon(db, principal=principal, within_hours=hours)
    return [presenters.summary(r, unmasked=True) for r in found]


@router.get("/api/desk/merged-outside-scope")
def merged_outside_scope(
    db: DB, principal: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=office_merges.SHOWN)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> dict[str, Any]:  # fmt: skip
    """List your matrix's calls merged into open requests outside its scope, newest first.

    Each with the request it joined (its number, state, handling body and queue), which you
    may open read-only and masked (``GET /api/desk/requests/{public_id}``). A matrix office
    only; anyone else reads an empty list.
    """
    principal.require(*STAFF)
    total, calls = office_merges.merged_calls(db, principal, limit=limit, offset=offset)
    return {
        "total": total,
        "calls": [
            {"source_ref": c.source_ref, "merged_at": c.merged_at.isoformat(),
             "public_id": c.public_id, "state": c.state,
             "state_label": STATE_LABELS.get(c.state, c.state),
             "organization_id": c.organization_id, "matrix_id": c.matrix_id,
             "office_matrix_id": c.office_matrix_id}
            for c in calls
        ],
    }  # fmt: skip


def _may_register(session: Session, principal: Principal, request: Request) -> None:
    """Refuse a registration from anyone but desk staff, and from a matrix office without a
    matrix (before the body is read and validated)."""
    principal.require(*STAFF)
    access.check_office_has_matrix(principal)


@router.post("/api/desk/requests", response_model=StaffIntakeReceipt, status_code=201)
@before_body(_may_register)
def staff_intake(db: DB, principal: WritingPrincipal, intake: RequestIntake) -> StaffIntakeReceipt:
    """Register a request on a citizen's behalf (phone call, letter, another system).

    Private unless the body says ``"public": true`` — a phone call or a letter was not
    addressed to the public — except a social post, which the citizen published already.

    A matrix office's new request that routing would place outside its matrix (no place or
    rule, or another matrix's body) is kept in its own matrix queue, unassigned
    (:class:`access.OfficeQueue`): the answer says so (``kept_in_office_queue``, and why in
    ``warnings``). A matrix office whose account has no matrix is refused (403).
    """
    principal.require(*STAFF)
    office = access.office_queue(db, principal)  # refuses an office without a matrix
    if "public" not in intake.model_fields_set and intake.source not in SOCIAL_SOURCES:
        intake = intake.model_copy(update={"public": False})
    outcome = service.receive(db, intake=intake, actor=principal, office=office)
    return service.staff_receipt(db, principal, outcome)


def _may_import(session: Session, principal: Principal, request: Request) -> None:
    """Refuse an export upload from anyone who may not import (before the file is read)."""
    access.check_may_import(principal)


@router.post("/api/desk/import")
@before_body(_may_import)
def import_export(
    db: DB, principal: WritingPrincipal, file: Annotated[UploadFile, File()],
    source: Annotated[str, Form()] = "12345", public: Annotated[bool, Form()] = False,
    dry_run: Annotated[bool, Form()] = False,
) -> dict[str, object]:  # fmt: skip
    """Import a hotline export (12345 导出表: CSV, .xlsx, .csv.gz, a .zip of one sheet).

    As ``zhengwu desk import-csv``: the counts, the warnings, and the first quarantined rows
    of this run (location and reason; ``zhengwu quarantine --run`` lists them all). The
    matrix office and the admin only (:func:`access.check_may_import`); up to
    :data:`upload.MAX_UPLOAD_BYTES`. With ``dry_run`` the answer is what the import would do
    now, and nothing is written (``run_id`` null).
    """
    access.check_may_import(principal)
    upload.check_source(source)
    with upload.saved_upload(file.file, file.filename or "") as path:
        outcome = upload.import_upload(db, path, actor=principal, source=source, public=public,
                                       dry_run=dry_run, via="api")  # fmt: skip
    return outcome.to_dict()


@router.get("/api/desk/requests/{public_id}", response_model=RequestDetail)
def request_detail(db: DB, principal: CurrentPrincipal, public_id: str) -> RequestDetail:
    """Return a request with its sources, audit history and public replies.

    A matrix office also opens a request outside its scope that one of its calls was merged
    into: read-only and masked (``masked``, no ``allowed_actions``; :mod:`office_merges`).
    """
    principal.require(*STAFF)
    req = service.get_viewable(db, principal=principal, public_id=public_id)
    return presenters.detail(db, req, principal)


@router.post("/api/desk/requests/{public_id}/{action}", response_model=RequestDetail)
def act(
    db: DB, principal: WritingPrincipal, public_id: str, action: Action,
    data: ActionInput | None = None,
) -> RequestDetail:  # fmt: skip
    """Perform a workflow action (受理 转办 退单 协办 延期 督办 办结 回访 …) on a request."""
    principal.require(*STAFF)
    req = service.get_readable(db, principal=principal, public_id=public_id)
    service.perform(db, request=req, action=action, actor=principal, data=data or ActionInput())
    return presenters.detail(db, req, principal)


@router.get("/api/desk/workflow")
def workflow() -> dict[str, Any]:
    """Return the workflow as data: states, actions, transitions and who may act."""
    return {
        "states": STATE_LABELS,
        "actions": ACTION_LABELS,
        "transitions": [
            {"from": s, "action": a, "to": t, "actors": sorted(ACTION_ACTORS[a])}
            for (s, a), t in TRANSITIONS.items()
        ],
    }


@router.get("/api/desk/rates", response_model=list[RateRow])
def desk_rates(
    db: DB, principal: CurrentPrincipal, period: str, by: GroupBy = "organization"
) -> list[RateRow]:
    """Return 回应率 办结率 按时办结率 满意率 per organisation, matrix, category or channel.

    Only what the caller oversees: the requests it reads, and its own groups — a handler
    its organisation's row, a matrix office its matrix and the matrices below it
    (:func:`zhengwu.servicedesk.rates.compute`'s ``within``); an admin everything.
    """
    principal.require(*STAFF)
    start, end = rates.period_bounds(period)
    return rates.compute(db, start=start, end=end, by=by, within=principal)


@router.post("/api/desk/escalate")
def escalate(db: DB, principal: WritingPrincipal) -> dict[str, list[str]]:
    """Supervise (督办) the overdue open requests you oversee now (the job, run by hand)."""
    principal.require(*OFFICE)
    done = scheduled.escalate_overdue(db, within=principal)
    return {"supervised": [r.public_id for r in done]}
