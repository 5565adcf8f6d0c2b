"""The demo's logins: the handler and the operator belong to the body with the most work."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhengwu.auth import service as auth_service
from zhengwu.auth.demo import create_demo_users
from zhengwu.auth.models import User
from zhengwu.servicedesk.access import readable_requests
from zhengwu.servicedesk.csvimport import import_csv
from zhengwu.servicedesk.demo import replay_events
from zhengwu.servicedesk.models import ServiceRequest
from zhengwu.servicedesk.posts import intake_from_posts
from zhengwu.servicedesk.service import SYSTEM
from zhengwu.servicedesk.workflow import OPEN_STATES

from .conftest import World
from .test_simulated_stream import simulated_stream


def test_handler_and_operator_get_the_body_with_the_most_open_requests(
    session: Session, world: World, tmp_path: Path
) -> None:
    # A small simulated city's requests through the real intake, routed, half handled.
    _, paths, con = simulated_stream(session, tmp_path)
    intake_from_posts(session, con, since=datetime(2025, 6, 30, tzinfo=UTC), actor=SYSTEM)
    import_csv(session, paths["12345-requests.csv"], actor=SYSTEM, source="12345")
    replay_events(session, paths["handling-events.json"], now=datetime(2025, 7, 4, tzinfo=UTC))
    open_by_org = dict(
        session.execute(
            select(ServiceRequest.organization_id, func.count())
            .where(ServiceRequest.state.in_(OPEN_STATES))
            .where(ServiceRequest.organization_id.is_not(None))
            .group_by(ServiceRequest.organization_id)
        ).all()
    )
    assert open_by_org, "the simulated city routes open requests to its bodies"
    police = world.orgs["police"]
    busiest = max(open_by_org, key=lambda o: (open_by_org[o], -o))
    assert busiest != police  # the first 公安 body, chosen before, gets few or none

    create_demo_users(session, con, {})
    for username in ("handler", "operator"):
        user = session.scalar(select(User).where(User.username == username))
        assert user is not None
        assert user.organization_id == busiest
        desk = readable_requests(auth_service.principal_of(user)).where(
            ServiceRequest.state.in_(OPEN_STATES)
        )
        assert len(session.scalars(desk).all()) == open_by_org[busiest]
    con.close()
