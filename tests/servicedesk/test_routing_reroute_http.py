"""Re-routing what waits with no body, over real HTTP (SQLite and PostgreSQL): the queue's
未派单 filter (API and console) shows what waits, the admin re-routes it through the API and
from the console's 无人承办 notice, and no other role sees or reaches the action."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from tests.web.test_console_world import build_console_world, login

from zhengwu.auth import service as auth_service
from zhengwu.servicedesk import service as desk_service
from zhengwu.servicedesk.routing import reroute

from .conftest import World
from .test_routing_fallback_http import NO_PLACE, OWNERLESS, _ok

JINSHUI = "郑州市金水区文化路小区物业乱收费，电梯停运"


def _listed(client: httpx.Client, headers: dict[str, str], **params: str) -> list[str]:
    rows = _ok(client.get("/api/desk/requests", params=params, headers=headers))
    return [row["public_id"] for row in rows]


def test_the_admin_reroutes_what_waits_through_the_api(
    live_server: str, committed_world: World
) -> None:
    w = committed_world
    admin = w.headers("admin")
    with httpx.Client(base_url=live_server, timeout=120) as client:
        pid = _ok(client.post("/api/requests", data={"text": NO_PLACE}), 201)["public_id"]
        routed = _ok(client.post("/api/requests", data={"text": JINSHUI}), 201)
        assert routed["organization_id"] == w.orgs["js_housing"]

        # 未派单: exactly what has no body; false gives the others.
        assert _listed(client, admin, unassigned="true") == [pid]
        others = _listed(client, admin, unassigned="false")
        assert routed["public_id"] in others and pid not in others
        assert _listed(client, w.headers("js_housing"), unassigned="true") == []
        bad = client.get("/api/desk/requests", params={"unassigned": "maybe"}, headers=admin)
        assert bad.status_code == 422

        # Only the admin re-routes; everyone else is refused before anything is read.
        for user in ("office", "js_housing", "police", "dispatcher"):
            refused = client.post("/api/desk/routing/reroute", headers=w.headers(user))
            assert refused.status_code == 403, (user, refused.text)
        assert client.post("/api/desk/routing/reroute").status_code in (401, 403)

        _ok(client.post("/api/desk/routing/rules", headers=admin, params={"note": "12345 兜底"},
                        json=[{"organization_id": w.orgs["hotline"]}]), 201)  # fmt: skip
        planned = _ok(client.post("/api/desk/routing/reroute", params={"dry_run": "true"},
                                  headers=admin))  # fmt: skip
        assert (planned["dry_run"], planned["waiting"], planned["rerouted"]) == (True, 1, 1)
        assert _listed(client, admin, unassigned="true") == [pid]  # nothing written

        done = _ok(client.post("/api/desk/routing/reroute", headers=admin))
        assert (done["dry_run"], done["rerouted"], done["fallbacks"]) == (False, 1, 1)
        assert done["routed"] == [{
            "public_id": pid, "organization_id": w.orgs["hotline"],
            "organization": "郑州市12345政务服务便民热线", "matrix_id": w.matrices["zz"],
            "routing_rule_id": done["routed"][0]["routing_rule_id"], "waiting": "no_rule",
            "fallback": "no_place",
        }]  # fmt: skip
        detail = _ok(client.get(f"/api/desk/requests/{pid}", headers=admin))
        assert detail["organization_id"] == w.orgs["hotline"] and detail["state"] == "received"
        first, again = [h for h in detail["history"] if h["action"] == "route"]
        assert first["reason"] == desk_service.NO_RULE
        assert again["reason"] == reroute.reason("no_rule", "no_place")
        assert again["data"]["rerouted"] == {"waiting": "no_rule", "matrix_id": None}
        assert _listed(client, admin, unassigned="true") == []


ROW = re.compile(r'href="/console/desk/(SR[0-9A-Z]+)"')


def _page(client: httpx.Client, path: str) -> str:
    page = client.get(path, headers={"Accept": "text/html"})
    assert page.status_code == 200, page.text
    return page.text


def _body_of(engine: Engine, public_id: str) -> int | None:
    with Session(engine) as session:
        return desk_service.get_by_public_id(session, public_id).organization_id


@pytest.mark.parametrize("office_user", ["office", "handler", "dispatcher"])
def test_the_console_notice_reroutes_for_the_admin_alone(
    live_server: str, committed_engine: Engine, office_user: str
) -> None:
    auth_service._ip_attempts.clear()
    world = build_console_world(committed_engine, with_index=False)
    with (
        httpx.Client(base_url=live_server, timeout=60) as admin,
        httpx.Client(base_url=live_server, timeout=60) as other,
        httpx.Client(base_url=live_server, timeout=60) as citizen,
    ):
        csrf = login(admin, "admin")
        pid = _ok(citizen.post("/api/requests", data={"text": NO_PLACE}), 201)["public_id"]
        # The queue's 未派单 filter lists it, and only it.
        listed = _page(admin, "/console/desk?unassigned=1")
        assert 'id="f-unassigned" checked' in listed
        assert set(ROW.findall(listed)) == {pid}
        assert "unassigned=true" in listed  # the downloads keep the filter
        # A fallback for the city: the form on the notice can now route what waited.
        added = admin.post("/console/settings/routing/rules", data={
            "csrf_token": csrf, "organization_id": str(world.orgs["hotline"]), "note": "兜底",
        })  # fmt: skip
        assert added.status_code == 303, added.text
        desk = _page(admin, "/console/desk")
        notice = OWNERLESS.search(desk)
        assert notice is not None and notice[1] == "1"
        assert 'id="reroute-form"' in desk and 'action="/console/settings/routing/reroute"' in desk
        routing = _page(admin, "/console/settings/routing")  # the notice, and the form once
        assert OWNERLESS.search(routing) is not None and routing.count('id="reroute-form"') == 1
        assert 'id="reroute"' in routing

        # Nobody else sees the action, nor may post it.
        other_csrf = login(other, office_user)
        for path in ("/console/desk", "/console/settings/routing"):
            page = other.get(path, headers={"Accept": "text/html"})
            assert "reroute" not in page.text, path
        refused = other.post("/console/settings/routing/reroute",
                             data={"csrf_token": other_csrf, "dry_run": "0"})  # fmt: skip
        assert refused.status_code == 403
        assert _body_of(committed_engine, pid) is None

        # The admin checks first (nothing written), then re-routes.
        checked = admin.post("/console/settings/routing/reroute",
                             data={"csrf_token": csrf, "dry_run": "1"})  # fmt: skip
        assert checked.status_code == 200, checked.text
        assert 'id="reroute-dry-run"' in checked.text
        assert re.search(r'id="reroute-rerouted">1<', checked.text)
        assert f'href="/console/desk/{pid}"' in checked.text
        assert _body_of(committed_engine, pid) is None
        done = admin.post("/console/settings/routing/reroute",
                          data={"csrf_token": csrf, "dry_run": "0"})  # fmt: skip
        assert done.status_code == 200, done.text
        assert 'id="reroute-done"' in done.text and "郑州市12345政务服务便民热线" in done.text
        assert _body_of(committed_engine, pid) == world.orgs["hotline"]
        after = _page(admin, "/console/desk")
        assert OWNERLESS.search(after) is None and 'id="reroute-form"' not in after
        assert ROW.findall(_page(admin, "/console/desk?unassigned=1")) == []
