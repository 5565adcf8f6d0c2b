"""Incidents, teams and requests: create, read, update (plain functions, no commits)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.sql.base import ExecutableOption

from zhengwu import regions
from zhengwu.audit import service as audit_service
from zhengwu.auth.principal import Principal
from zhengwu.db.base import utcnow
from zhengwu.errors import ConflictError, InvalidInputError, NotFoundError
from zhengwu.rescue import clock, priority
from zhengwu.rescue.models import (
    Fulfilment,
    HelpRequest,
    HelpSource,
    Incident,
    MatchKey,
    SetAside,
    Team,
)
from zhengwu.rescue.schemas import IncidentCreate, IncidentUpdate, TeamCreate, TeamUpdate
from zhengwu.rescue.workflow import OPEN_STATES

SYSTEM = Principal(role="admin", username="system", display_name="系统（命令行）")
TEAM_MANAGERS = ("dispatcher",)  # who registers, edits and (de)activates teams; admin too
CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")  # boards and notices speak local time
# What a request view needs, loaded in a few queries instead of one per row.
REQUEST_LOADS: tuple[ExecutableOption, ...] = (
    selectinload(HelpRequest.sources),
    selectinload(HelpRequest.team),
    selectinload(HelpRequest.verifications),
    selectinload(HelpRequest.assignments),
    selectinload(HelpRequest.fulfilments).selectinload(Fulfilment.team),
)


def _check_regions(codes: Sequence[str]) -> list[str]:
    unknown = [c for c in codes if regions.get(c) is None]
    if unknown:
        raise InvalidInputError(
            f"未知的区划代码：{', '.join(unknown)}", f"unknown adcodes: {', '.join(unknown)}"
        )
    return list(dict.fromkeys(codes))


# -- incidents -----------------------------------------------------------------------------


def get_incident(session: Session, *, incident_id: int) -> Incident:
    """Return an incident or raise 404."""
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise NotFoundError(f"没有编号为 {incident_id} 的灾情", f"no incident {incident_id}")
    return incident


def find_incident(session: Session, *, ref: str) -> Incident:
    """Return the incident named ``ref`` or numbered ``ref`` (for the CLI), or raise 404."""
    incident = session.scalar(select(Incident).where(Incident.name == ref))
    if incident is None and ref.isdigit():
        incident = session.get(Incident, int(ref))
    if incident is None:
        raise NotFoundError(f"没有名为 {ref} 的灾情", f"no incident named {ref!r}")
    return incident


def list_incidents(session: Session, *, status: str | None = None) -> list[Incident]:
    """Return incidents, newest first; several may be active at once."""
    query = select(Incident).order_by(Incident.starts_at.desc(), Incident.id.desc())
    if status:
        query = query.where(Incident.status == status)
    return list(session.scalars(query))


def create_incident(
    session: Session, *, data: IncidentCreate, actor: Principal, now: datetime | None = None
) -> Incident:
    """Create an incident (name unique).

    ``now`` is when it is created (``created_at`` and the audit entry): the real clock
    unless the caller replays history on a simulated clock (the demo).
    """
    if session.scalar(select(Incident.id).where(Incident.name == data.name)) is not None:
        raise ConflictError(f"灾情名称已存在：{data.name}", f"incident exists: {data.name}")
    _check_window(data.starts_at, data.ends_at)
    now = now or utcnow()
    incident = Incident(
        **data.model_dump(exclude={"regions"}), regions=_check_regions(data.regions),
        created_at=now,
    )  # fmt: skip
    session.add(incident)
    session.flush()
    audit_service.record(
        session, entity_type="rescue_incident", entity_id=incident.id, action="create",
        actor=actor, to_state=incident.status, at=now,
    )  # fmt: skip
    return incident


class OpenRequestsError(ConflictError):
    """Closing an incident that still has open help requests, without forcing it."""

    def __init__(self, incident: Incident, counts: dict[str, int]) -> None:
        from zhengwu.rescue.workflow import STATE_LABELS

        total = sum(counts.values())
        zh = "、".join(f"{STATE_LABELS[s]} {n}" for s, n in counts.items())
        en = ", ".join(f"{s} {n}" for s, n in counts.items())
        super().__init__(
            f"灾情「{incident.name}」还有 {total} 件求助未结束（{zh}）：请先处理，"
            "或确认强制结束并填写理由",
            f"incident {incident.name} still has {total} open help request"
            f"{'' if total == 1 else 's'} ({en}): handle them first, or force the closure "
            "with a reason",
        )
        self.counts = counts

    def to_dict(self) -> dict[str, object]:
        """Return the error with the open requests counted by state."""
        return {**super().to_dict(), "open_requests": self.counts}


def open_counts(session: Session, *, incident: Incident) -> dict[str, int]:
    """Return an incident's open requests counted by state (only states that have some)."""
    rows = session.execute(
        select(HelpRequest.state, func.count())
        .where(HelpRequest.incident_id == incident.id, HelpRequest.state.in_(OPEN_STATES))
        .group_by(HelpRequest.state)
    )
    found = {str(state): int(count) for state, count in rows}
    return {state: found[state] for state in OPEN_STATES if found.get(state)}


def update_incident(
    session: Session, *, incident: Incident, data: IncidentUpdate, actor: Principal
) -> Incident:
    """Change an incident's fields, or close / reopen it.

    Closing one whose requests are not all closed raises :class:`OpenRequestsError`
    (409, counts by state) unless ``data.force`` is set with a ``data.reason``; the
    forced closure is audited with the counts it left open.
    """
    changes = data.model_dump(exclude_unset=True, exclude={"force", "reason"})
    name = changes.get("name")
    if name is not None and name != incident.name:
        taken = select(Incident.id).where(Incident.name == name, Incident.id != incident.id)
        if session.scalar(taken) is not None:
            raise ConflictError(f"灾情名称已存在：{name}", f"incident exists: {name}")
    if "regions" in changes:
        changes["regions"] = _check_regions(changes["regions"] or [])
    before = incident.status
    left_open: dict[str, int] = {}
    if changes.get("status") == "closed" and before != "closed":
        left_open = open_counts(session, incident=incident)
        if left_open and not data.force:
            raise OpenRequestsError(incident, left_open)
        if left_open and not (data.reason or "").strip():
            raise InvalidInputError(
                "强制结束灾情需要填写理由（未结束的求助由谁跟进）",
                "forcing the closure needs a reason (who follows up the open requests)",
            )
    for name, value in changes.items():
        setattr(incident, name, value)
    _check_window(incident.starts_at, incident.ends_at)
    session.flush()
    audit_service.record(
        session, entity_type="rescue_incident", entity_id=incident.id, action="update",
        actor=actor, from_state=before, to_state=incident.status,
        reason=(data.reason or "").strip() or None,
        data={**{k: str(v) for k, v in changes.items()},
              **({"forced": True, "open_requests": left_open} if left_open else {})},
    )  # fmt: skip
    return incident


def delete_incident(session: Session, *, incident: Incident, actor: Principal) -> None:
    """Delete an incident created by mistake; one with requests can only be closed (409)."""
    if session.scalar(
        select(HelpRequest.id).where(HelpRequest.incident_id == incident.id).limit(1)
    ):
        raise ConflictError(
            f"灾情「{incident.name}」已有求助记录，只能结束（closed），不能删除",
            f"incident {incident.name} has help requests: close it instead of deleting it",
        )
    for model in (MatchKey, SetAside):
        session.execute(delete(model).where(model.incident_id == incident.id))
    audit_service.record(
        session, entity_type="rescue_incident", entity_id=incident.id, action="delete",
        actor=actor, from_state=incident.status, data={"name": incident.name},
    )  # fmt: skip
    session.delete(incident)
    session.flush()


def _check_window(starts_at: datetime, ends_at: datetime | None) -> None:
    if ends_at is not None and ends_at < starts_at:
        raise InvalidInputError("结束时间早于开始时间", "ends_at is before starts_at")


def region_hint(incident: Incident) -> str | None:
    """Return the name of the incident's first region, to place addresses without a city."""
    division = regions.get(incident.regions[0]) if incident.regions else None
    return division.name if division else None


def in_regions(incident: Incident, adcode: str | None) -> bool:
    """Return whether ``adcode`` lies inside the incident's regions (unknown places do)."""
    if not incident.regions or not adcode:
        return True
    chain = {adcode, *regions.ancestors(adcode)}
    return any(code in chain or adcode in regions.ancestors(code) for code in incident.regions)


# -- teams ---------------------------------------------------------------------------------


def _team_name_free(session: Session, name: str, *, team: Team | None = None) -> None:
    taken = session.scalar(select(Team.id).where(Team.name == name))
    if taken is not None and (team is None or taken != team.id):
        raise ConflictError(f"队伍名称已存在：{name}", f"team exists: {name}")


def create_team(
    session: Session, *, data: TeamCreate, actor: Principal, now: datetime | None = None
) -> Team:
    """Create a rescue team (name unique); ``now`` as in :func:`create_incident`."""
    _team_name_free(session, data.name)
    now = now or utcnow()
    team = Team(**data.model_dump(exclude={"area"}), area=_check_regions(data.area), created_at=now)
    session.add(team)
    session.flush()
    audit_service.record(
        session, entity_type="rescue_team", entity_id=team.id, action="create", actor=actor,
        at=now,
    )  # fmt: skip
    return team


def update_team(session: Session, *, team: Team, data: TeamUpdate, actor: Principal) -> Team:
    """Change a team's fields (name unique); ``active`` deactivates or reactivates it."""
    actor.require(*TEAM_MANAGERS)
    changes = data.model_dump(exclude_unset=True)
    active = changes.pop("active", None)
    if "name" in changes:
        _team_name_free(session, changes["name"], team=team)
    if "area" in changes:
        changes["area"] = _check_regions(changes["area"])
    changed = {k: (getattr(team, k), v) for k, v in changes.items() if getattr(team, k) != v}
    for name, (_, value) in changed.items():
        setattr(team, name, value)
    if changed:
        session.flush()
        audit_service.record(
            session, entity_type="rescue_team", entity_id=team.id, action="update", actor=actor,
            data={k: {"from": old, "to": new} for k, (old, new) in changed.items()},
        )  # fmt: skip
    if active is not None:
        set_team_active(session, team=team, active=active, actor=actor)
    return team


def set_team_active(
    session: Session, *, team: Team, active: bool, actor: Principal, reason: str | None = None
) -> Team:
    """Deactivate a team (停用: not offered for dispatch, history kept) or reactivate it.

    A team still holding open requests cannot stand down: the dispatcher releases or
    resolves them first, so no one waits for a team that is not coming (409).
    """
    actor.require(*TEAM_MANAGERS)
    if team.active == active:
        return team  # a second click changes nothing and writes nothing
    if not active:
        held = list(session.scalars(
            select(HelpRequest.id)
            .where(HelpRequest.team_id == team.id, HelpRequest.state.in_(("dispatched", "on_scene")))
            .order_by(HelpRequest.id)
        ))  # fmt: skip
        if held:
            ids = "、".join(f"#{i}" for i in held)
            raise ConflictError(
                f"队伍「{team.name}」还有 {len(held)} 件在办求助（{ids}），请先撤回或办结后再停用",
                f"team {team.name} still holds {len(held)} open help request(s) "
                f"({', '.join(f'#{i}' for i in held)}): release or resolve them first",
            )
    team.active = active
    session.flush()
    audit_service.record(
        session, entity_type="rescue_team", entity_id=team.id, actor=actor, reason=reason,
        action="reactivate" if active else "deactivate",
        from_state="active" if not active else "inactive",
        to_state="active" if active else "inactive",
    )  # fmt: skip
    return team


def get_team(session: Session, *, team_id: int) -> Team:
    """Return a team or raise 404."""
    team = session.get(Team, team_id)
    if team is None:
        raise NotFoundError(f"没有编号为 {team_id} 的救援队伍", f"no team {team_id}")
    return team


def list_teams(session: Session, *, active: bool | None = None) -> list[Team]:
    """Return every team (or only the active or inactive ones), by name."""
    query = select(Team).order_by(Team.name)
    if active is not None:
        query = query.where(Team.active == active)
    return list(session.scalars(query))


def team_loads(session: Session) -> dict[int, int]:
    """Return how many open requests each team holds."""
    rows = session.execute(
        select(HelpRequest.team_id, func.count())
        .where(HelpRequest.team_id.is_not(None), HelpRequest.state.in_(("dispatched", "on_scene")))
        .group_by(HelpRequest.team_id)
    )
    return {int(team_id): int(count) for team_id, count in rows if team_id is not None}


# -- requests ------------------------------------------------------------------------------


def get_request(session: Session, *, request_id: int, for_update: bool = False) -> HelpRequest:
    """Return a request with what its view needs loaded, or raise 404."""
    query = select(HelpRequest).where(HelpRequest.id == request_id).options(*REQUEST_LOADS)
    if for_update:
        query = query.execution_options(populate_existing=True)
    request = session.scalar(query)
    if request is None:
        raise NotFoundError(f"没有编号为 {request_id} 的求助", f"no help request {request_id}")
    return request


def get_source(session: Session, *, source_id: int) -> HelpSource:
    """Return a source or raise 404."""
    source = session.get(HelpSource, source_id)
    if source is None:
        raise NotFoundError(f"没有编号为 {source_id} 的求助来源", f"no help source {source_id}")
    return source


def requests_of(
    session: Session, *, incident: Incident, states: Sequence[str] | None = None
) -> list[HelpRequest]:
    """Return an incident's requests (optionally in ``states``), loaded for viewing.

    Requests merged by hand into another (state ``merged``) are left out unless
    ``states`` names them: the survivor stands for them.
    """
    query = select(HelpRequest).where(HelpRequest.incident_id == incident.id)
    if states:
        query = query.where(HelpRequest.state.in_(states))
    else:
        query = query.where(HelpRequest.state != "merged")
    return list(session.scalars(query.options(*REQUEST_LOADS).order_by(HelpRequest.id)))


def queue(
    session: Session,
    *,
    incident: Incident,
    states: Sequence[str] | None = None,
    team_id: int | None = None,
    now: datetime | None = None,
) -> list[HelpRequest]:
    """Return the open requests of an incident, highest priority first (ties: oldest first)."""
    found = requests_of(session, incident=incident, states=states or OPEN_STATES)
    if team_id is not None:
        found = [r for r in found if r.team_id == team_id]
    return rank(found, now=now or clock.now(session, incident.id))


def rank(requests: Sequence[HelpRequest], *, now: datetime | None = None) -> list[HelpRequest]:
    """Return ``requests`` by priority, highest first (ties: the longest waiting first)."""
    return sorted(requests, key=lambda r: (-priority.score(r, now=now)[0], r.reported_at, r.id))
