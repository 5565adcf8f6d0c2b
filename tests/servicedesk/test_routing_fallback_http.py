"""A fallback body over real HTTP (SQLite and PostgreSQL): a citizen's form request with no
place lands in the 12345 centre's queue, says why, counts in its rates, and the centre
dispatches it (转办) with the deadlines still running from receipt."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from tests.web.test_console_world import build_console_world, login

from zhengwu.auth import service as auth_service
from zhengwu.auth.models import User
from zhengwu.chinatime import CHINA
from zhengwu.servicedesk.routing import fallback
from zhengwu.servicedesk.routing import service as routing_service
from zhengwu.servicedesk.routing.models import RoutingRuleCreate
from zhengwu.servicedesk.service import SYSTEM

from .conftest import World

NO_PLACE = "公司一直没给我们交社保，离职时才发现断缴了8年，电话13912340000"


def _hotline_handler(engine: Engine, world: World) -> dict[str, str]:
    """Return the Authorization header of a handler of the 12345 centre."""
    with Session(engine) as session:
        user = User(username="u_hotline", display_name="热线派单员", password_hash="-",
                    role="handler", organization_id=world.orgs["hotline"])  # fmt: skip
        session.add(user)
        session.flush()
        token = auth_service.create_token(session, user, "test")
        session.commit()
    return {"Authorization": f"Bearer {token}"}


def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def test_a_form_request_with_no_place_lands_in_the_fallback_bodys_queue(
    live_server: str, committed_world: World, committed_engine: Engine
) -> None:
    w = committed_world
    hotline = _hotline_handler(committed_engine, w)
    with httpx.Client(base_url=live_server, timeout=120) as client:
        # No fallback yet: the request waits unassigned, on no body's queue.
        before = _ok(client.post("/api/requests", data={"text": NO_PLACE + "（第一次）"}), 201)
        assert before["organization_id"] is None
        assert _ok(client.get("/api/desk/requests", headers=hotline)) == []

        # The admin names the centre as the city-wide fallback (no category, no division).
        added = _ok(client.post("/api/desk/routing/rules", headers=w.headers("admin"),
                                params={"note": "12345 兜底"},
                                json=[{"organization_id": w.orgs["hotline"]}]), 201)  # fmt: skip
        assert [(r["adcode"], r["category_code"], r["fallback"]) for r in added] == [
            (None, None, True)
        ]
        listed = _ok(client.get("/api/desk/routing/rules", headers=w.headers("admin")))
        flags = {(r["adcode"], r["category_code"]): r["fallback"] for r in listed}
        assert flags[(None, None)] is True and flags[("410105", "01")] is False

        # The citizen's form: no address, no body named.
        receipt = _ok(client.post("/api/requests", data={"text": NO_PLACE}), 201)
        pid = receipt["public_id"]
        assert receipt["organization_id"] == w.orgs["hotline"]

        # The centre's handlers see it in their queue, and why it came to them.
        queue = _ok(client.get("/api/desk/requests", headers=hotline))
        assert [q["public_id"] for q in queue] == [pid]
        detail = _ok(client.get(f"/api/desk/requests/{pid}", headers=hotline))
        assert detail["masked"] is False and detail["adcode"] is None
        (route,) = [h for h in detail["history"] if h["action"] == "route"]
        assert route["reason"] == fallback.reason("no_place")
        assert route["data"]["fallback"] == "no_place"
        assert {"accept", "transfer"} <= set(detail["allowed_actions"])

        # Counted in the centre's rates, as any request of its own.
        received = datetime.fromisoformat(detail["received_at"]).astimezone(CHINA)
        period = f"{received:%Y-%m}"
        (row,) = _ok(client.get("/api/desk/rates", params={"period": period}, headers=hotline))
        assert (row["key"], row["n"], row["responded"]) == (str(w.orgs["hotline"]), 1, 0)

        # The centre dispatches it by hand (转办) to the body that handles it.
        moved = _ok(client.post(f"/api/desk/requests/{pid}/transfer", headers=hotline, json={
            "organization_id": w.orgs["city_housing"], "reason": "社保断缴：转市人社部门办理",
        }))  # fmt: skip
        assert moved["organization_id"] == w.orgs["city_housing"]
        # The clock runs from receipt: handing over moves no deadline.
        assert (moved["response_due"], moved["resolve_due"]) == (
            detail["response_due"],
            detail["resolve_due"],
        )
        assert moved["received_at"] == detail["received_at"]
        taken = _ok(client.get("/api/desk/requests", headers=w.headers("city_housing")))
        assert pid in [q["public_id"] for q in taken]
        assert _ok(client.get("/api/desk/requests", headers=hotline)) == []

        # What came in before the fallback still waits unassigned for the admin: nothing
        # disappears, and nothing is re-routed behind anyone's back.
        waiting = _ok(client.get(f"/api/desk/requests/{before['public_id']}",
                                 headers=w.headers("admin")))  # fmt: skip
        assert waiting["organization_id"] is None and waiting["state"] == "received"


OWNERLESS = re.compile(r'id="ownerless-notice">无人承办：(\d+) 件诉求')


def _ownerless(client: httpx.Client, path: str) -> tuple[int, bool] | None:
    """Return the notice's count and whether it asks for a fallback, or None without it."""
    page = client.get(path, headers={"Accept": "text/html"})
    assert page.status_code == 200, page.text
    found = OWNERLESS.search(page.text)
    if found is None:
        assert "ownerless-notice" not in page.text
        return None
    assert "only the admin sees them" in page.text
    return int(found[1]), "zhengwu desk routing fallback --org" in page.text


def test_the_console_shows_what_is_left_with_no_body_and_tags_the_fallback(
    live_server: str, committed_engine: Engine
) -> None:
    auth_service._ip_attempts.clear()
    world = build_console_world(committed_engine, with_index=False)
    with (
        httpx.Client(base_url=live_server, timeout=60) as client,
        httpx.Client(base_url=live_server, timeout=60) as citizen,
    ):
        login(client, "admin")
        assert _ownerless(client, "/console/desk") is None
        # No place, no rule, no fallback: on no one's queue but the admin's.
        first = _ok(citizen.post("/api/requests", data={"text": NO_PLACE}), 201)
        assert first["organization_id"] is None
        assert _ownerless(client, "/console/desk") == (1, True)
        assert _ownerless(client, "/console/settings/routing") == (1, True)
        with Session(committed_engine) as session:
            rule = RoutingRuleCreate(organization_id=world.orgs["hotline"])
            (added,) = routing_service.add_rules(session, rules=[rule], actor=SYSTEM)
            added_id = added.id
            session.commit()
        # The next one goes to the centre; the one before still waits, and is still counted.
        second = _ok(citizen.post("/api/requests", data={"text": NO_PLACE + "，又来反映"}), 201)
        assert second["organization_id"] == world.orgs["hotline"]
        assert _ownerless(client, "/console/desk") == (1, False)
        page = client.get("/console/settings/routing").text
        row = re.search(rf'<tr id="rule-{added_id}">.*?</tr>', page, re.S)
        assert row is not None and "兜底" in row[0] and "任意分类" in row[0]
        assert 'id="fallback-help"' in page
        others = re.findall(r'<tr id="rule-(\d+)">(.*?)</tr>', page, re.S)
        assert any("兜底" not in cells for _, cells in others)  # the specific rules
    with httpx.Client(base_url=live_server, timeout=60) as office:
        login(office, "office")  # reads no request on no matrix: no notice of them
        assert _ownerless(office, "/console/desk") is None
