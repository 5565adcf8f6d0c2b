"""The stored priority (migration 0025): the queue read from the indexes is ordered exactly
as :func:`zhengwu.rescue.service.rank` orders in Python, at any moment and across the
24-hour boundary, and every kind of write keeps the stored columns up to date."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhengwu.rescue import corrections, dispatch, followup, intake, listing, priority
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.demo import simulate_requests
from zhengwu.rescue.models import HelpRequest, HelpSource, Incident, Team
from zhengwu.rescue.schemas import HelpSubmission, RequestEdit

from .conftest import DISPATCHER, ORIGINAL, OTHER, VERIFIER, post

NOW = datetime(2021, 7, 22, 12, 0, tzinfo=UTC)


def _stored(session: Session, request_id: int) -> tuple[int, int]:
    row = session.execute(
        select(HelpRequest.priority_base, HelpRequest.priority_fresh)
        .where(HelpRequest.id == request_id)
    ).one()  # fmt: skip
    return int(row[0]), int(row[1])


def _check(session: Session, request: HelpRequest) -> tuple[int, int]:
    """Flush, then return the stored columns as the database has them, checked against the
    Python score of the request as it now stands."""
    session.flush()
    found = _stored(session, request.id)
    assert found == priority.stored(request)
    return found


@pytest.fixture
def mixed(session: Session, make_incident, make_team) -> Incident:  # type: ignore[no-untyped-def]
    """300 simulated requests, their times moved to odd seconds around every boundary: a
    mark, 24 hours back, and ahead of the clock (a stated time in the future)."""
    incident = make_incident()
    teams = [make_team("甲队"), make_team("乙队")]
    ids = simulate_requests(session, incident_id=incident.id, count=300, now=NOW,
                            team_ids=[t.id for t in teams], seed=11)  # fmt: skip
    rng = random.Random(5)
    edges = [timedelta(0), timedelta(seconds=-1), timedelta(seconds=1), timedelta(hours=24),
             timedelta(hours=24, seconds=-1), timedelta(hours=24, seconds=1),
             timedelta(hours=24, minutes=6), timedelta(minutes=-6), timedelta(minutes=-7)]  # fmt: skip
    for request in session.scalars(select(HelpRequest).where(HelpRequest.id.in_(ids))):
        if rng.random() < 0.5:  # through the ORM: the flush must recompute priority_fresh
            moment = NOW - rng.choice(edges) if rng.random() < 0.3 else (
                NOW - timedelta(seconds=rng.randrange(-3600, 50 * 3600)))  # fmt: skip
            request.reported_at = moment
    session.flush()
    session.expire_all()
    return incident


@pytest.mark.parametrize("later", [timedelta(0), timedelta(minutes=3), timedelta(minutes=6),
                                   timedelta(hours=7, seconds=17), timedelta(hours=30)])  # fmt: skip
def test_pages_from_the_indexes_follow_the_python_rank(
    session: Session, mixed: Incident, later: timedelta
) -> None:
    now = NOW + later
    every = rescue_service.requests_of(session, incident=mixed)
    assert any(r.reported_at > now for r in every) or later  # a future one at NOW
    for filters in (listing.Filters(), listing.Filters(states=()),
                    listing.Filters(urgency="critical"), listing.Filters(states=("new",))):  # fmt: skip
        wanted = [r for r in every if (not filters.states or r.state in filters.states)
                  and (filters.urgency is None or r.urgency == filters.urgency)]  # fmt: skip
        ranked = [r.id for r in rescue_service.rank(wanted, now=now)]
        ids: list[int] = []
        for offset in range(0, len(wanted), 23):
            found = listing.page(session, incident=mixed, filters=filters, offset=offset,
                                 limit=23, now=now)  # fmt: skip
            assert found.total == len(wanted)
            ids += [r.id for r in found.items]
        assert ids == ranked
        scores = [priority.score(r, now=now)[0] for r in rescue_service.rank(wanted, now=now)]
        assert scores == sorted(scores, reverse=True)


def test_the_score_crosses_24_hours_and_the_old_round_order_is_kept(session: Session) -> None:
    """Waiting counts marks of the clock, at most 240: within 0.1 of the hours rounded."""
    for seconds in (0, 1, 359, 360, 3599, 3600, 5 * 3600 + 17, 24 * 3600 - 1, 24 * 3600,
                    30 * 3600):  # fmt: skip
        reported = NOW - timedelta(seconds=seconds)
        waited = priority.marks_waited(reported, NOW) / 10
        assert abs(waited - round(min(seconds / 3600, 24), 1)) <= 0.1 + 1e-9
    assert priority.marks_waited(NOW + timedelta(hours=1), NOW) == 0
    assert priority.marks_waited(NOW - timedelta(days=5), NOW) == 240


def test_every_kind_of_write_keeps_the_stored_priority(
    session: Session, make_incident: Callable[..., Incident], make_team: Callable[..., Team]
) -> None:
    incident, team = make_incident(), make_team()
    done = intake.take_in(session, incident=incident, posts=[post("1", ORIGINAL), post("2", OTHER, 4)],
                          actor=DISPATCHER)  # fmt: skip
    request = rescue_service.get_request(session, request_id=done.requests[("weibo", "1")].id)
    other = rescue_service.get_request(session, request_id=done.requests[("weibo", "2")].id)
    seen = [_check(session, request), _check(session, other)]  # intake
    assert seen[0][0] > 0

    def changed(r: HelpRequest) -> None:
        found = _check(session, r)
        assert found != seen[-1], "the write changed an input of the score"
        seen.append(found)

    corrections.edit_request(session, request=request, actor=DISPATCHER, data=RequestEdit(
        urgency="normal", vulnerabilities=[], needs=[], hazard="", reason="电话核实"))  # fmt: skip
    changed(request)  # edit (triage by hand)
    dispatch.verify(session, request=request, method="phone", result="confirmed", actor=VERIFIER)
    changed(request)  # verification
    dispatch.correct_people(session, request=request, people_total=2, actor=DISPATCHER,
                            reason="电话核实共2人")  # fmt: skip
    changed(request)  # people corrected
    dispatch.assign(session, request=request, team=team, actor=DISPATCHER)
    dispatch.fulfil(session, request=request, people=1, outcome="rescued", actor=DISPATCHER)
    changed(request)  # people helped
    followup.add_update(session, request=request, data=followup.FollowupUpdateIn(
        token="x", text="又来了邻居，现在共9人，有孕妇", people=9))  # fmt: skip
    changed(request)  # a citizen's update re-triages
    corrections.merge_requests(session, survivor=request, other=other, actor=DISPATCHER,
                               reason="同一户", people_total=12)  # fmt: skip
    changed(request)  # merge
    _check(session, other)
    source = session.scalars(select(HelpSource).where(HelpSource.request_id == request.id,
                                                      HelpSource.post_id == "2")).one()  # fmt: skip
    split = intake.unmerge(session, source=source, actor=DISPATCHER, reason="不是同一户")
    _check(session, split)  # split: the new request is scored
    _check(session, request)
    submitted = intake.submit(session, incident=incident, actor=DISPATCHER, data=HelpSubmission(
        text="郑州市金水区花园路5号，家里3个老人被困，水涨得很快", phone="13912345678"))  # fmt: skip
    _check(session, submitted)  # the help form
    dispatch.resolve(session, request=submitted, outcome="no_longer_needed", actor=DISPATCHER)
    _check(session, submitted)  # closing


def test_open_states_queue_uses_no_python_score(session: Session, mixed: Incident) -> None:
    """The SQL of a page names the stored columns and none of the score's inputs."""
    query = listing.ordered_ids(session, incident=mixed, filters=listing.Filters(), now=NOW,
                                first=100)  # fmt: skip
    sql = str(query.compile(session.get_bind()))
    assert "priority_base" in sql and "priority_fresh" in sql
    assert "vulnerabilities" not in sql and "urgency_reasons" not in sql
