"""The world of the tests of what a matrix office takes in outside its scope: the console test
city, a routing rule that sends every 洛阳 request to 洛阳住建 (another city's body and
queue), and more matrix offices when a test needs them.

Shared by ``test_desk_import_office_scope.py`` (an office's hotline upload),
``test_desk_register_office_scope.py`` (a request it registers by hand) and
``test_desk_merge_outside_scope.py`` (its call merged into 洛阳's request), each of which
builds it in its ``world`` fixture.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from zhengwu.auth import service as auth_service
from zhengwu.auth.models import User
from zhengwu.servicedesk import service as desk_service
from zhengwu.servicedesk.routing import service as routing_service
from zhengwu.servicedesk.routing.models import RoutingRuleCreate

from .test_console_world import PASSWORD, ConsoleWorld, build_console_world

LUOYANG = "410300"


def build_office_scope_world(
    engine: Engine, *, offices: Mapping[str, str] | None = None,
    without_matrix: Sequence[str] = (),
) -> ConsoleWorld:  # fmt: skip
    """Build (committed) the console test city without an index run, with a rule that routes
    every 洛阳 request to 洛阳住建, and:

    - ``offices``: more matrix offices, username → the key of their matrix in the world
      (``{"office_police": "zz_police"}``: an office of 郑州公安's matrix, below 郑州's);
    - ``without_matrix``: matrix offices whose matrix was emptied by hand — the service
      refuses to create such a user, SQL by hand (or an old row) does not.

    Login attempts counted by earlier tests are forgotten first.
    """
    auth_service._ip_attempts.clear()
    world = build_console_world(engine, with_index=False)
    with Session(engine) as session:
        routing_service.add_rules(
            session, actor=desk_service.SYSTEM, note="洛阳",
            rules=[RoutingRuleCreate(category_code=None, adcode=LUOYANG,
                                     organization_id=world.orgs["ly_housing"])],
        )  # fmt: skip
        made = {**(offices or {}), **dict.fromkeys(without_matrix, "zz")}
        for username, matrix in made.items():
            auth_service.create_user(
                session, username=username, password=PASSWORD, role="matrix_office",
                matrix_id=world.matrices[matrix],
            )  # fmt: skip
        if without_matrix:
            session.execute(
                update(User).where(User.username.in_(without_matrix)).values(matrix_id=None)
            )
        session.commit()
    return world
