"""Who sees what of a help request — the one access rule of the rescue network.

People put their phone numbers, names and exact addresses in public help posts because
they must; the 2021 Henan spreadsheet showed what happens next (harassing calls,
duplicate rescues). So:

- dispatchers, verifiers and admins see everything: they call, verify and send teams;
- a team member (role ``team``) sees everything of the requests assigned to their team,
  and may open no other (:func:`team_scope`: their queue, its counts and every route of a
  single request use the same rule; another team's request is a 403);
- everyone else — other roles, the public board — sees masked data: name
  and phone masked, the address cut to the street (``privacy.coarse_address``) and doors
  in the texts masked (``privacy.mask_house_numbers``), the place
  as the county's centre, texts masked, the mirrors' authors and links hidden, and so
  are the names of the staff who verified, recorded or set its urgency.

:func:`view` is the only place that decides; every route and the board go through it.
The inputs intake set aside (未受理) show their posts' links and authors by the same rule
(:func:`set_aside_view`): to the roles that see requests in full, to no one else.
A team's own contact person is personal data too: :func:`team_view` shows it to the
dispatchers who call teams out and to the team's members, masked to everyone else.
An incident's situation description (灾情说明) is written for the public, but coordinators
paste contacts into it: :func:`incident_view` shows it as written to rescue staff and
through ``mask_text`` to everyone else. That masks mobiles, landlines, ID numbers, bank
cards and names found by context; 3–5 digit service numbers (110 119 120 122 12345 12319
95119 96110 …) and 400/800 numbers are not phone-shaped and stay readable, and so do the
published numbers (公开电话) the caller passes as ``keep``
(:func:`zhengwu.accounts.phones.directory`): an office's registered landline is shown, any
other landline (0371-6718xxxx) is masked like a home one.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from zhengwu import regions
from zhengwu.auth.principal import Principal
from zhengwu.errors import ForbiddenError
from zhengwu.privacy import (
    coarse_address,
    is_published,
    mask_house_numbers,
    mask_name,
    mask_phone,
    mask_text,
)
from zhengwu.privacy.address import DOOR_MASK
from zhengwu.privacy.handles import has_handle, mask_handles
from zhengwu.rescue import additions, clock, priority
from zhengwu.rescue.models import HelpRequest, HelpSource, Incident, SetAside, Team
from zhengwu.rescue.schemas import (
    FulfilmentView,
    HelpRequestView,
    IncidentRead,
    PriorityView,
    SetAsideView,
    SourceView,
    TeamRead,
    VerificationView,
)

FULL_ROLES = frozenset({"admin", "dispatcher", "verifier"})
STAFF_ROLES = ("dispatcher", "verifier", "team")


def sees_full(principal: Principal, request: HelpRequest) -> bool:
    """Return whether ``principal`` may see ``request``'s personal data unmasked."""
    if principal.role in FULL_ROLES:
        return True
    return bool(
        principal.role == "team"
        and principal.team_id is not None
        and request.held_by(principal.team_id)
    )


TEAM_CONTACT_ROLES = frozenset({"admin", "dispatcher"})


def sees_team_contact(principal: Principal, team: Team) -> bool:
    """Return whether ``principal`` may see ``team``'s contact unmasked (dispatch, the team)."""
    if principal.role in TEAM_CONTACT_ROLES:
        return True
    return principal.role == "team" and principal.team_id == team.id


def team_view(principal: Principal, team: Team, *, load: int = 0) -> TeamRead:
    """Return ``team`` as ``principal`` may see it: contact masked unless :func:`sees_team_contact`."""
    shown = TeamRead.model_validate(team).model_copy(update={"load": load})
    if sees_team_contact(principal, team):
        return shown
    return shown.model_copy(
        update={
            "contact_name": mask_name(team.contact_name) if team.contact_name else None,
            "contact_phone": mask_phone(team.contact_phone) if team.contact_phone else None,
        }
    )


def sees_incident_description(principal: Principal) -> bool:
    """Return whether ``principal`` reads incident descriptions as written (rescue staff)."""
    return principal.has_role(*STAFF_ROLES)


def incident_view(
    principal: Principal, incident: Incident, *, keep: Collection[str] = (),
    session: Session | None = None, officials: Collection[str] | None = None,
) -> IncidentRead:  # fmt: skip
    """Return ``incident`` as ``principal`` may see it: the description masked for the public.

    ``keep``: published numbers that stay readable (the hotlines the description names).
    Weibo handles are masked too; with ``session``, those naming a government account of
    the registry stay readable (``@郑州发布``), as on the desk; without it, all are masked.
    ``officials``: those government handles, already looked up (:func:`incident_views`).
    """
    shown = IncidentRead.model_validate(incident)
    if shown.description is None or sees_incident_description(principal):
        return shown
    text = shown.description
    if officials is None:
        officials = _government_handles(session, [text])
    masked = mask_handles(mask_text(text, keep=keep), keep=officials)
    return shown.model_copy(update={"description": masked})


def incident_views(
    principal: Principal, incidents: Sequence[Incident], *, keep: Collection[str] = (),
    session: Session,
) -> list[IncidentRead]:  # fmt: skip
    """Return each of ``incidents`` as :func:`incident_view` does, with one look-up of the
    government handles their descriptions name for the whole list: the list looked them
    up once per incident whose description had a handle (N statements for N incidents)."""
    officials: Collection[str] = ()
    if not sees_incident_description(principal):
        officials = _government_handles(session, [i.description for i in incidents])
    return [incident_view(principal, i, keep=keep, officials=officials) for i in incidents]


def _government_handles(session: Session | None, texts: Sequence[str | None]) -> Collection[str]:
    """Return the handles in ``texts`` naming a government account; none without ``session``
    (every handle is masked then), and no query when no text has a handle."""
    written = [t for t in texts if t and has_handle(t)]
    if session is None or not written:
        return ()
    from zhengwu.servicedesk.masking import officials

    return officials(session, written)


def require_staff(principal: Principal) -> None:
    """Raise 403 unless ``principal`` works on rescue (dispatcher, verifier, team, admin)."""
    principal.require(*STAFF_ROLES)


NO_TEAM = ("该救援队账号未关联救援队，无法查看求助",
           "this team account belongs to no team: it may see no requests")  # fmt: skip
NOT_OWN_TEAM = ("救援队成员只能查看本队的求助",
                "a team member may see only their own team's requests")  # fmt: skip


def team_scope(principal: Principal) -> int | None:
    """Return the team whose requests ``principal`` is limited to (None: no such limit).

    This is the one rule of what a team member may open or list: the requests their team
    holds — dispatched to it, on scene, or closed by it (a request taken back from the
    team is no longer theirs). A team account without a team is a 403 here. Every other
    role gets None: dispatchers, verifiers and admins see every request, the public and
    other roles see them masked where a route lets them (:func:`view`). "Held by the
    team" has one definition, :meth:`HelpRequest.held_by`: the queue and its counts
    filter on it in SQL (:func:`queue_team`, :func:`zhengwu.rescue.listing.of_team`), and
    a single request's routes test it on the request (:func:`require_request`).
    """
    if principal.role != "team":
        return None
    if principal.team_id is None:
        raise ForbiddenError(*NO_TEAM)
    return principal.team_id


def queue_team(principal: Principal, team_id: int | None = None) -> int | None:
    """Return the team a queue of ``principal`` is limited to (None: every request).

    A team member (role ``team``) sees in a queue only the requests dispatched to their
    own team (:func:`team_scope`), whatever ``team_id`` they ask for: asking for their own
    team (or none) gives it, asking for another team's is a 403, and so is a team account
    without a team. Other roles get the ``team_id`` they asked for as a plain filter.
    """
    scope = team_scope(principal)
    if scope is None:
        return team_id
    if team_id is not None and team_id != scope:
        raise ForbiddenError(*NOT_OWN_TEAM)
    return scope


def require_request(principal: Principal, request: HelpRequest) -> None:
    """Raise 403 unless ``principal`` may open ``request`` at all (its page, JSON view,
    history, notices, actions): a team member only their own team's requests, the very
    ones their queue lists (:func:`team_scope`); everyone else as before (masked or not:
    :func:`view`)."""
    scope = team_scope(principal)
    if scope is not None and not request.held_by(scope):
        raise ForbiddenError(*NOT_OWN_TEAM)


def county_of(adcode: str | None) -> str | None:
    """Return the county-level adcode of ``adcode`` (the city's when no county is known)."""
    if not adcode:
        return None
    # Divisions go down to counties (6-digit codes), so a known code is already coarse enough.
    return adcode if regions.get(adcode) is not None else None


def area_name(adcode: str | None) -> str | None:
    """Return the name of an adcode's county (区县), for boards and exports."""
    county = county_of(adcode)
    division = regions.get(county) if county else None
    return division.name if division else None


def government_handles(session: Session, requests: Iterable[HelpRequest]) -> Collection[str]:
    """Return the handles of government accounts (``@平安郑州``, ``@郑州发布请转发``) written
    in the texts of ``requests`` (sources loaded): the ``officials`` of :func:`view` and
    :func:`mask_request_text`, looked up once for a page of requests
    (:func:`zhengwu.servicedesk.masking.officials`)."""
    texts = [t for r in requests for t in (r.text, r.hazard, *(s.text for s in r.sources))]
    return _government_handles(session, texts)


def mask_request_text(
    text: str, request: HelpRequest, *, keep: Collection[str] = (),
    officials: Collection[str] = (),
) -> str:  # fmt: skip
    """Return ``text`` with personal data masked, and the request's house-level address cut.

    The privacy module finds phones and names by their shape; the request's own name and
    the part of its address below the street ("32号院3号楼") are known here, so they are
    masked wherever a mirror repeats them; any other door (门牌号: 幸福路12号3栋2单元501,
    5号楼602室) is masked by its shape (:func:`zhengwu.privacy.mask_house_numbers`), so the
    road and the compound stay readable but not the door. Phones in any writing (一三八…,
    幺三八…, full-width, oddly grouped) are masked by ``mask_text``. Published numbers
    (``keep``) stay readable. Handles (``//@小李在新乡:``, ``@刘小燕``) are masked: they name
    the people who posted, which the masked views hide as the sources' authors, and a
    nickname is often a real name — but a government account's (``officials``:
    :func:`government_handles`; ``@平安郑州``, ``@郑州发布``) stays, as on the desk: a help
    post addresses that body.
    """
    masked = mask_handles(mask_text(text, keep=keep), keep=officials)
    if request.name and len(request.name) >= 2:
        masked = masked.replace(request.name, mask_name(request.name))
    if request.address:
        coarse = coarse_address(request.address)
        detail = request.address[len(coarse) :] if request.address.startswith(coarse) else ""
        if len(detail) >= 2:
            masked = masked.replace(detail, DOOR_MASK)
    return mask_house_numbers(masked)


def _phone(phone: str, keep: Collection[str]) -> str:
    return phone if is_published(phone, keep) else mask_phone(phone)


def _source(
    source: HelpSource, full: bool, request: HelpRequest, keep: Collection[str],
    officials: Collection[str],
) -> SourceView:  # fmt: skip
    return SourceView(
        id=source.id, channel=source.channel, platform=source.platform,
        post_id=source.post_id if full else None, url=source.url if full else None,
        author=source.author if full else None,
        text=(source.text if full
              else mask_request_text(source.text, request, keep=keep, officials=officials)),
        posted_at=source.posted_at,
        kind=source.kind, merged_by=source.merged_by, score=source.score,
        notified_at=source.notified_at,
    )  # fmt: skip


def set_aside_view(principal: Principal, item: SetAside) -> SetAsideView:
    """Return a set-aside input as ``principal`` may see it: its link and author as on a
    request's sources (:func:`_source`), shown to the roles that see requests in full and
    hidden from everyone else (a set-aside input belongs to no team)."""
    shown = SetAsideView.model_validate(item)
    if principal.role in FULL_ROLES:
        return shown
    return shown.model_copy(update={"url": None, "author": None})


def copy_additions(request: HelpRequest) -> list[str]:
    """Return what the copies merged into ``request`` add to its text (转发补充), unmasked
    (:func:`zhengwu.rescue.additions.additions`; sources loaded)."""
    copies = sorted((s for s in request.sources if s.kind == "copy"),
                    key=lambda s: (s.posted_at, s.id or 0))  # fmt: skip
    if not copies:
        return []
    facts = [request.name, request.address, *request.phones,
             str(request.people_total) if request.people_total else None]  # fmt: skip
    base = [request.text, *(s.text for s in request.sources if s.kind == "original")]
    base += [fact for fact in facts if fact]
    return additions.additions(base, [s.text for s in copies])


def _unsigned(reason: str) -> str:
    """Return an urgency reason without the name of whoever set it (``manual:王调度`` →
    ``manual``, shown 人工设定; set twice, shown once): masked views hide staff's names as
    they hide the verifier's."""
    return "manual" if reason.startswith("manual:") else reason


def view(
    principal: Principal,
    request: HelpRequest,
    *,
    now: datetime | None = None,
    keep: Collection[str] = (),
    officials: Collection[str] = (),
) -> HelpRequestView:
    """Return ``request`` as ``principal`` may see it (sources, verifications loaded).

    ``keep``: published numbers that stay readable where the rest is masked (the caller
    passes :func:`zhengwu.accounts.phones.directory`): in the texts, and among the phones
    found in the request (an office line a citizen quotes is still the office's).
    ``officials``: the government accounts' handles that stay readable in the masked texts
    (:func:`government_handles`); none given, every handle is masked.
    """
    full = sees_full(principal, request)
    now = now or clock.of(request)  # once for the score and the flags
    score, parts = priority.score(request, now=now)
    county = county_of(request.adcode)
    place = regions.get(county) if county and not full else None
    return HelpRequestView(
        id=request.id, incident_id=request.incident_id, masked=not full, state=request.state,
        outcome=request.outcome, version=request.version,
        name=request.name if full or not request.name else mask_name(request.name),
        age=request.age,
        phones=list(request.phones) if full else [_phone(p, keep) for p in request.phones],
        address=request.address if full or not request.address else coarse_address(request.address),
        adcode=request.adcode if full else county, area=area_name(request.adcode),
        lon=request.lon if full else (place.lon if place else None),
        lat=request.lat if full else (place.lat if place else None),
        people_total=request.people_total, people_helped=request.people_helped,
        people_remaining=(None if request.people_total is None
                          else max(request.people_total - request.people_helped, 0)),
        fulfilment=priority.fulfilment(request),
        vulnerabilities=list(request.vulnerabilities), needs=list(request.needs),
        hazard=(request.hazard if full or not request.hazard
                else mask_request_text(request.hazard, request, keep=keep,
                                   officials=officials)),
        urgency=request.urgency,
        urgency_reasons=list(request.urgency_reasons) if full
        else list(dict.fromkeys(_unsigned(r) for r in request.urgency_reasons)),
        completeness=request.completeness,
        missing=list(request.missing),
        text=(request.text if full
              else mask_request_text(request.text, request, keep=keep, officials=officials)),
        additions=[a if full else mask_request_text(a, request, keep=keep, officials=officials)
                   for a in copy_additions(request)],
        priority=PriorityView(score=score, parts=parts), flags=priority.flags(request, now=now),
        verification=request.verification, verified_at=request.verified_at,
        reverify_due_at=request.reverify_due_at, reported_at=request.reported_at,
        reported_rescued_at=request.reported_rescued_at, team_id=request.team_id,
        team_name=request.team.name if request.team else None,
        dispatched_at=request.dispatched_at, on_scene_at=request.on_scene_at,
        resolved_at=request.resolved_at, announced_at=request.announced_at,
        merged_into_id=request.merged_into_id,
        mirrors=len(request.sources),
        sources=[_source(s, full, request, keep, officials) for s in request.sources],
        verifications=[
            VerificationView(method=v.method, result=v.result, note=v.note if full else None,
                             verifier=v.verifier_name if full else None, at=v.at)
            for v in request.verifications
        ],
        fulfilments=[
            FulfilmentView(people=f.people, outcome=f.outcome, team_id=f.team_id, at=f.at,
                           team_name=f.team.name if f.team else None, note=f.note if full else None,
                           recorded_by=f.recorded_by if full else None)
            for f in request.fulfilments
        ],
    )  # fmt: skip


def require_full(principal: Principal, request: HelpRequest) -> None:
    """Raise 403 unless ``principal`` may see ``request`` unmasked (for exports)."""
    if not sees_full(principal, request):
        raise ForbiddenError("无权查看该求助的完整信息", "you may not see this request in full")
