"""Closing a help request safely: partial rescues, people counts, notice texts, delivery.

A closing notice that says "请勿重复救援" makes volunteers stop; it must never be posted
while people the request lists may still be waiting, and a request is announced only
once its notices reached the platforms.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pydantic import ValidationError
from sqlalchemy.orm import Session

from zhengwu.audit import service as audit_service
from zhengwu.auth.principal import Principal
from zhengwu.errors import ConflictError, ForbiddenError, InvalidInputError
from zhengwu.jobs.registry import get_job
from zhengwu.outbox import service as outbox_service
from zhengwu.rescue import dispatch, intake, notices, spreadsheet
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.models import HelpRequest, Incident, Team
from zhengwu.rescue.schemas import HelpSubmission, TeamCreate, TeamUpdate

from .conftest import DISPATCHER, VERIFIER, post, repost

FIVE = "#郑州暴雨互助# 求助！郑州市金水区经三路12号院3号楼，一家5口被困二楼，有老人小孩，电话13700001234"
UNCOUNTED = "#郑州暴雨互助# 求助！郑州市中原区桐柏路9号院有人被困，水很深，电话13600005678"


def _request(session: Session, incident: Incident, text: str, post_id: str) -> HelpRequest:
    posts = [post(post_id, text), repost(f"{post_id}r", post_id, text)]
    done = intake.take_in(session, incident=incident, posts=posts, actor=DISPATCHER)
    return rescue_service.get_request(session, request_id=done.requests[("weibo", post_id)].id)


@pytest.fixture
def five(session: Session, make_incident: Callable[..., Incident]) -> HelpRequest:
    """A request for 5 people carried by a post and its repost."""
    return _request(session, make_incident(hotline="0371-12345"), FIVE, "5")


def _bodies(session: Session, request: HelpRequest) -> list[str]:
    return [m.body for m in outbox_service.for_entity(
        session, entity_type="help_request", entity_id=request.id)]  # fmt: skip


def _actions(session: Session, request: HelpRequest) -> list[str]:
    trail = audit_service.history(session, entity_type="help_request", entity_id=request.id)
    return [e.action for e in trail]


def test_a_partial_rescue_is_refused_then_closed_with_a_notice_that_keeps_people_looking(
    session: Session, five: HelpRequest, make_team: Callable[..., Team]
) -> None:
    dispatch.assign(session, request=five, team=make_team(), actor=DISPATCHER)
    dispatch.fulfil(session, request=five, people=2, outcome="rescued", actor=DISPATCHER,
                    note="二楼救出老人2名，其余3人在三楼未找到")  # fmt: skip
    with pytest.raises(dispatch.PartialRescueError) as refused:
        dispatch.resolve(session, request=five, outcome="rescued", actor=DISPATCHER)
    assert refused.value.status_code == 409
    assert "仍有 3 人待救" in refused.value.message_zh
    assert "3 people may still be waiting" in refused.value.message_en
    assert "only 2 were recorded" in refused.value.message_en
    assert refused.value.to_dict()["people_remaining"] == 3
    assert five.state == "on_scene" and _bodies(session, five) == []  # nothing happened
    with pytest.raises(InvalidInputError, match="needs a reason"):
        dispatch.resolve(session, request=five, outcome="rescued", actor=DISPATCHER,
                         confirm_partial=True, partial_reason="  ")  # fmt: skip
    assert five.state == "on_scene"

    count = dispatch.resolve(session, request=five, outcome="rescued", actor=DISPATCHER,
                             confirm_partial=True, partial_reason="其余3人转交消防继续搜救")  # fmt: skip
    assert (count, five.state, five.people_helped, five.people_total) == (2, "resolved", 2, 5)
    bodies = _bodies(session, five)
    assert len(bodies) == 2
    for body in bodies:
        assert "已救出 2 人，仍有 3 人待救或下落待核实" in body
        assert "0371-12345" in body  # the incident's hotline
        assert "请勿重复救援" not in body and "请勿再拨打" not in body and "共 2 人" not in body
    assert notices.is_partial(five)
    trail = audit_service.history(session, entity_type="help_request", entity_id=five.id)
    confirmed = next(e for e in trail if e.action == "confirm_partial")
    assert confirmed.reason == "其余3人转交消防继续搜救"
    assert confirmed.data == {"outcome": "rescued", "helped": 2, "total": 5, "remaining": 3}
    exported = spreadsheet.export_csv(session, incident=rescue_service.get_incident(
        session, incident_id=five.incident_id), principal=DISPATCHER)  # fmt: skip
    assert ",部分," in exported and ",是,已结束·公告待发送," not in exported


def test_people_helped_at_closing_are_recorded_and_counted(
    session: Session, five: HelpRequest
) -> None:
    dispatch.verify(session, request=five, method="phone", result="already_rescued",
                    actor=VERIFIER, note="家属说已被邻居用船接走")  # fmt: skip
    with pytest.raises(InvalidInputError, match="rescued or relocated only"):
        dispatch.resolve(session, request=five, outcome="unreachable", actor=DISPATCHER,
                         people_helped=5)  # fmt: skip
    dispatch.resolve(session, request=five, outcome="rescued", actor=DISPATCHER, people_helped=5,
                     note="邻居用船接走")  # fmt: skip
    assert (five.people_helped, five.state) == (5, "resolved")
    (recorded,) = five.fulfilments
    assert (recorded.people, recorded.team_id, recorded.note) == (5, None, "邻居用船接走")
    assert all("确认全部获救，共 5 人" in b and "请勿重复救援" in b for b in _bodies(session, five))
    assert _actions(session, five)[-2:] == ["fulfil", "to_resolved"]


def test_a_team_finding_more_people_raises_the_count_and_a_coordinator_corrects_it(
    session: Session, five: HelpRequest, make_team: Callable[..., Team]
) -> None:
    team = make_team()
    dispatch.assign(session, request=five, team=team, actor=DISPATCHER)
    member = Principal(role="team", username="t", display_name="蓝天队员", team_id=team.id)
    dispatch.fulfil(session, request=five, people=4, outcome="rescued", actor=member)
    dispatch.fulfil(session, request=five, people=3, outcome="rescued", actor=member,
                    note="邻居家还有3人")  # fmt: skip
    assert (five.people_helped, five.people_total) == (7, 7)
    trail = audit_service.history(session, entity_type="help_request", entity_id=five.id)
    raised = next(e for e in trail if e.action == "people")
    assert raised.data == {"from": 5, "to": 7, "by": "fulfil"}
    assert raised.reason == "邻居家还有3人"
    with pytest.raises(ConflictError, match="already has 7 people helped"):
        dispatch.correct_people(session, request=five, people_total=6, actor=DISPATCHER,
                                reason="重复统计")  # fmt: skip
    with pytest.raises(ForbiddenError):
        dispatch.correct_people(session, request=five, people_total=9, actor=member, reason="x")
    with pytest.raises(InvalidInputError):
        dispatch.correct_people(session, request=five, people_total=9, actor=DISPATCHER,
                                reason=" ")  # fmt: skip
    dispatch.correct_people(session, request=five, people_total=9, actor=VERIFIER,
                            reason="电话核实：楼上还有2人")  # fmt: skip
    assert five.people_total == 9
    corrected = audit_service.history(session, entity_type="help_request", entity_id=five.id)[-1]
    assert (corrected.action, corrected.reason) == ("people", "电话核实：楼上还有2人")
    assert corrected.data == {"from": 7, "to": 9, "by": "correction"}
    dispatch.resolve(session, request=five, outcome="rescued", actor=DISPATCHER,
                     confirm_partial=True, partial_reason="其余2人已自行撤离，待核实")  # fmt: skip
    assert all("已救出 7 人，仍有 2 人待救" in b for b in _bodies(session, five))
    with pytest.raises(ConflictError):  # closed: its count stays what the notice said
        dispatch.correct_people(session, request=five, people_total=7, actor=DISPATCHER,
                                reason="x")  # fmt: skip


def test_an_unknown_people_count_is_never_written_as_a_number(
    session: Session, make_incident: Callable[..., Incident], make_team: Callable[..., Team]
) -> None:
    incident = make_incident()
    nobody_counted = _request(session, incident, UNCOUNTED, "u")
    assert nobody_counted.people_total is None
    dispatch.assign(session, request=nobody_counted, team=make_team(), actor=DISPATCHER)
    dispatch.fulfil(session, request=nobody_counted, people=1, outcome="rescued",
                    actor=DISPATCHER)  # fmt: skip
    dispatch.resolve(session, request=nobody_counted, outcome="rescued", actor=DISPATCHER)
    (body, _) = _bodies(session, nobody_counted)
    assert "确认获救（已救出 1 人）" in body
    assert "共" not in body


@pytest.mark.parametrize(
    ("outcome", "says", "never"),
    [
        ("no_longer_needed", "经核实不再需要救援", "仍有"),
        ("unreachable", "求助人是否脱险尚未核实", "请勿重复救援"),
    ],
)
def test_other_outcomes_say_what_is_known(
    session: Session, five: HelpRequest, outcome: str, says: str, never: str
) -> None:
    dispatch.resolve(session, request=five, outcome=outcome, actor=DISPATCHER)
    bodies = _bodies(session, five)
    assert len(bodies) == 2
    assert all(says in b and never not in b and "共 5 人" not in b for b in bodies)
    if outcome == "unreachable":
        assert all("请拨打 0371-12345 或 110、119" in b for b in bodies)


def test_a_request_is_announced_only_when_every_notice_was_delivered(
    session: Session, five: HelpRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    dispatch.resolve(session, request=five, outcome="no_longer_needed", actor=DISPATCHER)
    assert notices.announce_delivered(session) == 0  # nothing delivered yet
    first, second = outbox_service.for_entity(
        session, entity_type="help_request", entity_id=five.id
    )
    first.state = "delivered"
    session.flush()
    assert notices.announce_delivered(session) == 0  # one mirror still waits
    assert [n.state for n in notices.deliveries(session, request=five)] == ["delivered", "queued"]
    monkeypatch.setenv("ZHENGWU_OUTBOX_CONNECTOR", "file")
    from zhengwu.config import get_settings

    get_settings.cache_clear()
    assert notices.connector_configured()
    step = get_job("outbox-delivery").step(session)
    assert step.counts == {"delivered": 1, "failed": 0, "announced": 1, "waiting": 0}
    assert (five.state, second.state) == ("announced", "delivered")
    entry = audit_service.history(session, entity_type="help_request", entity_id=five.id)[-1]
    assert (entry.action, entry.actor_name, entry.data) == (
        "to_announced",
        "系统（消息发送）",
        {"notices": 2},
    )


def test_a_form_request_has_no_post_to_answer_and_is_announced_at_once(
    session: Session, make_incident: Callable[..., Incident]
) -> None:
    incident = make_incident()
    found = intake.submit(session, incident=incident, actor=DISPATCHER,
                          data=HelpSubmission(text="一楼进水，老人出不去", people=2))  # fmt: skip
    request = rescue_service.get_request(session, request_id=found.id)
    assert dispatch.resolve(session, request=request, outcome="rescued", actor=DISPATCHER,
                            people_helped=2) == 0  # fmt: skip
    assert request.state == "announced"
    assert [n.state for n in notices.deliveries(session, request=request)] == ["none"]


def test_the_conflict_names_the_team_and_team_phones_are_normalised(
    session: Session, five: HelpRequest, make_team: Callable[..., Team]
) -> None:
    blue = make_team("蓝天救援队", contact_phone="139 5555 3333")
    assert blue.contact_phone == "13955553333"
    dispatch.assign(session, request=five, team=blue, actor=DISPATCHER)
    with pytest.raises(ConflictError) as refused:
        dispatch.assign(session, request=five, team=make_team("乙队"), actor=DISPATCHER)
    assert "已派给队伍「蓝天救援队」" in refused.value.message_zh
    assert "team #" not in refused.value.message_en
    assert TeamUpdate(contact_phone="+86 138-0000-4444").contact_phone == "13800004444"
    with pytest.raises(ValidationError):
        TeamCreate(name="丙队", contact_phone="12345")  # a hotline reaches no team member


def test_a_notice_waiting_again_keeps_its_last_delivery_error(
    session: Session, five: HelpRequest
) -> None:
    """A closing notice that failed once on its platform, then waits for a connector: the
    request's deliveries give both the waiting reason and the last failure, with its time."""

    class Down:
        platform = "*"

        def send(self, message: object) -> str:
            raise RuntimeError("platform unavailable")

    dispatch.resolve(session, request=five, outcome="no_longer_needed", actor=DISPATCHER)
    outbox_service.deliver_pending(session, [Down()])
    outbox_service.deliver_pending(session, [])
    for notice in notices.deliveries(session, request=five):
        assert notice.state == "queued"
        assert notice.error == outbox_service.waiting_reason(notice.platform)
        assert notice.last_error is not None and notice.last_error.endswith("platform unavailable")
        assert notice.last_error_at is not None
