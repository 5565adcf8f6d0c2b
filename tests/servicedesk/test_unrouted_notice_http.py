"""Requests taken in while no routing rule exists: the server logs it once, and the console
tells the desk's overseers how many wait unrouted (a real server, real Open311 POSTs)."""

from __future__ import annotations

import logging
import re

import httpx
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from tests.web.test_console_world import build_console_world, login

from zhengwu.auth import service as auth_service
from zhengwu.servicedesk import service as desk_service
from zhengwu.servicedesk.models import ServiceRequest
from zhengwu.servicedesk.open311 import keys
from zhengwu.servicedesk.routing import service as routing_service
from zhengwu.servicedesk.routing.models import RoutingRuleCreate

HTML = {"Accept": "text/html"}
LOGGER = "zhengwu.servicedesk.routing.service"
NOTICE = re.compile(r'id="no-rules-notice">没有路由规则：(\d+) 件诉求正在等待派单')


def _notice(client: httpx.Client, path: str) -> int | None:
    page = client.get(path)
    assert page.status_code == 200, page.text
    found = NOTICE.search(page.text)
    if found is None:
        assert "no-rules-notice" not in page.text
        return None
    assert "zhengwu desk routing derive" in found.string  # the fix is named
    assert "No routing rules" in page.text
    return int(found[1])


def _post(client: httpx.Client, key: str, description: str) -> str:
    form = {"api_key": key, "service_code": "0103", "lat": "34.8004", "long": "113.6606",
            "description": description}  # fmt: skip
    response = client.post("/open311/v2/requests.json", data=form)
    assert response.status_code == 200, response.text
    return str(response.json()[0]["service_request_id"])


def test_open311_without_rules_is_logged_once_and_shown_in_the_console(
    live_server: str, committed_engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    auth_service._ip_attempts.clear()
    world = build_console_world(committed_engine, with_index=False)
    with Session(committed_engine) as session:
        _, key = keys.create_key(session, name="市民通")
        session.commit()
    with httpx.Client(base_url=live_server, timeout=60, headers=HTML) as office:
        login(office, "office")
        assert _notice(office, "/console/desk") is None  # rules exist: nothing to say
        with Session(committed_engine) as session:
            for rule in routing_service.active_rules(session):
                routing_service.retire(session, rule=rule, actor=desk_service.SYSTEM)
            session.commit()
        before = _notice(office, "/console/desk") or 0
        with caplog.at_level(logging.WARNING, logger=LOGGER):
            ids = [
                _post(office, key, "金水区花园路路灯不亮已经一周了"),
                _post(office, key, "金水区文化路人行道地砖松动"),
            ]
        warnings = [r for r in caplog.records if r.name == LOGGER]
        assert len(warnings) == 1  # once per process, not once per request
        message = warnings[0].getMessage()
        assert routing_service.NO_RULES_WARNING in message and "open311" in message
        with Session(committed_engine) as session:
            found = session.scalars(
                select(ServiceRequest).where(ServiceRequest.public_id.in_(ids))
            ).all()
            assert [r.organization_id for r in found] == [None, None]
        assert _notice(office, "/console/desk") == before + 2
        assert _notice(office, "/console/settings/routing") == before + 2
    with httpx.Client(base_url=live_server, timeout=60, headers=HTML) as admin:
        login(admin, "admin")
        assert _notice(admin, "/console/desk") == before + 2
    with httpx.Client(base_url=live_server, timeout=60, headers=HTML) as handler:
        login(handler, "handler")  # a body's handler does not dispatch: no notice
        assert _notice(handler, "/console/desk") is None
    # A rule again: the notice goes, though the two requests still wait for a hand.
    with Session(committed_engine) as session:
        rule = RoutingRuleCreate(category_code="01", adcode="410105",
                                 organization_id=world.orgs["js_housing"])  # fmt: skip
        routing_service.add_rules(session, rules=[rule], actor=desk_service.SYSTEM)
        session.commit()
    with httpx.Client(base_url=live_server, timeout=60, headers=HTML) as office:
        login(office, "office")
        assert _notice(office, "/console/desk") is None
        assert _notice(office, "/console/settings/routing") is None
    # Retired again: adding rules re-armed the log, so the next request is logged once more.
    with Session(committed_engine) as session:
        for active in routing_service.active_rules(session):
            routing_service.retire(session, rule=active, actor=desk_service.SYSTEM)
        session.commit()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger=LOGGER), httpx.Client(base_url=live_server) as c:
        _post(c, key, "金水区花园路井盖缺失")
        _post(c, key, "金水区花园路井盖又松了")
    assert len([r for r in caplog.records if r.name == LOGGER]) == 1
