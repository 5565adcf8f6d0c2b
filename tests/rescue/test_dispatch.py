"""Verification, dispatch, partial fulfilment, closure and the transition table; triage."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from zhengwu.db.base import utcnow
from zhengwu.errors import ConflictError, ForbiddenError
from zhengwu.outbox import service as outbox_service
from zhengwu.rescue import dispatch, intake, priority
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.models import HelpRequest, Incident, Team
from zhengwu.rescue.workflow import TRANSITIONS, can, transition

from .conftest import COPY, DISPATCHER, ORIGINAL, OTHER, VERIFIER, post, repost


@pytest.fixture
def request_of_eight(session: Session, make_incident: Callable[..., Incident]) -> HelpRequest:
    """A request for 8 people carried by an original, a copy and a repost."""
    incident = make_incident()
    posts = [post("1", ORIGINAL), post("2", COPY, 3), repost("3", "1", ORIGINAL)]
    done = intake.take_in(session, incident=incident, posts=posts, actor=DISPATCHER)
    return rescue_service.get_request(session, request_id=done.requests[("weibo", "1")].id)


def test_lifecycle_with_partial_fulfilment_and_notices_to_every_mirror(
    session: Session, request_of_eight: HelpRequest, make_team: Callable[..., Team]
) -> None:
    request, team = request_of_eight, make_team()
    dispatch.verify(session, request=request, method="phone", result="confirmed", actor=VERIFIER)
    assert request.state == "verified"
    assert request.reverify_due_at is not None
    dispatch.assign(session, request=request, team=team, actor=DISPATCHER)
    assert (request.state, request.team_id) == ("dispatched", team.id)
    dispatch.fulfil(session, request=request, people=5, outcome="rescued", actor=DISPATCHER)
    assert request.state == "on_scene"
    assert priority.fulfilment(request) == "partial"
    assert "partial" in priority.flags(request)
    with pytest.raises(dispatch.PartialRescueError):  # 3 of the 8 are still waiting
        dispatch.resolve(session, request=request, outcome="rescued", actor=DISPATCHER)
    dispatch.fulfil(session, request=request, people=3, outcome="relocated", actor=DISPATCHER)
    assert priority.fulfilment(request) == "complete"
    assert dispatch.resolve(session, request=request, outcome="rescued", actor=DISPATCHER) == 3
    assert request.state == "resolved"  # queued is not published
    messages = outbox_service.for_entity(session, entity_type="help_request", entity_id=request.id)
    assert sorted(m.target_post_id or "" for m in messages) == ["1", "2", "3"]
    assert all("共 8 人" in m.body and "请勿重复救援" in m.body for m in messages)
    assert all(m.kind == "rescue_notice" and m.state == "queued" for m in messages)
    assert all(s.notified_at is not None for s in request.sources)


def test_second_assignment_is_a_conflict(
    session: Session, request_of_eight: HelpRequest, make_team: Callable[..., Team]
) -> None:
    first, second = make_team("甲队"), make_team("乙队")
    dispatch.assign(session, request=request_of_eight, team=first, actor=DISPATCHER)
    with pytest.raises(ConflictError, match="already dispatched"):
        dispatch.assign(session, request=request_of_eight, team=second, actor=DISPATCHER)


def test_a_stale_screen_is_told_before_anything_is_written(
    session: Session, request_of_eight: HelpRequest, make_team: Callable[..., Team]
) -> None:
    seen = request_of_eight.version
    dispatch.verify(session, request=request_of_eight, method="phone", result="confirmed",
                    actor=VERIFIER)  # fmt: skip
    with pytest.raises(ConflictError, match="changed since you saw it"):
        dispatch.assign(session, request=request_of_eight, team=make_team(), actor=DISPATCHER,
                        expected_version=seen)  # fmt: skip
    assert request_of_eight.state == "verified"


def test_transition_table_refuses_illegal_moves(
    session: Session, request_of_eight: HelpRequest
) -> None:
    assert not can(request_of_eight, "announced")
    with pytest.raises(ConflictError) as caught:
        transition(session, request=request_of_eight, to="on_scene", actor=DISPATCHER)
    assert caught.value.status_code == 409
    assert TRANSITIONS["announced"] == frozenset()
    with pytest.raises(ConflictError):
        dispatch.fulfil(session, request=request_of_eight, people=1, outcome="rescued",
                        actor=DISPATCHER)  # fmt: skip


def test_release_sends_a_request_back_and_roles_are_checked(
    session: Session, request_of_eight: HelpRequest, make_team: Callable[..., Team]
) -> None:
    team = make_team()
    with pytest.raises(ForbiddenError):
        dispatch.assign(session, request=request_of_eight, team=team, actor=VERIFIER)
    dispatch.assign(session, request=request_of_eight, team=team, actor=DISPATCHER)
    dispatch.release(session, request=request_of_eight, actor=DISPATCHER, reason="船坏了")
    assert (request_of_eight.state, request_of_eight.team_id) == ("new", None)
    assert not any(a.active for a in request_of_eight.assignments)


def test_verification_goes_stale_after_the_incident_interval(
    session: Session, request_of_eight: HelpRequest
) -> None:
    dispatch.verify(session, request=request_of_eight, method="on_site", result="confirmed",
                    actor=VERIFIER)  # fmt: skip
    assert not priority.is_stale(request_of_eight)
    later = utcnow() + timedelta(hours=6, minutes=1)
    assert priority.is_stale(request_of_eight, now=later)
    assert "stale" in priority.flags(request_of_eight, now=later)


def test_priority_is_explained_and_ignores_engagement(
    session: Session, make_incident: Callable[..., Incident]
) -> None:
    incident = make_incident()
    lonely = intake.take_in(session, incident=incident, posts=[post("a", ORIGINAL)],
                            actor=DISPATCHER).requests[("weibo", "a")]  # fmt: skip
    other = make_incident("另一场")
    famous = intake.take_in(
        session, incident=other, actor=DISPATCHER,
        posts=[post("b", ORIGINAL)] + [repost(f"r{i}", "b", ORIGINAL) for i in range(30)],
    ).requests[("weibo", "b")]  # fmt: skip
    now = utcnow()
    assert len(famous.sources) == 31
    assert priority.score(famous, now=now) == priority.score(lonely, now=now)
    score, parts = priority.score(lonely, now=now)
    assert set(parts) == {"urgency", "vulnerable", "people", "hazard", "waiting", "verification"}
    assert score == pytest.approx(sum(parts.values()))
    calm = intake.take_in(session, incident=incident, posts=[post("c", OTHER)],
                          actor=DISPATCHER).requests[("weibo", "c")]  # fmt: skip
    assert priority.score(lonely, now=now)[0] > priority.score(calm, now=now)[0]
    queue = rescue_service.queue(session, incident=incident, now=now)
    assert [r.id for r in queue] == [lonely.id, calm.id]


def test_a_false_report_sinks_and_reported_rescue_is_flagged(
    session: Session, request_of_eight: HelpRequest
) -> None:
    before = priority.score(request_of_eight)[0]
    dispatch.verify(session, request=request_of_eight, method="phone", result="false",
                    actor=VERIFIER)  # fmt: skip
    assert priority.score(request_of_eight)[0] <= before - 60
    assert "false" in priority.flags(request_of_eight)
    assert request_of_eight.state == "new"


def test_being_trapped_with_rising_water_or_the_frail_ranks_higher(
    session: Session, make_incident: Callable[..., Incident]
) -> None:
    incident = make_incident()
    base = "#郑州暴雨互助# 求助！郑州市金水区文化路，我家3人，隔壁老王家2人，"
    texts = {
        "rising": base + "都被困在家里出不去，水位在上升，电话13800005001",
        "frail": base + "都被困在家里，有个80岁的老人，电话13800005002",
        "both": base + "都被困在家里，有个80岁的老人，水涨得很快，电话13800005003",
        "trapped": base + "都被困在家里，电话13800005004",
        "free": base + "家里停电了，电话13800005005",
    }
    done = intake.take_in(session, incident=incident, actor=DISPATCHER,
                          posts=[post(k, v) for k, v in texts.items()])  # fmt: skip
    now = utcnow()
    found = {k: done.requests[("weibo", k)] for k in texts}
    assert {k: r.people_total for k, r in found.items()} == dict.fromkeys(texts, 5)
    hazard = {k: priority.parts(r, now=now)["hazard"] for k, r in found.items()}
    assert hazard["trapped"] == priority.TRAPPED
    assert hazard["free"] == 0
    assert hazard["frail"] == priority.TRAPPED + priority.TRAPPED_AT_RISK
    assert hazard["rising"] == 10 + priority.TRAPPED + priority.TRAPPED_RISING
    assert found["both"].urgency == "critical" and found["rising"].urgency == "urgent"
    scores = {k: priority.score(r, now=now)[0] for k, r in found.items()}
    assert scores["both"] > scores["rising"] > scores["trapped"] > scores["free"]
    assert scores["frail"] > scores["trapped"]
    queue = rescue_service.queue(session, incident=incident, now=now)
    assert queue[0].id == found["both"].id
