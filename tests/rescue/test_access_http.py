"""One access rule, checked per role over HTTP: who sees phones, names and addresses."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from zhengwu.rescue import dispatch, intake
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.schemas import IncidentCreate, TeamCreate

from .conftest import DISPATCHER, ORIGINAL, OTHER, START, make_users, post

FULL = {"admin", "dispatcher", "verifier", "team"}
ROLES = ("admin", "dispatcher", "verifier", "team", "other_team", "public")


@pytest.fixture
def world(live_server: str, committed_engine: Engine) -> tuple[str, dict[str, str], int, int, int]:
    """Two requests, the first assigned to the team user's team; tokens per role."""
    with Session(committed_engine) as session:
        incident = rescue_service.create_incident(session, data=IncidentCreate(
            name="权限测试", regions=["410100"], starts_at=START), actor=DISPATCHER)  # fmt: skip
        team = rescue_service.create_team(session, data=TeamCreate(name="A队"), actor=DISPATCHER)
        done = intake.take_in(session, incident=incident, actor=DISPATCHER,
                              posts=[post("1", ORIGINAL), post("2", OTHER)])  # fmt: skip
        assigned = rescue_service.get_request(session, request_id=done.requests[("weibo", "1")].id)
        dispatch.assign(session, request=assigned, team=team, actor=DISPATCHER)
        ids = (incident.id, assigned.id, done.requests[("weibo", "2")].id, team.id)
        session.commit()
    tokens = make_users(committed_engine, team_id=ids[3])
    return live_server, tokens, ids[0], ids[1], ids[2]


def _get(base: str, path: str, token: str | None) -> httpx.Response:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    return httpx.get(base + path, headers=headers, timeout=60)


def test_request_detail_per_role(world: tuple[str, dict[str, str], int, int, int]) -> None:
    base, tokens, _, assigned, _ = world
    for role in ROLES:
        reply = _get(base, f"/api/rescue/requests/{assigned}", tokens.get(role))
        if role == "other_team":  # another team's member opens none of it
            assert reply.status_code == 403
            assert "13800001111" not in reply.text and "张建国" not in reply.text
            continue
        body = reply.json()
        if role in FULL:
            assert body["masked"] is False, role
            assert body["phones"] == ["13800001111"]
            assert body["name"] == "张建国"
            assert "32号院" in body["address"]
            assert body["sources"][0]["url"]
            continue
        assert body["masked"] is True, role
        assert body["phones"] == ["138****1111"]
        assert body["name"] == "张*"
        assert "32号院" not in (body["address"] or "")
        assert "13800001111" not in body["text"]
        assert "32号院" not in body["text"]
        assert body["adcode"] == "410105"
        assert body["sources"][0]["url"] is None


def test_queue_and_export_per_role(world: tuple[str, dict[str, str], int, int, int]) -> None:
    base, tokens, incident, _, _ = world
    queue = {"dispatcher": 200, "verifier": 200, "team": 200, "other_team": 200, "public": 403}
    for role, status in queue.items():
        reply = _get(base, f"/api/rescue/incidents/{incident}/queue", tokens.get(role))
        assert reply.status_code == status, role
    team_items = _get(base, f"/api/rescue/incidents/{incident}/queue", tokens["team"]).json()
    assert [item["masked"] for item in team_items["items"]] == [False]  # its own team's only
    export = {"dispatcher": 200, "admin": 200, "verifier": 403, "team": 403, "public": 403}
    for role, status in export.items():
        reply = _get(base, f"/api/rescue/incidents/{incident}/export.csv", tokens.get(role))
        assert reply.status_code == status, role
        if status == 200:
            assert reply.text.lstrip("\ufeff").startswith("序号,求助编号,时间,姓名,地址")
            assert "13800001111" in reply.text


def test_queue_of_a_team_member_is_their_teams_only(
    world: tuple[str, dict[str, str], int, int, int], committed_engine: Engine
) -> None:
    """The JSON queue forces a team member's own team, as the console does; another
    team's id is a 403; other roles still filter by any team."""
    base, tokens, incident, assigned, unassigned = world
    queue = f"/api/rescue/incidents/{incident}/queue"
    with Session(committed_engine) as session:
        own_team = rescue_service.get_request(session, request_id=assigned).team_id
    for asked in ("", f"?team_id={own_team}", "?state=new&state=verified&state=dispatched"):
        body = _get(base, queue + asked, tokens["team"]).json()
        assert (body["total"], [i["id"] for i in body["items"]]) == (1, [assigned]), asked
    other = _get(base, f"{queue}?team_id={own_team + 1}", tokens["team"])
    assert other.status_code == 403
    assert other.json()["message_zh"] == "救援队成员只能查看本队的求助"
    # A member of a team nothing is dispatched to sees an empty queue, not the incident's.
    body = _get(base, queue, tokens["other_team"]).json()
    assert (body["total"], body["items"]) == (0, [])
    assert "13900002222" not in str(body)
    for role in ("dispatcher", "verifier"):
        everything = _get(base, queue, tokens[role]).json()
        assert {i["id"] for i in everything["items"]} == {assigned, unassigned}, role
        by_team = _get(base, f"{queue}?team_id={own_team}", tokens[role]).json()
        assert [i["id"] for i in by_team["items"]] == [assigned], role


def test_team_cannot_open_others_and_public_cannot_act(
    world: tuple[str, dict[str, str], int, int, int],
) -> None:
    """A team member opens only their team's requests, as their queue lists them (403,
    showing nothing of it; see test_team_scope_http); the public sees it masked."""
    base, tokens, _, _, unassigned = world
    team_view = _get(base, f"/api/rescue/requests/{unassigned}", tokens["team"])
    assert team_view.status_code == 403
    assert team_view.json()["message_zh"] == "救援队成员只能查看本队的求助"
    assert "13900002222" not in team_view.text
    actions = (
        (
            f"/api/rescue/requests/{unassigned}/verifications",
            {"method": "phone", "result": "confirmed"},
        ),
        (f"/api/rescue/requests/{unassigned}/resolve", {"outcome": "rescued"}),
    )
    for path, payload in actions:
        assert httpx.post(base + path, json=payload, timeout=60).status_code == 403
        other = httpx.post(base + path, json=payload, timeout=60,
                           headers={"authorization": f"Bearer {tokens['other_team']}"})  # fmt: skip
        assert other.status_code == 403


def test_team_contacts_are_masked_but_for_dispatch_and_the_team(
    world: tuple[str, dict[str, str], int, int, int], committed_engine: Engine
) -> None:
    base, tokens, *_ = world
    with Session(committed_engine) as session:
        rescue_service.create_team(session, data=TeamCreate(
            name="B队", contact_name="李卫东", contact_phone="13911112222"), actor=DISPATCHER)  # fmt: skip
        session.commit()
    seen = {}
    for role in ROLES:
        response = _get(base, "/api/rescue/teams", tokens.get(role))
        if role == "public":
            assert response.status_code == 403
            continue
        assert response.status_code == 200, (role, response.text)
        seen[role] = next(t for t in response.json() if t["name"] == "B队")
    for role in ("admin", "dispatcher"):
        assert (seen[role]["contact_name"], seen[role]["contact_phone"]) == (
            "李卫东",
            "13911112222",
        )
    for role in ("verifier", "team", "other_team"):  # "team" is A队's member, not B队's
        assert seen[role]["contact_phone"] == "139****2222", role
        assert seen[role]["contact_name"] == "李*", role


def test_unknown_states_are_422_not_an_empty_list(
    world: tuple[str, dict[str, str], int, int, int],
) -> None:
    base, tokens, incident, _, _ = world
    assert _get(base, "/api/rescue/incidents?status=active", None).status_code == 200
    bad_status = _get(base, "/api/rescue/incidents?status=open", None)
    assert bad_status.status_code == 422
    assert "valid values: active, closed" in bad_status.json()["message_en"]
    queue = f"/api/rescue/incidents/{incident}/queue"
    assert _get(base, f"{queue}?state=new", tokens["dispatcher"]).status_code == 200
    bad_state = _get(base, f"{queue}?state=new&state=pending", tokens["dispatcher"])
    assert bad_state.status_code == 422
    assert bad_state.json()["message_zh"].startswith("state 的取值无效：pending")
    assert "new（待核实）" in bad_state.json()["message_zh"]
