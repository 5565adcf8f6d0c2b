"""Verification, dispatch, partial fulfilment and closure of help requests (核实 派遣 办结).

Each function changes one request in the caller's transaction and writes the audit log.
Two dispatchers racing to assign the same request cannot both win: the request's
``version`` column makes the second UPDATE match no row (see
:func:`zhengwu.rescue.workflow.flush_or_conflict`), and a dispatcher whose screen is
stale can send ``expected_version`` to be told before anything is written.

People counts: the number a request lists (``people_total``) is what the posts said, so
it can be wrong both ways. A coordinator corrects it with a reason (:func:`correct_people`);
a team that finds more people than listed records them and the count rises with them
(:func:`fulfil`, audited). Closing as rescued or relocated while fewer people were helped
than listed is refused unless the coordinator confirms a partial closure with a reason
(:func:`resolve`): the notice then says how many may still be waiting
(:mod:`zhengwu.rescue.notices`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from zhengwu.audit import service as audit_service
from zhengwu.auth.principal import Principal
from zhengwu.errors import ConflictError, ForbiddenError, InvalidInputError
from zhengwu.rescue import claims, clock
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.models import OUTCOMES, Assignment, Fulfilment, HelpRequest, Team, Verification
from zhengwu.rescue.notices import HELPED_OUTCOMES, people_en, people_remaining, queue_notices
from zhengwu.rescue.workflow import OPEN_STATES, flush_or_conflict, transition

PEOPLE_EDITORS = ("dispatcher", "verifier")  # who corrects a request's people count


# The reason a verification gives the claim it ends (read in the 处理记录, in Chinese).
VERIFIED_REASON = "核实完成"


class PartialRescueError(ConflictError):
    """Closing as rescued or relocated while people may still wait, without confirming it."""

    def __init__(
        self, *, request_id: int, total: int, helped: int, remaining: int, outcome: str
    ) -> None:
        verb = "救出" if outcome == "rescued" else "转移"
        super().__init__(
            f"求助 #{request_id} 登记 {total} 人，只记录{verb} {helped} 人，仍有 {remaining} 人"
            "待救或下落待核实：确属部分结束，请勾选「确认部分结束」并填写理由；人数登记有误请先更正人数",
            f"help request #{request_id} lists {people_en(total)} but only {helped} "
            f"{'was' if helped == 1 else 'were'} recorded as helped: {people_en(remaining)} may "
            "still be waiting. To close it anyway, confirm a partial closure (confirm_partial) "
            "with a reason; if the count is wrong, correct it first",
        )
        self.total, self.helped, self.remaining = total, helped, remaining

    def to_dict(self) -> dict[str, object]:
        """Return the error with the people counts it is about."""
        return {**super().to_dict(), "people_total": self.total,
                "people_helped": self.helped, "people_remaining": self.remaining}  # fmt: skip


def _open(request: HelpRequest, action: str) -> None:
    if request.state not in OPEN_STATES:
        raise ConflictError(
            f"求助 #{request.id} 已结束（{request.state}），不能再{action}",
            f"help request #{request.id} is {request.state}: cannot {action}",
        )


def check_version(request: HelpRequest, expected_version: int | None) -> None:
    """Raise 409 when ``expected_version`` is given and ``request`` has changed since."""
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
    """Record a verification; "confirmed" moves a new request to verified.

    Refused (409) while another verifier's claim holds; it releases the claim
    (:mod:`zhengwu.rescue.claims`).
    """
    actor.require("verifier", "dispatcher")
    _open(request, "核实 verify")
    claims.check(session, request=request, actor=actor)
    now = clock.now(session, request.incident_id)
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
    claims.release(session, request=request, actor=actor, reason=VERIFIED_REASON)
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
    check_version(request, expected_version)
    if request.team_id is not None and request.state in ("dispatched", "on_scene"):
        held = session.get(Team, request.team_id)
        name = held.name if held else f"#{request.team_id}"
        raise ConflictError(
            f"求助 #{request.id} 已派给队伍「{name}」，请先撤回再改派",
            f"help request #{request.id} is already dispatched to team {name}; release it first",
        )
    if not team.active:
        raise ConflictError(f"队伍「{team.name}」已停用", f"team {team.name} is inactive")
    now = clock.now(session, request.incident_id)
    transition(session, request=request, to="dispatched", actor=actor, at=now,
               data={"team_id": team.id}, reason=note)  # fmt: skip
    request.team_id, request.team = team.id, team  # the answer names the team at once
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
    now = clock.now(session, request.incident_id)
    for assignment in request.assignments:
        if assignment.active:
            assignment.active, assignment.released_at = False, now
    transition(session, request=request, to=back, actor=actor, reason=reason, at=now,
               data={"team_id": request.team_id})  # fmt: skip
    request.team_id, request.team = None, None
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
    """Record people helped ("5 of 8 evacuated"); a dispatched team is then on scene.

    A team that finds more people than the request lists records them all: the count
    rises to what was helped (audited as ``people``), nobody is turned away by a number.
    """
    _may_act_for_team(actor, request)
    if request.state not in ("dispatched", "on_scene"):
        raise ConflictError(
            f"求助 #{request.id} 尚未派出队伍，无法记录救出人数",
            f"help request #{request.id} has no team on it: cannot record people helped",
        )
    now = clock.now(session, request.incident_id)
    remaining = people_remaining(request)
    if remaining is not None and people > remaining:
        _set_total(session, request, request.people_helped + people, actor=actor, at=now,
                   reason=note or f"队伍记录救出 {people} 人，多于登记待救的 {remaining} 人",
                   by="fulfil")  # fmt: skip
    if request.state == "dispatched":
        transition(session, request=request, to="on_scene", actor=actor, at=now)
    event = _record_helped(session, request, people, outcome, actor=actor, note=note, at=now)
    flush_or_conflict(session, request)
    return event


def _record_helped(
    session: Session, request: HelpRequest, people: int, outcome: str, *, actor: Principal,
    note: str | None, at: datetime, by: str = "team",
) -> Fulfilment:  # fmt: skip
    # The team on the request, if any, is credited; at closing there may be none.
    event = Fulfilment(request_id=request.id, team_id=request.team_id, people=people,
                       outcome=outcome, note=note, recorded_by=actor.display_name, at=at)  # fmt: skip
    # Set, not loaded: the views read it (lazy="raise") before the session is refreshed.
    event.team = session.get(Team, request.team_id) if request.team_id else None
    session.add(event)
    request.people_helped += people
    audit_service.record(
        session, entity_type="help_request", entity_id=request.id, action="fulfil", actor=actor,
        reason=note, at=at, data={"people": people, "helped": request.people_helped,
                                  "total": request.people_total, "outcome": outcome, "by": by},
    )  # fmt: skip
    request.fulfilments.append(event)
    return event


def _set_total(
    session: Session, request: HelpRequest, total: int, *, actor: Principal, reason: str,
    at: datetime, by: str,
) -> None:  # fmt: skip
    audit_service.record(
        session, entity_type="help_request", entity_id=request.id, action="people", actor=actor,
        reason=reason, at=at, data={"from": request.people_total, "to": total, "by": by},
    )  # fmt: skip
    request.people_total = total


def correct_people(
    session: Session, *, request: HelpRequest, people_total: int, actor: Principal, reason: str
) -> None:
    """Correct how many people an open request is for (更正人数), with the reason; audited.

    The count may not fall below the people already helped (409).
    """
    actor.require(*PEOPLE_EDITORS)
    _open(request, "更正人数 correct the people count")
    if not reason.strip():
        raise InvalidInputError(
            "更正人数需要填写理由", "correcting the people count needs a reason"
        )
    if people_total < 1:
        raise InvalidInputError("人数应为正整数", "the people count must be a positive number")
    if people_total < request.people_helped:
        raise ConflictError(
            f"求助 #{request.id} 已救出 {request.people_helped} 人，人数不能少于已救出的人数",
            f"help request #{request.id} already has {people_en(request.people_helped)} helped: "
            f"the count cannot be {people_total}",
        )
    if people_total == request.people_total:
        return  # nothing changes, nothing is written
    _set_total(session, request, people_total, actor=actor, reason=reason.strip(),
               at=clock.now(session, request.incident_id), by="correction")  # fmt: skip
    flush_or_conflict(session, request)


def resolve(
    session: Session,
    *,
    request: HelpRequest,
    outcome: str,
    actor: Principal,
    note: str | None = None,
    people_helped: int | None = None,
    confirm_partial: bool = False,
    partial_reason: str | None = None,
) -> int:
    """Close ``request`` with ``outcome`` and queue its notice under every mirror.

    ``people_helped``: for rescued or relocated, everyone helped in all; more than is
    recorded records the difference now (people rescued by others, counted at closing).
    Closing as rescued or relocated while fewer people were helped than the request lists
    raises :class:`PartialRescueError` (409) unless ``confirm_partial`` is set with a
    ``partial_reason`` (audited as ``confirm_partial``). Returns how many notices were
    queued; the request is then resolved (已结束·公告待发送) until the outbox has delivered
    them all, or announced at once when it has no post to answer under.
    """
    actor.require("dispatcher")
    if outcome not in OUTCOMES:
        raise InvalidInputError(f"未知的结果 {outcome!r}", f"unknown outcome {outcome!r}")
    _open(request, "结束 resolve")
    more = _more_helped(request, outcome, people_helped)
    total = request.people_total
    if total is not None and request.people_helped + more > total:
        total = request.people_helped + more
    remaining = None if total is None else total - request.people_helped - more
    partial = outcome in HELPED_OUTCOMES and bool(remaining)
    reason = (partial_reason or "").strip()
    if partial and not confirm_partial:
        raise PartialRescueError(request_id=request.id, total=total or 0, outcome=outcome,
                                 helped=request.people_helped + more, remaining=remaining or 0)  # fmt: skip
    if partial and not reason:
        raise InvalidInputError(
            "确认部分结束需要填写理由（其余的人在哪里、由谁跟进）",
            "a partial closure needs a reason (where the others are, who follows them up)",
        )
    now = clock.now(session, request.incident_id)
    if more:
        if total != request.people_total:
            _set_total(session, request, total or 0, actor=actor, at=now, by="resolve",
                       reason=note or "结束求助时登记的救出人数多于登记人数")  # fmt: skip
        _record_helped(session, request, more, outcome, actor=actor, at=now, by="resolve",
                       note=note or "结束求助时登记")  # fmt: skip
    if partial:
        audit_service.record(
            session, entity_type="help_request", entity_id=request.id, action="confirm_partial",
            actor=actor, reason=reason, at=now,
            data={"outcome": outcome, "helped": request.people_helped, "total": total,
                  "remaining": remaining},
        )  # fmt: skip
    transition(session, request=request, to="resolved", actor=actor, reason=note, at=now,
               data={"outcome": outcome, "helped": request.people_helped, "total": total,
                     "remaining": remaining if partial else 0})  # fmt: skip
    request.outcome = outcome
    for assignment in request.assignments:
        if assignment.active:
            assignment.active, assignment.released_at = False, now
    flush_or_conflict(session, request)
    count = queue_notices(session, request=request)
    if count == 0:  # no post to answer under: the board's statement is the announcement
        transition(session, request=request, to="announced", actor=actor, at=now,
                   data={"notices": 0})  # fmt: skip
    flush_or_conflict(session, request)
    return count


def _more_helped(request: HelpRequest, outcome: str, people_helped: int | None) -> int:
    """Return how many helped people closing adds to the record (refusing a lower count)."""
    if people_helped is None or people_helped == request.people_helped:
        return 0
    if outcome not in HELPED_OUTCOMES:
        raise InvalidInputError(
            "只有「已获救」「已安全转移」可以登记救出人数",
            "people helped are recorded with rescued or relocated only",
        )
    if people_helped < request.people_helped:
        raise InvalidInputError(
            f"求助 #{request.id} 已记录救出 {request.people_helped} 人，结束时不能登记为 {people_helped} 人",
            f"help request #{request.id} already has {people_en(request.people_helped)} "
            f"helped: it cannot close with {people_helped}",
        )
    return people_helped - request.people_helped
