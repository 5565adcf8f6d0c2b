"""PATCH /api/rescue/teams/{id} per role: edit, deactivate, reactivate, 409s, masked contacts."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from zhengwu.audit.models import AuditEntry
from zhengwu.rescue import intake
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.models import Team
from zhengwu.rescue.schemas import IncidentCreate, TeamCreate

from .conftest import DISPATCHER, ORIGINAL, START, make_users, post

World = tuple[httpx.Client, dict[str, str], int, int, int]


@pytest.fixture
def world(live_server: str, committed_engine: Engine) -> Iterator[World]:
    """Teams A队 (the ``team`` user's) and B队, a verified request; tokens per role."""
    with Session(committed_engine) as session:
        incident = rescue_service.create_incident(session, data=IncidentCreate(
            name="队伍测试", regions=["410100"], starts_at=START), actor=DISPATCHER)  # fmt: skip
        a = rescue_service.create_team(session, actor=DISPATCHER, data=TeamCreate(
            name="A队", contact_name="李卫东", contact_phone="13911112222"))  # fmt: skip
        b = rescue_service.create_team(session, data=TeamCreate(name="B队"), actor=DISPATCHER)
        done = intake.take_in(session, incident=incident, posts=[post("1", ORIGINAL)],
                              actor=DISPATCHER)  # fmt: skip
        ids = a.id, b.id, done.requests[("weibo", "1")].id
        session.commit()
    tokens = make_users(committed_engine, team_id=ids[0])
    with httpx.Client(base_url=live_server, timeout=60) as client:
        yield client, tokens, *ids


def _auth(token: str | None) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"} if token else {}


def _actions(engine: Engine, team_id: int) -> list[str]:
    with Session(engine) as session:
        return list(session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.entity_type == "rescue_team", AuditEntry.entity_id == team_id)
            .order_by(AuditEntry.id)
        ))  # fmt: skip


def test_who_may_change_a_team(world: World, committed_engine: Engine) -> None:
    client, tokens, a, _, _ = world
    for role in ("verifier", "team", "other_team", "public"):  # "team" is A队's own member
        for body in ({"capacity": 7}, {"active": False}):
            reply = client.patch(
                f"/api/rescue/teams/{a}", json=body, headers=_auth(tokens.get(role))
            )
            assert reply.status_code == 403, (role, reply.text)
            assert reply.json()["message_zh"]
    for role, capacity in (("dispatcher", 3), ("admin", 4)):
        reply = client.patch(f"/api/rescue/teams/{a}", json={"capacity": capacity},
                             headers=_auth(tokens[role]))  # fmt: skip
        assert reply.status_code == 200, (role, reply.text)
        assert reply.json()["capacity"] == capacity
    with Session(committed_engine) as session:
        stored = session.get(Team, a)
        assert stored is not None and (stored.capacity, stored.active) == (4, True)
    assert _actions(committed_engine, a) == ["create", "update", "update"]
    missing = client.patch("/api/rescue/teams/99999", json={"capacity": 2},
                           headers=_auth(tokens["dispatcher"]))  # fmt: skip
    assert missing.status_code == 404


def test_edit_conflicts_and_validation(world: World, committed_engine: Engine) -> None:
    client, tokens, _, b, _ = world
    headers = _auth(tokens["dispatcher"])
    taken = client.patch(f"/api/rescue/teams/{b}", json={"name": "A队"}, headers=headers)
    assert taken.status_code == 409
    assert taken.json()["message_zh"] == "队伍名称已存在：A队"
    assert taken.json()["message_en"] == "team exists: A队"
    for bad in ({"name": None}, {"capacity": 0}, {"kind": "army"}, {"name": ""}):
        assert client.patch(f"/api/rescue/teams/{b}", json=bad, headers=headers).status_code == 422
    unknown = client.patch(f"/api/rescue/teams/{b}", json={"area": ["999999"]}, headers=headers)
    assert unknown.status_code == 422
    renamed = client.patch(f"/api/rescue/teams/{b}", headers=headers, json={
        "name": "金水区B队", "kind": "medical", "capabilities": ["medical"], "area": ["410105"],
        "contact_name": "赵敏", "contact_phone": "13700001234"})  # fmt: skip
    assert renamed.status_code == 200
    assert renamed.json() | {"id": 0} == {
        "id": 0, "name": "金水区B队", "kind": "medical", "capabilities": ["medical"], "capacity": 1,
        "area": ["410105"], "contact_name": "赵敏", "contact_phone": "13700001234",
        "active": True, "load": 0,
    }  # fmt: skip
    assert _actions(committed_engine, b) == ["create", "update"]  # refusals wrote nothing


def test_contacts_stay_masked_after_an_edit(world: World) -> None:
    client, tokens, a, _, _ = world
    client.patch(f"/api/rescue/teams/{a}", json={"contact_phone": "13600009876"},
                 headers=_auth(tokens["dispatcher"]))  # fmt: skip
    for role, phone in (("dispatcher", "13600009876"), ("team", "13600009876"),
                        ("verifier", "136****9876"), ("other_team", "136****9876")):  # fmt: skip
        listed = client.get("/api/rescue/teams", headers=_auth(tokens[role])).json()
        assert next(t for t in listed if t["id"] == a)["contact_phone"] == phone, role


def test_deactivate_refuse_dispatch_and_reactivate(world: World, committed_engine: Engine) -> None:
    client, tokens, a, _, request_id = world
    headers = _auth(tokens["dispatcher"])
    verified = client.post(f"/api/rescue/requests/{request_id}/verifications", headers=headers,
                           json={"method": "phone", "result": "confirmed"})  # fmt: skip
    assert verified.status_code == 200
    off = client.patch(f"/api/rescue/teams/{a}", json={"active": False}, headers=headers)
    assert off.status_code == 200 and off.json()["active"] is False
    active = client.get("/api/rescue/teams?active=true", headers=headers).json()
    assert [t["name"] for t in active] == ["B队"]
    everyone = client.get("/api/rescue/teams", headers=headers).json()
    assert sorted((t["name"], t["active"]) for t in everyone) == [("A队", False), ("B队", True)]
    sent = client.post(f"/api/rescue/requests/{request_id}/assignments", json={"team_id": a},
                       headers=headers)  # fmt: skip
    assert sent.status_code == 409
    assert sent.json()["message_zh"] == "队伍「A队」已停用"
    on = client.patch(f"/api/rescue/teams/{a}", json={"active": True}, headers=headers)
    assert on.json()["active"] is True
    sent = client.post(f"/api/rescue/requests/{request_id}/assignments", json={"team_id": a},
                       headers=headers)  # fmt: skip
    assert sent.status_code == 200 and sent.json()["team_id"] == a
    busy = client.patch(f"/api/rescue/teams/{a}", json={"active": False, "capacity": 5},
                        headers=headers)  # fmt: skip
    assert busy.status_code == 409
    assert f"#{request_id}" in busy.json()["message_zh"]
    assert "release or resolve" in busy.json()["message_en"]
    with Session(committed_engine) as session:
        stored = session.get(Team, a)
        # The whole PATCH rolled back: neither the capacity nor the state changed.
        assert stored is not None and (stored.active, stored.capacity) == (True, 1)
    assert _actions(committed_engine, a) == ["create", "deactivate", "reactivate"]
