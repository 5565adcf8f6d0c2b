"""The workflow through the service layer: transitions, role checks, deadlines, replies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from zhengwu.audit import service as audit_service
from zhengwu.auth.principal import PUBLIC
from zhengwu.errors import ConflictError, ForbiddenError, InvalidInputError
from zhengwu.outbox import service as outbox_service
from zhengwu.servicedesk import scheduled, service, workflow
from zhengwu.servicedesk.errors import IllegalTransitionError
from zhengwu.servicedesk.models import ServiceRequest
from zhengwu.servicedesk.schemas import ActionInput, RequestIntake

from .conftest import World


def weibo_request(
    session: Session, text: str = "#马上办# @金水住建 金水区花园路小区物业乱收费，业主多次反映无果"
) -> tuple[ServiceRequest, str]:
    outcome = service.receive(
        session,
        intake=RequestIntake(
            source="weibo", source_ref="weibo:5001", text=text, account_uid="1002", citizen_uid="c9"
        ),
        actor=PUBLIC,
    )
    assert outcome.citizen_token is not None
    return outcome.request, outcome.citizen_token


def act(
    session: Session, world: World, who: str, req: ServiceRequest, action: str, **kw: object
) -> ServiceRequest:
    return service.perform(
        session,
        request=req,
        action=action,
        actor=world.principals[who],
        data=ActionInput.model_validate(kw),
    )


def test_transition_table_is_consistent() -> None:
    assert set(workflow.ACTION_ACTORS) == set(workflow.ACTIONS)
    for (state, action), target in workflow.TRANSITIONS.items():
        assert state in workflow.STATES
        assert target in workflow.STATES
        assert action in workflow.ACTIONS
    # Terminal states refuse everything.
    assert workflow.actions_from("duplicate") == workflow.actions_from("invalid") == []


def test_full_lifecycle_with_replies(session: Session, world: World) -> None:
    req, token = weibo_request(session)
    assert req.organization_id == world.orgs["js_housing"]
    act(session, world, "js_housing", req, "accept")
    assert req.state == "accepted"
    assert req.first_response_at is not None
    act(session, world, "js_housing", req, "start")
    act(
        session,
        world,
        "js_housing",
        req,
        "cohandle",
        helper_organization_ids=[world.orgs["police"]],
    )
    act(session, world, "police", req, "note", reason="已派民警到现场维持秩序")
    with pytest.raises(ForbiddenError):  # a helper cannot resolve
        act(session, world, "police", req, "resolve", reply_text="x")
    act(session, world, "js_housing", req, "request_extension", days=5, reason="需要业委会表决")
    due = req.resolve_due
    assert due is not None
    act(session, world, "office", req, "approve_extension", reason="同意")
    assert req.resolve_due is not None
    assert req.resolve_due > due
    assert req.extension_days is None
    act(session, world, "js_housing", req, "resolve", reply_text="已约谈物业公司，多收费用已退还。")
    assert req.state == "resolved"
    assert req.resolved_at is not None
    service.citizen_act(session, request=req, action="follow_up", token=token,
                        data=ActionInput(satisfaction=2, reason="只退了一半"))  # fmt: skip
    assert (req.state, req.satisfaction) == ("followed_up", 2)
    service.citizen_act(session, request=req, action="reopen", token=token,
                        data=ActionInput(reason="费用没有全部退还"))  # fmt: skip
    assert (req.state, req.reopen_count, req.resolved_at) == ("reopened", 1, None)
    assert req.organization_id == world.orgs["js_housing"]  # back to the handling body
    act(session, world, "js_housing", req, "resolve", reply_text="剩余费用已全部退还。")
    assert req.state == "resolved"

    history = audit_service.history(session, entity_type="request", entity_id=req.id)
    actions = [e.action for e in history]
    assert actions == [
        "receive", "route", "accept", "start", "cohandle", "note", "request_extension",
        "approve_extension", "resolve", "follow_up", "reopen", "resolve",
    ]  # fmt: skip
    reopen = history[actions.index("reopen")]
    assert (reopen.from_state, reopen.to_state, reopen.actor_name) == (
        "followed_up",
        "reopened",
        "市民",
    )
    assert reopen.reason == "费用没有全部退还"
    messages = outbox_service.for_entity(session, entity_type="request", entity_id=req.id)
    assert [m.kind for m in messages] == ["first_response", "closing", "closing"]
    assert all(m.target_post_id == "5001" and m.account_uid == "1002" for m in messages)
    assert req.public_id in messages[0].body
    assert "剩余费用" in messages[2].body


def test_illegal_transitions_are_409_with_state_and_action(session: Session, world: World) -> None:
    req, _ = weibo_request(session)
    with pytest.raises(IllegalTransitionError) as caught:
        act(session, world, "js_housing", req, "resolve", reply_text="x")
    assert caught.value.status_code == 409
    assert "已接收" in caught.value.message_zh
    assert "办结" in caught.value.message_zh
    assert "'resolve'" in caught.value.message_en
    assert "'received'" in caught.value.message_en


def test_roles_are_checked_per_action(session: Session, world: World) -> None:
    req, token = weibo_request(session)
    with pytest.raises(ForbiddenError):  # another body
        act(session, world, "js_eco", req, "accept")
    with pytest.raises(ForbiddenError):  # the office cannot resolve in the body's place
        act(session, world, "office", req, "resolve", reply_text="x")
    with pytest.raises(ForbiddenError):  # rescue roles have nothing to do here
        act(session, world, "dispatcher", req, "accept")
    with pytest.raises(ForbiddenError):
        service.citizen_act(session, request=req, action="reopen", token="wrong-token",
                            data=ActionInput(reason="x"))  # fmt: skip
    with pytest.raises(ForbiddenError):
        service.citizen_act(session, request=req, action="resolve", token=token, data=ActionInput())


def test_return_goes_back_to_the_office_for_rerouting(session: Session, world: World) -> None:
    req, _ = weibo_request(session)
    with pytest.raises(InvalidInputError):
        act(session, world, "js_housing", req, "return")  # a return needs a reason
    act(session, world, "js_housing", req, "return", reason="属于物价部门职责")
    assert req.state == "returned"
    assert req.organization_id is None
    with pytest.raises(ForbiddenError):  # no longer theirs
        act(session, world, "js_housing", req, "note", reason="x")
    act(session, world, "office", req, "assign", organization_id=world.orgs["city_housing"])
    assert req.state == "assigned"
    assert req.organization_id == world.orgs["city_housing"]
    act(session, world, "city_housing", req, "accept")
    act(session, world, "city_housing", req, "transfer", organization_id=world.orgs["js_eco"],
        reason="涉及环境问题")  # fmt: skip
    assert (req.state, req.organization_id) == ("assigned", world.orgs["js_eco"])
    assert req.routing_rule_id is None  # a person decided, not a rule


def test_extension_refused_and_double_request(session: Session, world: World) -> None:
    req, _ = weibo_request(session)
    act(session, world, "js_housing", req, "accept")
    with pytest.raises(ConflictError):
        act(session, world, "office", req, "approve_extension")  # nothing pending
    act(session, world, "js_housing", req, "request_extension", days=3, reason="等待检测报告")
    with pytest.raises(ConflictError):
        act(session, world, "js_housing", req, "request_extension", days=3, reason="again")
    due = req.resolve_due
    act(session, world, "office", req, "refuse_extension", reason="期限内可以完成")
    assert req.resolve_due == due
    assert req.extension_days is None


def test_duplicate_and_invalid_close_the_request(session: Session, world: World) -> None:
    kept, _ = weibo_request(session)
    dup = service.create_request(
        session,
        intake=RequestIntake(
            source="form", text="花园路小区物业多收物业费，和别人反映的是同一件事", adcode="410105"
        ),
        actor=PUBLIC,
    )
    act(session, world, "office", dup, "duplicate", duplicate_of=kept.public_id)
    assert dup.state == "duplicate"
    assert dup.duplicate_of_id == kept.id
    with pytest.raises(IllegalTransitionError):
        act(session, world, "office", dup, "accept")
    junk = service.create_request(
        session,
        intake=RequestIntake(source="form", text="金水区 测试测试", adcode="410105"),
        actor=PUBLIC,
    )
    act(session, world, "office", junk, "invalid", reason="测试信息")
    assert junk.state == "invalid"


def test_escalation_supervises_overdue_requests_once(session: Session, world: World) -> None:
    req, _ = weibo_request(session)
    act(session, world, "js_housing", req, "accept")
    assert req.resolve_due is not None
    later = req.resolve_due + timedelta(hours=1)
    first = scheduled.escalate_overdue(session, now=later)
    assert [r.id for r in first if r.id == req.id] == [req.id]
    assert req.supervision_count == 1
    assert scheduled.escalate_overdue(session, now=later + timedelta(hours=1)) == []
    entry = audit_service.history(session, entity_type="request", entity_id=req.id)[-1]
    assert entry.action == "supervise"
    assert entry.reason
    assert "超期未办结" in entry.reason
    # The office can supervise by hand as well.
    act(session, world, "office", req, "supervise", reason="领导批示")
    assert req.supervision_count == 2


def test_due_soon_lists_the_handlers_deadlines(session: Session, world: World) -> None:
    req, _ = weibo_request(session)
    assert req.response_due is not None
    now = req.response_due - timedelta(hours=2)
    soon = scheduled.due_soon(session, principal=world.principals["js_housing"], now=now)
    assert req.id in [r.id for r in soon]
    assert scheduled.due_soon(session, principal=world.principals["js_eco"], now=now) == []


def test_reclassify_and_expected_version(session: Session, world: World) -> None:
    req, _ = weibo_request(session)
    version = req.version
    act(session, world, "office", req, "reclassify", category_code="0602")
    assert (req.category_code, req.classified_by) == ("0602", "staff")
    with pytest.raises(ConflictError):
        act(session, world, "js_housing", req, "accept", expected_version=version)


def test_deadlines_count_working_days(session: Session, world: World) -> None:
    friday = datetime(2025, 7, 4, 2, 0, tzinfo=UTC)  # 10:00 in Beijing, a Friday
    req = service.create_request(
        session,
        intake=RequestIntake(
            source="form", text="金水区小区井盖丢失", adcode="410105", submitted_at=friday
        ),
        actor=PUBLIC,
    )
    assert req.category_code == "0103"  # resolve within 5 working days
    assert req.response_due is not None
    assert req.resolve_due is not None
    assert req.response_due.date() == datetime(2025, 7, 7).date()  # Monday, not Saturday
    assert req.resolve_due.date() == datetime(2025, 7, 11).date()


def test_deadlines_skip_national_day_holidays(session: Session, world: World) -> None:
    # Tuesday 30 September 2025, 10:00 in Beijing; 1–8 October are the National Day holidays.
    before_holiday = datetime(2025, 9, 30, 2, 0, tzinfo=UTC)
    req = service.create_request(
        session,
        intake=RequestIntake(
            source="form", text="金水区小区物业乱收费", adcode="410105", submitted_at=before_holiday
        ),
        actor=PUBLIC,
    )
    assert req.response_due is not None
    assert req.response_due == datetime(2025, 10, 9, 2, 0, tzinfo=UTC)  # Thursday 9 October
