"""JSON API of the emergency help network under ``/api/rescue`` (and the public pages)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import Response

from zhengwu.accounts import phones as published_phones
from zhengwu.auth.principal import Principal
from zhengwu.errors import ConflictError
from zhengwu.rescue import access, board, dispatch, intake, lookup, notices, pages, spreadsheet
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.merge import HelpPostIn
from zhengwu.rescue.models import INCIDENT_STATES
from zhengwu.rescue.schemas import (
    AssignmentCreate,
    BoardView,
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
    ResolveCreate,
    TeamCreate,
    TeamRead,
    TeamUpdate,
    TransitionCreate,
    VerificationCreate,
)
from zhengwu.rescue.throttle import SubmissionLimiter, limit_anonymous
from zhengwu.rescue.workflow import STATE_LABELS, flush_or_conflict, transition
from zhengwu.web.deps import DB, CurrentPrincipal, WritingPrincipal, check_choices

api = APIRouter(prefix="/api/rescue", tags=["rescue 应急求助"])


def setup(app: FastAPI) -> None:
    """Give the app its own limiter for anonymous submissions."""
    app.state.rescue_limiter = SubmissionLimiter()


# -- incidents -----------------------------------------------------------------------------


@api.get("/incidents", response_model=list[IncidentRead])
def list_incidents(
    db: DB, principal: CurrentPrincipal, status: str | None = None
) -> list[IncidentRead]:
    """List incidents (public; descriptions masked but for rescue staff); status=active|closed."""
    check_choices("status", [status] if status else None, INCIDENT_STATES)
    found = rescue_service.list_incidents(db, status=status)
    keep = published_phones.directory(db)
    return [access.incident_view(principal, i, keep=keep) for i in found]


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
    return access.incident_view(principal, incident, keep=published_phones.directory(db))


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
    found = intake.submit(db, incident=incident, data=data, actor=principal, channel=channel)
    fresh = rescue_service.get_request(db, request_id=found.id, for_update=True)
    return access.view(principal, fresh, keep=published_phones.directory(db))


@api.post("/incidents/{incident_id}/posts", response_model=IntakeReport)
def submit_posts(
    incident_id: int, posts: list[PostSubmission], db: DB, principal: WritingPrincipal
) -> IntakeReport:
    """Take in social posts sent by a client (dispatcher); idempotent by post id."""
    principal.require("dispatcher")
    incident = rescue_service.get_incident(db, incident_id=incident_id)
    batch = [HelpPostIn(**p.model_dump()) for p in posts]
    return intake.take_in(db, incident=incident, posts=batch, actor=principal).report


@api.post("/incidents/{incident_id}/intake", response_model=IntakeReport)
def intake_imported(incident_id: int, db: DB, principal: WritingPrincipal) -> IntakeReport:
    """Take in the imported posts (analytics store) matching the incident (dispatcher)."""
    from zhengwu.content.store import open_store
    from zhengwu.rescue.channels import intake_from_posts

    principal.require("dispatcher")
    incident = rescue_service.get_incident(db, incident_id=incident_id)
    with open_store(read_only=True) as con:
        return intake_from_posts(db, con, incident=incident, actor=principal)


# -- queue, board, export ------------------------------------------------------------------


@api.get("/incidents/{incident_id}/queue", response_model=QueuePage)
def get_queue(
    incident_id: int,
    db: DB,
    principal: CurrentPrincipal,
    state: Annotated[list[str] | None, Query()] = None,
    team_id: int | None = None,
    q: Annotated[str | None, Query(max_length=lookup.QUERY_MAX)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> QueuePage:
    """The dispatcher queue, by priority (rescue staff; personal data per access rule).

    ``q`` searches it (``张家湾 1234``): words in the texts, address and county, and for
    those who may see them the name and phones (a number finds a phone it is part of,
    e.g. its last four digits); see :mod:`zhengwu.rescue.lookup`. It combines with the
    other filters.
    """
    access.require_staff(principal)
    check_choices("state", state, STATE_LABELS)
    incident = rescue_service.get_incident(db, incident_id=incident_id)
    found = rescue_service.queue(db, incident=incident, states=state, team_id=team_id)
    keep = published_phones.directory(db)
    found = lookup.search(principal, found, q, keep=keep)
    page = found[offset : offset + limit]
    return QueuePage(total=len(found), items=[access.view(principal, r, keep=keep) for r in page])


@api.get("/incidents/{incident_id}/board", response_model=BoardView)
def get_board(incident_id: int, db: DB, principal: CurrentPrincipal) -> BoardView:
    """The incident's board: counts by state and area, response times, notices (public)."""
    incident = rescue_service.get_incident(db, incident_id=incident_id)
    return board.board(db, incident=incident, principal=principal)


@api.get("/incidents/{incident_id}/export.csv", response_class=Response)
def export_csv(incident_id: int, db: DB, principal: CurrentPrincipal) -> Response:
    """Download the requests in the volunteers' spreadsheet layout (dispatcher)."""
    principal.require("dispatcher")
    incident = rescue_service.get_incident(db, incident_id=incident_id)
    body = spreadsheet.export_csv(db, incident=incident, principal=principal)
    return Response(
        content="\ufeff" + body,  # Excel needs the BOM to read UTF-8
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="rescue-{incident.id}.csv"'},
    )


# -- one request ---------------------------------------------------------------------------


@api.get("/requests/{request_id}", response_model=HelpRequestView)
def get_request(request_id: int, db: DB, principal: CurrentPrincipal) -> HelpRequestView:
    """Show one request as the caller may see it (masked unless they act on it)."""
    found = rescue_service.get_request(db, request_id=request_id)
    return access.view(principal, found, keep=published_phones.directory(db))


def _reloaded(db: DB, principal: Principal, request_id: int) -> HelpRequestView:
    return access.view(principal, rescue_service.get_request(db, request_id=request_id))


@api.post("/requests/{request_id}/verifications", response_model=HelpRequestView)
def verify(
    request_id: int, data: VerificationCreate, db: DB, principal: WritingPrincipal
) -> HelpRequestView:
    """Record a verification: method, result, note (verifier or dispatcher)."""
    found = rescue_service.get_request(db, request_id=request_id)
    dispatch.verify(db, request=found, method=data.method, result=data.result, actor=principal,
                    note=data.note)  # fmt: skip
    return _reloaded(db, principal, request_id)


@api.post("/requests/{request_id}/assignments", response_model=HelpRequestView)
def assign(
    request_id: int, data: AssignmentCreate, db: DB, principal: WritingPrincipal
) -> HelpRequestView:
    """Dispatch the request to a team; 409 when it already has one or changed meanwhile."""
    found = rescue_service.get_request(db, request_id=request_id)
    team = rescue_service.get_team(db, team_id=data.team_id)
    dispatch.assign(db, request=found, team=team, actor=principal,
                    expected_version=data.expected_version, note=data.note)  # fmt: skip
    return _reloaded(db, principal, request_id)


@api.post("/requests/{request_id}/release", response_model=HelpRequestView)
def release(
    request_id: int, data: ReasonCreate, db: DB, principal: WritingPrincipal
) -> HelpRequestView:
    """Take the request back from its team, with the reason (dispatcher)."""
    found = rescue_service.get_request(db, request_id=request_id)
    dispatch.release(db, request=found, actor=principal, reason=data.reason)
    return _reloaded(db, principal, request_id)


@api.post("/requests/{request_id}/transitions", response_model=HelpRequestView)
def move(
    request_id: int, data: TransitionCreate, db: DB, principal: WritingPrincipal
) -> HelpRequestView:
    """Move the request by hand: on_scene (its team or a dispatcher); others use their routes."""
    found = rescue_service.get_request(db, request_id=request_id)
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
    found = rescue_service.get_request(db, request_id=request_id)
    dispatch.fulfil(db, request=found, people=data.people, outcome=data.outcome,
                    actor=principal, note=data.note)  # fmt: skip
    return _reloaded(db, principal, request_id)


@api.post("/requests/{request_id}/people", response_model=HelpRequestView)
def correct_people(
    request_id: int, data: PeopleCorrection, db: DB, principal: WritingPrincipal
) -> HelpRequestView:
    """Correct how many people the request is for, with the reason (dispatcher, verifier)."""
    found = rescue_service.get_request(db, request_id=request_id)
    dispatch.correct_people(db, request=found, people_total=data.people_total,
                            actor=principal, reason=data.reason)  # fmt: skip
    return _reloaded(db, principal, request_id)


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
    found = rescue_service.get_request(db, request_id=request_id)
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
    found = rescue_service.get_request(db, request_id=request_id)
    full = access.sees_full(principal, found)
    return [
        {"source_id": n.source_id, "platform": n.platform,
         "target_post_id": n.post_id if full else None, "body": n.body, "state": n.state,
         "created_at": n.queued_at.isoformat() if n.queued_at else None,
         "delivered_at": n.delivered_at.isoformat() if n.delivered_at else None,
         "attempts": n.attempts, "error": n.error}
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
router.include_router(pages.router)
