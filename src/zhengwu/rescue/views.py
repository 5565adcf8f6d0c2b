"""JSON API of the emergency help network under ``/api/rescue`` (and the public pages)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Literal

from fastapi import APIRouter, FastAPI, File, Form, Query, Request, UploadFile
from fastapi.responses import Response, StreamingResponse
from sqlalchemy.orm import Session

from zhengwu.accounts import phones as published_phones
from zhengwu.auth.principal import PUBLIC, Principal
from zhengwu.errors import ConflictError
from zhengwu.rescue import (
    access,
    board,
    claims,
    clock,
    corrections,
    dispatch,
    followup,
    intake,
    listing,
    lookup,
    notices,
    pages,
    priority,
    spreadsheet,
    throttle,
)
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.merge import HelpPostIn
from zhengwu.rescue.models import INCIDENT_STATES, HelpRequest
from zhengwu.rescue.schemas import (
    AssignmentCreate,
    BoardView,
    ClaimCreate,
    FulfilmentCreate,
    HelpRequestView,
    HelpSubmission,
    IncidentCreate,
    IncidentRead,
    IncidentUpdate,
    IntakeReport,
    PeopleCorrection,
    PostSubmission,
    QueuePage,
    ReasonCreate,
    RequestEdit,
    RequestMerge,
    ResolveCreate,
    SetAsidePage,
    TeamCreate,
    TeamRead,
    TeamUpdate,
    TransitionCreate,
    VerificationCreate,
)
from zhengwu.rescue.throttle import (
    FOLLOWUP_CALLS,
    SubmissionLimiter,
    limit_anonymous,
    limit_followup,
)
from zhengwu.rescue.workflow import OPEN_STATES, STATE_LABELS, flush_or_conflict, transition
from zhengwu.servicedesk import upload
from zhengwu.web.deps import DB, CurrentPrincipal, WritingPrincipal, check_choices
from zhengwu.web.gate import GatedRoute, before_body, path_int

api = APIRouter(prefix="/api/rescue", tags=["rescue 应急求助"], route_class=GatedRoute)


def setup(app: FastAPI) -> None:
    """Give the app its own limiters for anonymous submissions (limit and window: settings)
    and citizens' follow-ups."""
    app.state.rescue_limiter = throttle.from_settings(app.state.engine)
    app.state.rescue_followup_limiter = SubmissionLimiter(
        limit=FOLLOWUP_CALLS, scope="rescue-followup", engine=app.state.engine
    )


# -- incidents -----------------------------------------------------------------------------


@api.get("/incidents", response_model=list[IncidentRead])
def list_incidents(
    db: DB, principal: CurrentPrincipal, status: str | None = None
) -> list[IncidentRead]:
    """List incidents (public; descriptions masked but for rescue staff); status=active|closed."""
    check_choices("status", [status] if status else None, INCIDENT_STATES)
    found = rescue_service.list_incidents(db, status=status)
    keep = published_phones.directory(db)
    return access.incident_views(principal, found, keep=keep, session=db)


@api.post("/incidents", response_model=IncidentRead, status_code=201)
def create_incident(data: IncidentCreate, db: DB, principal: WritingPrincipal) -> IncidentRead:
    """Create an incident (dispatcher)."""
    principal.require("dispatcher")
    incident = rescue_service.create_incident(db, data=data, actor=principal)
    return access.incident_view(principal, incident)


@api.get("/incidents/{incident_id}", response_model=IncidentRead)
def get_incident(incident_id: int, db: DB, principal: CurrentPrincipal) -> IncidentRead:
    """Show one incident (public; its description masked but for rescue staff)."""
    incident = rescue_service.get_incident(db, incident_id=incident_id)
    return access.incident_view(
        principal, incident, keep=published_phones.directory(db), session=db
    )


@api.patch("/incidents/{incident_id}", response_model=IncidentRead)
def update_incident(
    incident_id: int, data: IncidentUpdate, db: DB, principal: WritingPrincipal
) -> IncidentRead:
    """Change or close an incident (dispatcher).

    Closing one with open requests is a 409 naming their counts by state
    (``open_requests``) unless ``force`` is true with a ``reason`` (audited).
    """
    principal.require("dispatcher")
    incident = rescue_service.get_incident(db, incident_id=incident_id)
    rescue_service.update_incident(db, incident=incident, data=data, actor=principal)
    return access.incident_view(principal, incident)


@api.delete("/incidents/{incident_id}", status_code=204, response_class=Response)
def delete_incident(incident_id: int, db: DB, principal: WritingPrincipal) -> Response:
    """Delete an incident created by mistake (dispatcher); one with requests is closed instead."""
    principal.require("dispatcher")
    incident = rescue_service.get_incident(db, incident_id=incident_id)
    rescue_service.delete_incident(db, incident=incident, actor=principal)
    return Response(status_code=204)


# -- teams ---------------------------------------------------------------------------------


@api.get("/teams", response_model=list[TeamRead])
def list_teams(db: DB, principal: CurrentPrincipal, active: bool | None = None) -> list[TeamRead]:
    """List rescue teams with their current load (rescue staff; contacts masked but for
    dispatchers and the team's own members); active=true lists those that can be sent."""
    access.require_staff(principal)
    loads = rescue_service.team_loads(db)
    return [
        access.team_view(principal, t, load=loads.get(t.id, 0))
        for t in rescue_service.list_teams(db, active=active)
    ]


@api.post("/teams", response_model=TeamRead, status_code=201)
def create_team(data: TeamCreate, db: DB, principal: WritingPrincipal) -> TeamRead:
    """Register a rescue team (dispatcher)."""
    principal.require("dispatcher")
    return TeamRead.model_validate(rescue_service.create_team(db, data=data, actor=principal))


@api.patch("/teams/{team_id}", response_model=TeamRead)
def update_team(team_id: int, data: TeamUpdate, db: DB, principal: WritingPrincipal) -> TeamRead:
    """Change a team, or deactivate / reactivate it with ``active`` (dispatcher); 409 when
    the name is taken or a team with open requests would stand down."""
    principal.require(*rescue_service.TEAM_MANAGERS)
    team = rescue_service.update_team(
        db, team=rescue_service.get_team(db, team_id=team_id), data=data, actor=principal
    )
    return access.team_view(principal, team, load=rescue_service.team_loads(db).get(team.id, 0))


# -- intake --------------------------------------------------------------------------------


@api.post("/incidents/{incident_id}/help", response_model=HelpRequestView, status_code=201)
def submit_help(
    incident_id: int, data: HelpSubmission, request: Request, db: DB, principal: WritingPrincipal
) -> HelpRequestView:
    """Ask for help (anyone, no login; anonymous callers are rate-limited)."""
    limit_anonymous(request, principal)
    incident = rescue_service.get_incident(db, incident_id=incident_id)
    channel = "form" if not principal.is_authenticated else "api"
    found, source = intake.take_submission(db, incident=incident, data=data, actor=principal,
                                           channel=channel)  # fmt: skip
    issued = followup.issue(db, request=found, phone=data.phone, source=source)
    fresh = rescue_service.get_request(db, request_id=found.id, for_update=True)
    shown = access.view(
        principal,
        fresh,
        keep=published_phones.directory(db),
        officials=access.government_handles(db, [fresh]),
    )
    return shown.model_copy(update={"followup": issued})


# -- a citizen's follow-up (no login; rate-limited per client) -----------------------------


def _followup_status(db: Session, found: HelpRequest) -> followup.FollowupStatus:
    """Return the masked status of ``found`` for its citizen (published numbers and
    government accounts' handles readable)."""
    return followup.status(found, keep=published_phones.directory(db),
                           officials=access.government_handles(db, [found]))  # fmt: skip


@api.post("/followup/status", response_model=followup.FollowupStatus)
def followup_status(
    data: followup.FollowupKey, request: Request, db: DB
) -> followup.FollowupStatus:
    """The masked status of a request, for whoever holds its follow-up key (token, or phone
    with query code): received / verified / dispatched / rescued / closed."""
    limit_followup(request)
    return _followup_status(db, followup.find(db, data))


@api.post("/followup/updates", response_model=followup.FollowupStatus, status_code=201)
def followup_update(
    data: followup.FollowupUpdateIn, request: Request, db: DB, _principal: WritingPrincipal
) -> followup.FollowupStatus:
    """Add the citizen's update (more people, changed situation, new phone): it joins the
    request's history, re-triages it, and flags it ``new_info`` in the queue."""
    limit_followup(request)
    found = followup.find(db, data)
    followup.add_update(db, request=found, data=data)
    return _followup_status(db, found)


@api.post("/followup/withdraw", response_model=followup.FollowupStatus)
def followup_withdraw(
    data: followup.FollowupWithdrawIn, request: Request, db: DB, _principal: WritingPrincipal
) -> followup.FollowupStatus:
    """Withdraw a request: ``self_rescued`` (已自行脱险/已获救) or ``withdrawn`` (信息有误);
    it is closed with that outcome and its own public wording (audited); 409 when closed.

    A key from a submission that merged into an existing request only asks: the answer
    stays ``open`` with ``withdrawal_requested`` until a coordinator confirms."""
    limit_followup(request)
    found, creator = followup.open_key(db, data)
    followup.withdraw(db, request=found, data=data, creator=creator)
    return _followup_status(db, found)


@api.post("/incidents/{incident_id}/posts", response_model=IntakeReport)
def submit_posts(
    incident_id: int, posts: list[PostSubmission], db: DB, principal: WritingPrincipal
) -> IntakeReport:
    """Take in social posts sent by a client (dispatcher); idempotent by post id."""
    principal.require("dispatcher")
    incident = rescue_service.get_incident(db, incident_id=incident_id)
    batch = [HelpPostIn(**p.model_dump()) for p in posts]
    return intake.take_in(db, incident=incident, posts=batch, actor=principal).report


def _may_import_sheet(session: Session, principal: Principal, request: Request) -> None:
    """Refuse a volunteers' sheet from anyone who may not import it, or for an unknown
    incident (before the sheet is read)."""
    principal.require(*spreadsheet.SHEET_IMPORTERS)
    rescue_service.get_incident(session, incident_id=path_int(request, "incident_id"))


@api.post("/incidents/{incident_id}/sheet", response_model=IntakeReport)
@before_body(_may_import_sheet)
def import_sheet(
    incident_id: int, file: Annotated[UploadFile, File()], db: DB, principal: WritingPrincipal,
    dry_run: Annotated[bool, Form()] = False,
) -> IntakeReport:  # fmt: skip
    """Import the volunteers' sheet (《待救援人员信息》: CSV in UTF-8 or GBK, or .xlsx; at
    most 5 MB) into the incident (dispatcher): unusable rows are set aside (quarantined)
    with their reason (``refused``); importing the same sheet again creates nothing new.
    With ``dry_run`` the answer is what the import would do now, and nothing is written
    (``request_ids`` empty)."""
    principal.require(*spreadsheet.SHEET_IMPORTERS)
    incident = rescue_service.get_incident(db, incident_id=incident_id)
    with upload.saved_upload(file.file, file.filename or "", **spreadsheet.SHEET_UPLOAD) as path:
        return spreadsheet.import_upload(db, incident=incident, path=path, actor=principal,
                                         dry_run=dry_run)  # fmt: skip


@api.post("/incidents/{incident_id}/intake", response_model=IntakeReport)
def intake_imported(incident_id: int, db: DB, principal: WritingPrincipal) -> IntakeReport:
    """Take in the imported posts (analytics store) matching the incident (dispatcher)."""
    from zhengwu.content.store import open_store
    from zhengwu.rescue.channels import intake_from_posts

    principal.require("dispatcher")
    incident = rescue_service.get_incident(db, incident_id=incident_id)
    with open_store(read_only=True) as con:
        return intake_from_posts(db, con, incident=incident, actor=principal)


@api.post("/incidents/{incident_id}/manual", response_model=HelpRequestView, status_code=201)
def enter_manual(
    incident_id: int, data: HelpSubmission, db: DB, principal: WritingPrincipal
) -> HelpRequestView:
    """Enter a request taken by phone or radio (dispatcher, verifier; channel ``phone``):
    extracted, merged and triaged like every other channel."""
    principal.require(*intake.MANUAL_ROLES)
    incident = rescue_service.get_incident(db, incident_id=incident_id)
    found = intake.enter_manual(db, incident=incident, data=data, actor=principal)
    return _reloaded(db, principal, found.id, fresh=True)


@api.get("/incidents/{incident_id}/set-aside", response_model=SetAsidePage)
def list_set_aside(
    incident_id: int,
    db: DB,
    principal: CurrentPrincipal,
    kind: Annotated[Literal["ignored", "quarantined"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> SetAsidePage:
    """Inputs intake set aside (not help, outside the regions: ``ignored``) and spreadsheet
    rows it refused (``quarantined``), newest first, with the reason, the post's link,
    author and post time (dispatcher, verifier: the texts are unmasked)."""
    principal.require(*intake.MANUAL_ROLES)
    incident = rescue_service.get_incident(db, incident_id=incident_id)
    total, items = intake.set_asides(db, incident=incident, kind=kind, offset=offset,
                                     limit=limit)  # fmt: skip
    return SetAsidePage(total=total, items=[access.set_aside_view(principal, i) for i in items])


@api.post("/set-aside/{set_aside_id}/promote", response_model=HelpRequestView, status_code=201)
def promote_set_aside(
    set_aside_id: int, data: ReasonCreate, db: DB, principal: WritingPrincipal
) -> HelpRequestView:
    """Take a set-aside input as a help request after all, with the reason (dispatcher,
    verifier); it joins the request it repeats, if any."""
    principal.require(*intake.MANUAL_ROLES)
    found = intake.get_set_aside(db, set_aside_id=set_aside_id)
    request = intake.promote(db, set_aside=found, actor=principal, reason=data.reason)
    return _reloaded(db, principal, request.id, fresh=True)


# -- queue, board, export ------------------------------------------------------------------


@api.get("/incidents/{incident_id}/queue", response_model=QueuePage)
def get_queue(
    incident_id: int,
    db: DB,
    principal: CurrentPrincipal,
    state: Annotated[list[str] | None, Query()] = None,
    team_id: int | None = None,
    urgency: str | None = None,
    sort: str = "priority",
    q: Annotated[str | None, Query(max_length=lookup.QUERY_MAX)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> QueuePage:
    """The dispatcher queue, by priority (rescue staff; personal data per access rule).

    ``state`` (repeatable; default the open states; ``all`` every state), ``team_id`` and ``urgency`` filter
    it; ``sort`` is ``priority`` (ties: the longest waiting first), ``oldest`` or
    ``newest``. The database filters, counts and pages it. ``q`` searches it
    (``张家湾 1234``): words in the texts, address and county, and for those who may see
    them the name and phones (a number finds a phone it is part of, e.g. its last four
    digits); see :mod:`zhengwu.rescue.lookup`. It combines with the other filters.

    A team member sees only their own team's requests (``team_id`` is forced to it;
    another team's is a 403): :func:`zhengwu.rescue.access.queue_team`.
    """
    access.require_staff(principal)
    team_id = access.queue_team(principal, team_id)
    check_choices("state", state, {**STATE_LABELS, "all": "全部"})
    check_choices("urgency", [urgency] if urgency else None, list(priority.URGENCY))
    check_choices("sort", [sort], listing.SORTS)
    incident = rescue_service.get_incident(db, incident_id=incident_id)
    # ``all``: every state, merged ones included — the console queue's 全部.
    states = () if "all" in (state or ()) else tuple(state or OPEN_STATES)
    filters = listing.Filters(states=states, team_id=team_id, urgency=urgency, sort=sort)
    keep = published_phones.directory(db)
    found = listing.search_page(db, principal, incident=incident, filters=filters, q=q,
                                offset=offset, limit=limit)  # fmt: skip
    officials = access.government_handles(db, found.items)
    items = claims.attach(
        db,
        principal,
        [access.view(principal, r, keep=keep, officials=officials) for r in found.items],
    )
    return QueuePage(total=found.total, items=items)


@api.get("/incidents/{incident_id}/board", response_model=BoardView)
def get_board(
    incident_id: int,
    db: DB,
    limit: Annotated[int, Query(ge=1, le=200)] = board.BOARD_PAGE,
    offset: Annotated[int, Query(ge=0)] = 0,
    notices_offset: Annotated[int, Query(ge=0)] = 0,
) -> BoardView:
    """The incident's board: counts by state and area, response times, and one page each
    of the waiting requests and the closing notices (public: masked for every caller, staff
    included; staff read requests in full through ``/queue``)."""
    incident = rescue_service.get_incident(db, incident_id=incident_id)
    return board.board(db, incident=incident, principal=PUBLIC, limit=limit, offset=offset,
                       notices_offset=notices_offset)  # fmt: skip


@api.get("/incidents/{incident_id}/export.csv", response_class=StreamingResponse)
def export_csv(
    incident_id: int, request: Request, db: DB, principal: CurrentPrincipal
) -> StreamingResponse:
    """Download the requests in the volunteers' spreadsheet layout (dispatcher).

    The rows stream from the database in the queue's order, a batch at a time.
    """
    principal.require("dispatcher")
    incident = rescue_service.get_incident(db, incident_id=incident_id)
    factory, now = request.app.state.session_factory, clock.now(db, incident.id)

    def body() -> Iterator[bytes]:
        yield "\ufeff".encode()  # Excel needs the BOM to read UTF-8
        # The request's session is closed before the body is sent: the rows get their own.
        with factory() as session:
            found = rescue_service.get_incident(session, incident_id=incident.id)
            rows = spreadsheet.export_rows(session, incident=found, principal=principal, now=now)
            for chunk in spreadsheet.csv_chunks(rows):
                yield chunk.encode()

    return StreamingResponse(
        body(), media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="rescue-{incident.id}.csv"'},
    )  # fmt: skip


# -- one request ---------------------------------------------------------------------------


def _opened(db: DB, principal: Principal, request_id: int) -> HelpRequest:
    """Return the request ``request_id`` if ``principal`` may open it: 404 when there is
    none, 403 for a team member when it is not their team's (the rule of their queue:
    :func:`zhengwu.rescue.access.require_request`). Every route of one request starts here."""
    found = rescue_service.get_request(db, request_id=request_id)
    access.require_request(principal, found)
    return found


@api.get("/requests/{request_id}", response_model=HelpRequestView)
def get_request(request_id: int, db: DB, principal: CurrentPrincipal) -> HelpRequestView:
    """Show one request as the caller may see it (masked unless they act on it); a team
    member may open only their own team's requests (403 otherwise)."""
    found = _opened(db, principal, request_id)
    shown = access.view(
        principal,
        found,
        keep=published_phones.directory(db),
        officials=access.government_handles(db, [found]),
    )
    return claims.attach(db, principal, [shown])[0]


def _reloaded(
    db: DB, principal: Principal, request_id: int, *, fresh: bool = False
) -> HelpRequestView:
    """Return a request after an action as the caller may see it (:func:`get_request`'s
    view: published numbers readable, government handles too, the rest masked)."""
    found = rescue_service.get_request(db, request_id=request_id, for_update=fresh)
    shown = access.view(principal, found, keep=published_phones.directory(db),
                        officials=access.government_handles(db, [found]))  # fmt: skip
    return claims.attach(db, principal, [shown])[0]


@api.post("/requests/{request_id}/claim", response_model=HelpRequestView)
def claim(
    request_id: int, db: DB, principal: WritingPrincipal, data: ClaimCreate | None = None
) -> HelpRequestView:
    """Claim the request for verification (认领核实; verifier or dispatcher) for ``minutes``
    (default 15), renewing one's own claim; 409 naming the claimer (and team) when taken.
    Recording a verification releases it."""
    found = _opened(db, principal, request_id)
    minutes = data.minutes if data else claims.CLAIM_MINUTES
    claims.claim(db, request=found, actor=principal, minutes=minutes)
    return _reloaded(db, principal, request_id)


@api.delete("/requests/{request_id}/claim", response_model=HelpRequestView)
def release_claim(request_id: int, db: DB, principal: WritingPrincipal) -> HelpRequestView:
    """Release the verification claim (its holder or a dispatcher)."""
    found = _opened(db, principal, request_id)
    claims.release(db, request=found, actor=principal)
    return _reloaded(db, principal, request_id)


@api.post("/requests/{request_id}/verifications", response_model=HelpRequestView)
def verify(
    request_id: int, data: VerificationCreate, db: DB, principal: WritingPrincipal
) -> HelpRequestView:
    """Record a verification: method, result, note (verifier or dispatcher)."""
    found = _opened(db, principal, request_id)
    dispatch.verify(db, request=found, method=data.method, result=data.result, actor=principal,
                    note=data.note)  # fmt: skip
    return _reloaded(db, principal, request_id)


@api.post("/requests/{request_id}/assignments", response_model=HelpRequestView)
def assign(
    request_id: int, data: AssignmentCreate, db: DB, principal: WritingPrincipal
) -> HelpRequestView:
    """Dispatch the request to a team; 409 when it already has one or changed meanwhile."""
    found = _opened(db, principal, request_id)
    team = rescue_service.get_team(db, team_id=data.team_id)
    dispatch.assign(db, request=found, team=team, actor=principal,
                    expected_version=data.expected_version, note=data.note)  # fmt: skip
    return _reloaded(db, principal, request_id)


@api.post("/requests/{request_id}/release", response_model=HelpRequestView)
def release(
    request_id: int, data: ReasonCreate, db: DB, principal: WritingPrincipal
) -> HelpRequestView:
    """Take the request back from its team, with the reason (dispatcher)."""
    found = _opened(db, principal, request_id)
    dispatch.release(db, request=found, actor=principal, reason=data.reason)
    return _reloaded(db, principal, request_id)


@api.post("/requests/{request_id}/transitions", response_model=HelpRequestView)
def move(
    request_id: int, data: TransitionCreate, db: DB, principal: WritingPrincipal
) -> HelpRequestView:
    """Move the request by hand: on_scene (its team or a dispatcher); others use their routes."""
    found = _opened(db, principal, request_id)
    if data.to in ("resolved", "announced"):
        raise ConflictError(
            "结束求助请用「结束求助并公告」（resolve）；「已公告」由消息发送结果决定",
            "close a request with resolve; it becomes announced when its notices are delivered",
        )
    if data.to == "on_scene":
        dispatch.arrive(db, request=found, actor=principal)
    else:
        principal.require("dispatcher")
        transition(db, request=found, to=data.to, actor=principal, reason=data.reason)
        flush_or_conflict(db, found)
    return _reloaded(db, principal, request_id)


@api.post("/requests/{request_id}/fulfilments", response_model=HelpRequestView)
def fulfil(
    request_id: int, data: FulfilmentCreate, db: DB, principal: WritingPrincipal
) -> HelpRequestView:
    """Record people helped ("5 of 8 evacuated") (its team or a dispatcher); more people
    than the request lists raise its count (audited)."""
    found = _opened(db, principal, request_id)
    dispatch.fulfil(db, request=found, people=data.people, outcome=data.outcome,
                    actor=principal, note=data.note)  # fmt: skip
    return _reloaded(db, principal, request_id)


@api.post("/requests/{request_id}/people", response_model=HelpRequestView)
def correct_people(
    request_id: int, data: PeopleCorrection, db: DB, principal: WritingPrincipal
) -> HelpRequestView:
    """Correct how many people the request is for, with the reason (dispatcher, verifier)."""
    found = _opened(db, principal, request_id)
    dispatch.correct_people(db, request=found, people_total=data.people_total,
                            actor=principal, reason=data.reason)  # fmt: skip
    return _reloaded(db, principal, request_id)


@api.patch("/requests/{request_id}", response_model=HelpRequestView)
def edit_request(
    request_id: int, data: RequestEdit, db: DB, principal: WritingPrincipal
) -> HelpRequestView:
    """Correct the extracted fields of an open request, with the reason (dispatcher,
    verifier); each change is audited old → new. 409 when closed, stale
    (``expected_version``) or below the people already helped."""
    found = _opened(db, principal, request_id)
    corrections.edit_request(db, request=found, data=data, actor=principal)
    return _reloaded(db, principal, request_id)


@api.post("/requests/{request_id}/merge", response_model=HelpRequestView)
def merge_request(
    request_id: int, data: RequestMerge, db: DB, principal: WritingPrincipal
) -> HelpRequestView:
    """Merge request ``other_id`` into this one (dispatcher): the survivor keeps every
    source, phone and record; the other becomes ``merged`` and points here. 409 when
    either is closed, or the other is held by a team (merge the other way round)."""
    principal.require(*corrections.MERGERS)
    survivor = _opened(db, principal, request_id)
    other = rescue_service.get_request(db, request_id=data.other_id)
    corrections.merge_requests(db, survivor=survivor, other=other, actor=principal,
                               reason=data.reason, people_total=data.people_total)  # fmt: skip
    return _reloaded(db, principal, request_id, fresh=True)


@api.post("/requests/{request_id}/resolve", response_model=HelpRequestView)
def resolve(
    request_id: int, data: ResolveCreate, db: DB, principal: WritingPrincipal
) -> HelpRequestView:
    """Close the request and queue its notice under every mirror (dispatcher).

    Rescued or relocated with fewer people helped than listed is a 409 unless
    ``confirm_partial`` is true with a ``partial_reason``; ``people_helped`` records people
    helped at closing. The request stays ``resolved`` (公告待发送) until the outbox has
    delivered every notice (see ``GET …/notices``), then it is ``announced``.
    """
    found = _opened(db, principal, request_id)
    dispatch.resolve(db, request=found, outcome=data.outcome, actor=principal, note=data.note,
                     people_helped=data.people_helped, confirm_partial=data.confirm_partial,
                     partial_reason=data.partial_reason)  # fmt: skip
    return _reloaded(db, principal, request_id)


@api.get("/requests/{request_id}/notices")
def list_notices(request_id: int, db: DB, principal: CurrentPrincipal) -> list[dict[str, object]]:
    """List the closing notice of every mirror with its delivery state (rescue staff).

    ``state``: queued (待发送), delivered (已发送), failed (发送失败); mirrors without a
    post to answer under are not listed. Post ids are shown to those who see the request
    in full.
    """
    access.require_staff(principal)
    found = _opened(db, principal, request_id)
    full = access.sees_full(principal, found)
    return [
        {"source_id": n.source_id, "platform": n.platform,
         "target_post_id": n.post_id if full else None, "body": n.body, "state": n.state,
         "created_at": n.queued_at.isoformat() if n.queued_at else None,
         "delivered_at": n.delivered_at.isoformat() if n.delivered_at else None,
         "attempts": n.attempts, "error": n.error, "last_error": n.last_error,
         "last_error_at": n.last_error_at.isoformat() if n.last_error_at else None}
        for n in notices.deliveries(db, request=found)
        if n.state != "none"
    ]  # fmt: skip


@api.post("/sources/{source_id}/unmerge", response_model=HelpRequestView, status_code=201)
def unmerge(
    source_id: int, data: ReasonCreate, db: DB, principal: WritingPrincipal
) -> HelpRequestView:
    """Split a wrongly merged source into a request of its own (dispatcher)."""
    principal.require("dispatcher")
    source = rescue_service.get_source(db, source_id=source_id)
    created = intake.unmerge(db, source=source, actor=principal, reason=data.reason)
    return _reloaded(db, principal, created.id)


# The app mounts ``router``: the JSON API and the public pages (/board/rescue/…).
router = APIRouter()
router.include_router(api)
router.include_router(pages.followup_router)
router.include_router(pages.router)
