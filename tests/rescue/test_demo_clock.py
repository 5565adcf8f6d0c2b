"""After ``zhengwu demo``, a coordinator's verification, dispatch and closing of the demo's
requests in the console are stamped on the demo's running clock (the period's end plus
the real time since the demo made its data), not on today's: the board's 求助→核实 is the
minutes after the simulated reports, not months. An incident created live, and any
incident on real data, stays on the real clock (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import orjson
from sqlalchemy.orm import Session

from zhengwu.auth.principal import PUBLIC
from zhengwu.config import get_settings
from zhengwu.db.base import utcnow
from zhengwu.rescue import clock, dispatch, intake, priority
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.board import board
from zhengwu.rescue.merge import HelpPostIn
from zhengwu.rescue.models import Incident, Team
from zhengwu.rescue.schemas import IncidentCreate

from .conftest import DISPATCHER, ORIGINAL, OTHER

# The demo's period: 2025-07-01 to 2025-07-05; it ends at 00:00 China time on the 6th.
PERIOD_END = datetime(2025, 7, 5, 16, tzinfo=UTC)


def _write_truth() -> None:
    """Write the demo's truth.json (its period and city: the demo's incident is 演示暴雨)."""
    truth = get_settings().data_dir / "demo-input" / "truth.json"
    truth.parent.mkdir(parents=True, exist_ok=True)
    truth.write_bytes(orjson.dumps({"window": {"start": "2025-07-01", "end": "2025-07-06"},
                                    "event": {"city_name": "演示市"}}))  # fmt: skip


def _post(post_id: str, text: str, at: datetime) -> HelpPostIn:
    return HelpPostIn(platform="weibo", post_id=post_id, text=text, posted_at=at)


def _demo_incident(session: Session, name: str = "演示暴雨") -> Incident:
    """An incident made as the demo makes it: created at the period's start, its post
    taken in at its own hour (an hour before the period's end)."""
    starts = datetime(2025, 6, 30, 16, tzinfo=UTC)
    incident = rescue_service.create_incident(session, data=IncidentCreate.model_validate(
        {"name": name, "type": "flood", "regions": ["410100"], "hashtags": ["#郑州暴雨互助#"],
         "keywords": ["求助"], "starts_at": starts}), actor=DISPATCHER, now=starts)  # fmt: skip
    reported = PERIOD_END - timedelta(hours=1)
    intake.take_in(session, incident=incident, actor=DISPATCHER, now=reported,
                   posts=[_post("1", ORIGINAL, reported)])  # fmt: skip
    return incident


def _handle(session: Session, incident: Incident, team: Team) -> None:
    """Verify, dispatch and close the incident's one request, as in the console."""
    [request] = rescue_service.requests_of(session, incident=incident)
    dispatch.verify(session, request=request, method="phone", result="confirmed",
                    actor=DISPATCHER)  # fmt: skip
    dispatch.assign(session, request=request, team=team, actor=DISPATCHER)
    dispatch.resolve(session, request=request, outcome="rescued", actor=DISPATCHER,
                     people_helped=8)  # fmt: skip
    session.flush()


def test_the_demo_incident_s_manual_actions_run_on_the_demo_s_clock(
    session: Session, make_incident: Callable[..., Incident], make_team: Callable[..., Team]
) -> None:
    _write_truth()
    team = make_team()
    demo = _demo_incident(session)
    _handle(session, demo, team)
    [request] = rescue_service.requests_of(session, incident=demo)
    stamps = (request.first_verified_at, request.dispatched_at, request.resolved_at)
    assert all(s is not None and PERIOD_END <= s < PERIOD_END + timedelta(hours=1)
               for s in stamps), stamps  # fmt: skip
    step = board(session, incident=demo, principal=PUBLIC).response_times
    median = step["reported_to_verified"].median_minutes
    assert median is not None and 60 <= median < 120  # an hour and minutes, not months

    # Verified just now on the demo's clock, a request is not due for re-verification: the
    # queue and the board judge it on the same clock (not today's, 16 months on).
    intake.take_in(session, incident=demo, now=PERIOD_END - timedelta(hours=2),
                   posts=[_post("3", OTHER, PERIOD_END - timedelta(hours=2))],
                   actor=DISPATCHER)  # fmt: skip
    waiting = next(r for r in rescue_service.requests_of(session, incident=demo)
                   if r.id != request.id)  # fmt: skip
    dispatch.verify(session, request=waiting, method="phone", result="confirmed",
                    actor=DISPATCHER)  # fmt: skip
    session.flush()
    assert "stale" not in priority.flags(waiting)
    queue = rescue_service.queue(session, incident=demo)
    assert [r.id for r in queue] == [waiting.id]
    [shown] = board(session, incident=demo, principal=PUBLIC).requests
    assert "stale" not in shown.flags and shown.priority.parts["waiting"] < 24

    # An incident created live on the demo's data acts on the real clock.
    live = make_incident()
    intake.take_in(session, incident=live, posts=[_post("2", OTHER, utcnow())],
                   actor=DISPATCHER)  # fmt: skip
    _handle(session, live, make_team("消防救援队"))
    [other] = rescue_service.requests_of(session, incident=live)
    assert other.first_verified_at is not None
    assert abs(other.first_verified_at - utcnow()) < timedelta(minutes=5)


def test_on_real_data_every_incident_acts_on_the_real_clock(
    session: Session, make_team: Callable[..., Team]
) -> None:
    """No demo-input/truth.json: the incident made with simulated times is real data all
    the same (an operator's history), and its actions carry today's time."""
    demo = _demo_incident(session)
    _handle(session, demo, make_team())
    [request] = rescue_service.requests_of(session, incident=demo)
    assert request.first_verified_at is not None
    assert abs(request.first_verified_at - utcnow()) < timedelta(minutes=5)
    assert abs(clock.now(session, demo.id) - utcnow()) < timedelta(minutes=5)


def test_real_history_on_the_demo_s_data_keeps_the_real_clock(
    session: Session, make_team: Callable[..., Team]
) -> None:
    """``zhengwu demo`` run into a data directory that already held real incidents: one
    created before the demo's period ended (an operator's history, not the demo's
    incident, which is named after the simulated city) acts on the real clock."""
    _write_truth()
    real = _demo_incident(session, name="去年的内涝")
    _handle(session, real, make_team())
    [request] = rescue_service.requests_of(session, incident=real)
    assert request.first_verified_at is not None
    assert abs(request.first_verified_at - utcnow()) < timedelta(minutes=5)
    assert abs(clock.now(session, real.id) - utcnow()) < timedelta(minutes=5)
    demo = _demo_incident(session)
    assert PERIOD_END <= clock.now(session, demo.id) < PERIOD_END + timedelta(hours=1)


def test_the_demo_s_clock_is_read_from_the_database_without_truth_json(
    session: Session, make_incident: Callable[..., Incident], make_team: Callable[..., Team]
) -> None:
    """The demo stores its incident's clock: read from there, the clock goes on when
    ``truth.json`` is gone (a run that crashed after deleting it), and only that incident's."""
    demo = _demo_incident(session)
    made = utcnow() - timedelta(hours=2)
    clock.start_demo_clock(demo, period_end=PERIOD_END, made=made)
    clock.start_demo_clock(demo, period_end=PERIOD_END, made=utcnow())  # a clock is kept
    assert demo.demo_clock_from == made
    session.flush()
    assert not (get_settings().data_dir / "demo-input" / "truth.json").exists()
    _handle(session, demo, make_team())
    [request] = rescue_service.requests_of(session, incident=demo)
    hours = PERIOD_END + timedelta(hours=2)
    assert request.first_verified_at is not None
    assert hours <= request.first_verified_at < hours + timedelta(minutes=5)
    live = make_incident()  # another incident: the real clock
    # One created live (after the period) is never put on the demo's clock.
    clock.start_demo_clock(live, period_end=PERIOD_END, made=made)
    assert live.demo_clock_from is None
    assert abs(clock.now(session, live.id) - utcnow()) < timedelta(minutes=5)
