"""Verification, dispatch, partial fulfilment and closure of help requests (核实 派遣 办结).

Each function changes one request in the caller's transaction and writes the audit log.
Two dispatchers racing to assign the same request cannot both win: the request's
``version`` column makes the second UPDATE match no row (see
:func:`zhengwu.rescue.workflow.flush_or_conflict`), and a dispatcher whose screen is
stale can send ``expected_version`` to be told before anything is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from zhengwu.audit import service as audit_service
from zhengwu.auth.principal import Principal
from zhengwu.db.base import utcnow
from zhengwu.errors import ConflictError, ForbiddenError, InvalidInputError
from zhengwu.outbox import service as outbox_service
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.models import (
    OUTCOMES,
    Assignment,
    Fulfilment,
    HelpRequest,
    HelpSource,
    Team,
    Verification,
)
from zhengwu.rescue.workflow import OPEN_STATES, flush_or_conflict, transition

NOTICE_CHANNELS = ("post",)  # forms and spreadsheet rows have no post to answer under
OUTCOME_LABELS = {
    "rescued": "已获救",
    "relocated": "已安全转移",
    "no_longer_needed": "已无需救援",
    "unreachable": "多次联系不上，已结束救援",
}


def _open(request: HelpRequest, action: str) -> None:
    if request.state not in OPEN_STATES:
        raise ConflictError(
            f"求助 #{request.id} 已结束（{request.state}），不能再{action}",
            f"help request #{request.id} is {request.state}: cannot {action}",
        )


def _expect(request: HelpRequest, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != request.version:
        raise ConflictError(
            f"求助 #{request.id} 在您查看后已被修改（版本 {expected_version} → {request.version}），请刷新",
            f"help request #{request.id} changed since you saw it "
            f"(version {expected_version} → {request.version}); reload",
        )


def verify(
    session: Session,
    *,
    request: HelpRequest,
    method: str,
    result: str,
    actor: Principal,
    note: str | None = None,
) -> Verification:
    """Record a verification; "confirmed" moves a new request to verified."""
    actor.require("verifier", "dispatcher")
    _open(request, "核实 verify")
    now = utcnow()
    incident = rescue_service.get_incident(session, incident_id=request.incident_id)
    record = Verification(
        request_id=request.id, method=method, result=result, note=note,
        verifier_user_id=actor.user_id, verifier_name=actor.display_name, at=now,
    )  # fmt: skip
    session.add(record)
    request.verifications.append(record)
    request.verification = result
    request.verified_at = now
    # Whatever was found, it holds only for a while: people move, water rises.
    request.reverify_due_at = now + timedelta(hours=incident.reverify_hours)
    if result == "confirmed" and request.first_verified_at is None:
        request.first_verified_at = now
    if result == "already_rescued" and request.reported_rescued_at is None:
        request.reported_rescued_at = now
    if result == "confirmed" and request.state == "new":
        transition(session, request=request, to="verified", actor=actor, at=now,
                   data={"method": method})  # fmt: skip
    audit_service.record(
        session, entity_type="help_request", entity_id=request.id, action="verify", actor=actor,
        reason=note, data={"method": method, "result": result}, at=now,
    )  # fmt: skip
    flush_or_conflict(session, request)
    return record


def assign(
    session: Session,
    *,
    request: HelpRequest,
    team: Team,
    actor: Principal,
    expected_version: int | None = None,
    note: str | None = None,
) -> Assignment:
    """Dispatch ``request`` to ``team`` (409 if it already has a team or changed meanwhile)."""
    actor.require("dispatcher")
    _expect(request, expected_version)
    if request.team_id is not None and request.state in ("dispatched", "on_scene"):
        raise ConflictError(
            f"求助 #{request.id} 已派给队伍 #{request.team_id}，请先撤回再改派",
            f"help request #{request.id} is already dispatched to team #{request.team_id}; "
            "release it first",
        )
    if not team.active:
        raise ConflictError(f"队伍「{team.name}」已停用", f"team {team.name} is inactive")
    now = utcnow()
    transition(session, request=request, to="dispatched", actor=actor, at=now,
               data={"team_id": team.id}, reason=note)  # fmt: skip
    request.team_id = team.id
    assignment = Assignment(request_id=request.id, team_id=team.id, note=note,
                            assigned_by=actor.display_name, assigned_at=now)  # fmt: skip
    session.add(assignment)
    # The UPDATE of the request carries its version: the second of two racing
    # dispatchers fails here, before its assignment row is written.
    flush_or_conflict(session, request)
    request.assignments.append(assignment)
    return assignment


def release(session: Session, *, request: HelpRequest, actor: Principal, reason: str) -> None:
    """Take a request back from its team (the team cannot go, or it went elsewhere)."""
    actor.require("dispatcher")
    if request.state not in ("dispatched", "on_scene"):
        raise ConflictError(
            f"求助 #{request.id} 未派出", f"help request #{request.id} is not dispatched"
        )
    back = "verified" if request.first_verified_at else "new"
    now = utcnow()
    for assignment in request.assignments:
        if assignment.active:
            assignment.active, assignment.released_at = False, now
    transition(session, request=request, to=back, actor=actor, reason=reason, at=now,
               data={"team_id": request.team_id})  # fmt: skip
    request.team_id = None
    flush_or_conflict(session, request)


def _may_act_for_team(actor: Principal, request: HelpRequest) -> None:
    if actor.role == "team" and actor.team_id != request.team_id:
        raise ForbiddenError("该求助未派给您的队伍", "this request is not assigned to your team")
    actor.require("dispatcher", "team")


def arrive(session: Session, *, request: HelpRequest, actor: Principal) -> None:
    """Record that the team is on scene."""
    _may_act_for_team(actor, request)
    transition(session, request=request, to="on_scene", actor=actor)
    flush_or_conflict(session, request)


def fulfil(
    session: Session,
    *,
    request: HelpRequest,
    people: int,
    outcome: str,
    actor: Principal,
    note: str | None = None,
) -> Fulfilment:
    """Record people helped ("5 of 8 evacuated"); a dispatched team is then on scene."""
    _may_act_for_team(actor, request)
    if request.state not in ("dispatched", "on_scene"):
        raise ConflictError(
            f"求助 #{request.id} 尚未派出队伍，无法记录救出人数",
            f"help request #{request.id} has no team on it: cannot record people helped",
        )
    remaining = (
        None if request.people_total is None else request.people_total - request.people_helped
    )
    if remaining is not None and people > remaining:
        raise ConflictError(
            f"求助 #{request.id} 只剩 {remaining} 人待救，不能记录 {people} 人",
            f"help request #{request.id} has {remaining} people left, not {people}",
        )
    if request.state == "dispatched":
        transition(session, request=request, to="on_scene", actor=actor)
    event = Fulfilment(request_id=request.id, team_id=request.team_id, people=people,
                       outcome=outcome, note=note, recorded_by=actor.display_name)  # fmt: skip
    session.add(event)
    request.people_helped += people
    audit_service.record(
        session, entity_type="help_request", entity_id=request.id, action="fulfil", actor=actor,
        reason=note, data={"people": people, "helped": request.people_helped,
                           "total": request.people_total, "outcome": outcome},
    )  # fmt: skip
    flush_or_conflict(session, request)
    request.fulfilments.append(event)
    return event


def notice_text(request: HelpRequest) -> str:
    """Return the closing notice posted under every mirror of a resolved request."""
    when = (request.resolved_at or utcnow()).astimezone(rescue_service.CHINA_TZ)
    label = OUTCOME_LABELS.get(request.outcome or "", "已处理")
    helped = f"，共 {request.people_helped} 人" if request.people_helped else ""
    return (
        f"【{label}】此求助已于 {when:%m月%d日 %H:%M} 确认{label}{helped}，请勿重复救援，"
        f"请勿再拨打求助电话。感谢转发的每一位网友！（求助编号 #{request.id}）"
    )


def queue_notices(
    session: Session,
    *,
    request: HelpRequest,
    sources: Sequence[HelpSource] | None = None,
    now: datetime | None = None,
) -> int:
    """Queue the closing notice under every mirror not yet told; return how many.

    ``now`` is when they are queued (the messages' ``created_at``, the sources'
    ``notified_at``): the real clock unless the caller replays history (the demo).
    """
    body = notice_text(request)
    now = now or utcnow()
    count = 0
    for source in request.sources if sources is None else sources:
        if source.notified_at is not None or source.channel not in NOTICE_CHANNELS:
            continue
        outbox_service.enqueue(
            session, kind="rescue_notice", platform=source.platform, body=body,
            target_post_id=source.post_id, entity_type="help_request", entity_id=request.id,
            now=now,
        )  # fmt: skip
        source.notified_at = now
        count += 1
    return count


def resolve(
    session: Session,
    *,
    request: HelpRequest,
    outcome: str,
    actor: Principal,
    note: str | None = None,
) -> int:
    """Close ``request`` with ``outcome``, queue notices to every mirror, announce it."""
    actor.require("dispatcher")
    if outcome not in OUTCOMES:
        raise InvalidInputError(f"未知的结果 {outcome!r}", f"unknown outcome {outcome!r}")
    now = utcnow()
    transition(session, request=request, to="resolved", actor=actor, reason=note, at=now,
               data={"outcome": outcome, "helped": request.people_helped})  # fmt: skip
    request.outcome = outcome
    for assignment in request.assignments:
        if assignment.active:
            assignment.active, assignment.released_at = False, now
    flush_or_conflict(session, request)
    count = queue_notices(session, request=request)
    transition(session, request=request, to="announced", actor=actor, at=utcnow(),
               data={"notices": count})  # fmt: skip
    flush_or_conflict(session, request)
    return count
