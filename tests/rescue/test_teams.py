"""Editing, deactivating and reactivating teams in the service layer (救援队伍的修改与停用)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhengwu.audit import service as audit_service
from zhengwu.audit.models import AuditEntry
from zhengwu.auth.principal import Principal
from zhengwu.errors import ConflictError, ForbiddenError, InvalidInputError
from zhengwu.rescue import dispatch, intake
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.models import Assignment, Fulfilment, HelpRequest, Incident, Team
from zhengwu.rescue.schemas import TeamUpdate

from .conftest import DISPATCHER, ORIGINAL, VERIFIER, post

ADMIN = Principal(role="admin", username="root", display_name="管理员")


def _history(session: Session, team: Team) -> list[AuditEntry]:
    return audit_service.history(session, entity_type="rescue_team", entity_id=team.id)


@pytest.fixture
def request_of_eight(session: Session, make_incident: Callable[..., Incident]) -> HelpRequest:
    """A verified request for 8 people."""
    done = intake.take_in(session, incident=make_incident(), posts=[post("1", ORIGINAL)],
                          actor=DISPATCHER)  # fmt: skip
    request = rescue_service.get_request(session, request_id=done.requests[("weibo", "1")].id)
    dispatch.verify(session, request=request, method="phone", result="confirmed", actor=VERIFIER)
    return request


def test_update_changes_fields_and_audits_what_changed(
    session: Session, make_team: Callable[..., Team]
) -> None:
    team = make_team("蓝天救援队", capacity=2, contact_phone="13800005555")
    rescue_service.update_team(session, team=team, actor=DISPATCHER, data=TeamUpdate(
        name="郑州蓝天救援队", kind="volunteer", capabilities=["boat", "medical"], capacity=6,
        area=["410105", "410102"], contact_name="王强", contact_phone="13900006666"))  # fmt: skip
    session.expire_all()
    stored = session.get(Team, team.id)
    assert stored is not None
    assert (stored.name, stored.kind, stored.capacity) == ("郑州蓝天救援队", "volunteer", 6)
    assert stored.capabilities == ["boat", "medical"]
    assert stored.area == ["410105", "410102"]
    assert (stored.contact_name, stored.contact_phone) == ("王强", "13900006666")
    entries = _history(session, stored)
    assert [e.action for e in entries] == ["create", "update"]
    change = entries[1].data or {}
    assert change["name"] == {"from": "蓝天救援队", "to": "郑州蓝天救援队"}
    assert change["capacity"] == {"from": 2, "to": 6}
    assert change["contact_phone"] == {"from": "13800005555", "to": "13900006666"}
    assert entries[1].actor_name == "调度员"


def test_partial_update_keeps_the_rest_and_a_no_op_writes_nothing(
    session: Session, make_team: Callable[..., Team]
) -> None:
    team = make_team("蓝天救援队", capacity=3, contact_name="王强")
    rescue_service.update_team(session, team=team, data=TeamUpdate(capacity=4), actor=DISPATCHER)
    assert (team.capacity, team.contact_name, team.area) == (4, "王强", ["410100"])
    rescue_service.update_team(session, team=team, data=TeamUpdate(capacity=4), actor=DISPATCHER)
    rescue_service.update_team(session, team=team, data=TeamUpdate(active=True), actor=DISPATCHER)
    assert [e.action for e in _history(session, team)] == ["create", "update"]
    cleared = TeamUpdate.model_validate({"contact_name": None})
    rescue_service.update_team(session, team=team, data=cleared, actor=DISPATCHER)
    assert team.contact_name is None


def test_a_taken_name_or_unknown_area_is_refused(
    session: Session, make_team: Callable[..., Team]
) -> None:
    first, second = make_team("甲队"), make_team("乙队")
    with pytest.raises(ConflictError, match="team exists: 甲队") as refused:
        rescue_service.update_team(session, team=second, data=TeamUpdate(name="甲队"),
                                   actor=DISPATCHER)  # fmt: skip
    assert refused.value.status_code == 409
    assert "队伍名称已存在" in refused.value.message_zh
    # Keeping its own name is no conflict.
    rescue_service.update_team(session, team=first, data=TeamUpdate(name="甲队", capacity=2),
                               actor=DISPATCHER)  # fmt: skip
    assert first.capacity == 2
    with pytest.raises(InvalidInputError, match="999999"):
        rescue_service.update_team(session, team=first, data=TeamUpdate(area=["999999"]),
                                   actor=DISPATCHER)  # fmt: skip


def test_explicit_null_on_a_required_field_is_invalid() -> None:
    for field in ("name", "kind", "capacity", "capabilities", "area", "active"):
        with pytest.raises(ValidationError, match="must not be null"):
            TeamUpdate.model_validate({field: None})
    with pytest.raises(ValidationError):
        TeamUpdate.model_validate({"capacity": 0})
    with pytest.raises(ValidationError):
        TeamUpdate.model_validate({"contact_phone": "1" * 33})


@pytest.mark.parametrize("role", ["verifier", "team", "handler", "operator"])
def test_only_dispatch_changes_teams(
    session: Session, make_team: Callable[..., Team], role: str
) -> None:
    team = make_team()
    actor = Principal(role=role, user_id=None, username=role, display_name=role, team_id=team.id)
    with pytest.raises(ForbiddenError):
        rescue_service.update_team(session, team=team, data=TeamUpdate(capacity=9), actor=actor)
    with pytest.raises(ForbiddenError):
        rescue_service.set_team_active(session, team=team, active=False, actor=actor)
    assert (team.capacity, team.active) == (1, True)
    rescue_service.set_team_active(session, team=team, active=False, actor=ADMIN)
    assert team.active is False


def test_an_inactive_team_is_not_offered_and_cannot_be_sent_until_reactivated(
    session: Session, request_of_eight: HelpRequest, make_team: Callable[..., Team]
) -> None:
    team, other = make_team("甲队"), make_team("乙队")
    rescue_service.set_team_active(session, team=team, active=False, actor=DISPATCHER,
                                   reason="队员撤离")  # fmt: skip
    assert [t.name for t in rescue_service.list_teams(session, active=True)] == ["乙队"]
    assert [t.name for t in rescue_service.list_teams(session, active=False)] == ["甲队"]
    assert [t.name for t in rescue_service.list_teams(session)] == ["乙队", "甲队"]
    with pytest.raises(ConflictError, match="inactive"):
        dispatch.assign(session, request=request_of_eight, team=team, actor=DISPATCHER)
    assert (request_of_eight.state, request_of_eight.team_id) == ("verified", None)
    dispatch.assign(session, request=request_of_eight, team=other, actor=DISPATCHER)
    dispatch.release(session, request=request_of_eight, actor=DISPATCHER, reason="改派")
    rescue_service.set_team_active(session, team=team, active=True, actor=DISPATCHER)
    dispatch.assign(session, request=request_of_eight, team=team, actor=DISPATCHER)
    assert request_of_eight.team_id == team.id
    entries = _history(session, team)
    assert [(e.action, e.from_state, e.to_state) for e in entries] == [
        ("create", None, None),
        ("deactivate", "active", "inactive"),
        ("reactivate", "inactive", "active"),
    ]
    assert entries[1].reason == "队员撤离"


def test_a_team_with_open_requests_cannot_stand_down_but_keeps_its_history(
    session: Session, request_of_eight: HelpRequest, make_team: Callable[..., Team]
) -> None:
    team = make_team()
    dispatch.assign(session, request=request_of_eight, team=team, actor=DISPATCHER)
    with pytest.raises(ConflictError, match=f"#{request_of_eight.id}") as refused:
        rescue_service.update_team(session, team=team, data=TeamUpdate(active=False),
                                   actor=DISPATCHER)  # fmt: skip
    assert "请先撤回或办结" in refused.value.message_zh
    assert team.active is True
    dispatch.fulfil(session, request=request_of_eight, people=8, outcome="rescued",
                    actor=DISPATCHER)  # fmt: skip
    dispatch.resolve(session, request=request_of_eight, outcome="rescued", actor=DISPATCHER)
    assert request_of_eight.state == "resolved"  # its 3 notices wait in the outbox
    rescue_service.set_team_active(session, team=team, active=False, actor=DISPATCHER)
    session.expire_all()
    assert session.get(Team, team.id) is not None
    kept = session.scalars(select(Assignment).where(Assignment.team_id == team.id)).all()
    assert [a.request_id for a in kept] == [request_of_eight.id]
    helped = session.scalars(select(Fulfilment).where(Fulfilment.team_id == team.id)).all()
    assert [f.people for f in helped] == [8]
    resolved = rescue_service.get_request(session, request_id=request_of_eight.id)
    assert (resolved.team_id, resolved.state) == (team.id, "resolved")
    assert [e.action for e in _history(session, team)] == ["create", "deactivate"]
