"""The whole loop over HTTP on a real server (SQLite and PostgreSQL): intake → merge →
verify → dispatch (two dispatchers racing) → partial → resolve → notices → public board."""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.schemas import IncidentCreate, TeamCreate

from .conftest import COPY, DISPATCHER, ORIGINAL, OTHER, PRAYER, START, make_users


def _teams(engine: Engine) -> tuple[int, int]:
    with Session(engine) as session:
        ids = [
            rescue_service.create_team(session, data=TeamCreate(name=n, area=["410100"]),
                                       actor=DISPATCHER).id
            for n in ("郑州蓝天救援队", "金水区消防救援大队")
        ]  # fmt: skip
        session.commit()
    return ids[0], ids[1]


def _auth(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def _posts() -> list[dict[str, Any]]:
    when = START.isoformat()
    return [
        {"post_id": "1", "text": ORIGINAL, "posted_at": when, "author": "a1"},
        {"post_id": "2", "text": COPY, "posted_at": when, "author": "a2"},
        {"post_id": "3", "text": "扩散", "posted_at": when, "is_repost": True,
         "root_post_id": "1", "root_text": ORIGINAL},
        {"post_id": "4", "text": OTHER, "posted_at": when},
        {"post_id": "5", "text": PRAYER, "posted_at": when},
    ]  # fmt: skip


def _race(base: str, request_id: int, tokens: tuple[str, str], teams: tuple[int, int]) -> list[int]:
    barrier = threading.Barrier(2)
    codes: list[int] = []

    def go(token: str, team: int) -> None:
        with httpx.Client(base_url=base, headers=_auth(token), timeout=60) as client:
            barrier.wait()
            reply = client.post(f"/api/rescue/requests/{request_id}/assignments",
                                json={"team_id": team})  # fmt: skip
            codes.append(reply.status_code)

    threads = [
        threading.Thread(target=go, args=(t, team)) for t, team in zip(tokens, teams, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    return sorted(codes)


def test_help_network_closed_loop(live_server: str, committed_engine: Engine) -> None:
    team_a, team_b = _teams(committed_engine)
    tokens = make_users(committed_engine, team_id=team_a)
    with httpx.Client(base_url=live_server, timeout=60) as api:
        _closed_loop(api, live_server, tokens, team_a, team_b)


def _closed_loop(
    api: httpx.Client, live_server: str, tokens: dict[str, str], team_a: int, team_b: int
) -> None:
    """Drive one request from intake to its closing notices."""
    dispatcher = _auth(tokens["dispatcher"])

    incident = api.post("/api/rescue/incidents", headers=dispatcher, json={
        "name": "郑州暴雨", "type": "flood", "regions": ["410100"],
        "hashtags": ["#郑州暴雨互助#"], "starts_at": START.isoformat()})  # fmt: skip
    assert incident.status_code == 201, incident.text
    iid = incident.json()["id"]
    assert incident.json()["hashtags"] == ["郑州暴雨互助"]

    report = api.post(f"/api/rescue/incidents/{iid}/posts", headers=dispatcher, json=_posts())
    assert report.status_code == 200, report.text
    assert (report.json()["new_requests"], report.json()["ignored"]) == (2, 1)
    again = api.post(f"/api/rescue/incidents/{iid}/posts", headers=dispatcher, json=_posts())
    assert again.json()["known"] == 5

    queue = api.get(f"/api/rescue/incidents/{iid}/queue", headers=dispatcher).json()
    assert queue["total"] == 2
    top = queue["items"][0]
    assert top["mirrors"] == 3
    assert top["phones"] == ["13800001111"]
    assert "unverified" in top["flags"]
    assert top["priority"]["score"] > queue["items"][1]["priority"]["score"]
    rid = top["id"]

    verified = api.post(f"/api/rescue/requests/{rid}/verifications",
                        headers=_auth(tokens["verifier"]),
                        json={"method": "phone", "result": "confirmed", "note": "本人接听"})  # fmt: skip
    assert verified.json()["state"] == "verified"
    assert verified.json()["verifications"][0]["verifier"] == "u_verifier"

    codes = _race(live_server, rid, (tokens["dispatcher"], tokens["dispatcher2"]), (team_a, team_b))
    assert codes == [200, 409]
    detail = api.get(f"/api/rescue/requests/{rid}", headers=dispatcher).json()
    assert detail["state"] == "dispatched"
    assert detail["team_id"] in (team_a, team_b)
    # Taken back and sent to the team user's own team: each answer names the team the
    # request is with now (the dispatch answered team_name null, the release the old team).
    held = {team_a: "郑州蓝天救援队", team_b: "金水区消防救援大队"}[detail["team_id"]]
    assert detail["team_name"] == held
    released = api.post(f"/api/rescue/requests/{rid}/release", headers=dispatcher,
                        json={"reason": "改派"})  # fmt: skip
    assert (released.json()["team_id"], released.json()["team_name"]) == (None, None)
    sent = api.post(f"/api/rescue/requests/{rid}/assignments", headers=dispatcher,
                    json={"team_id": team_a})  # fmt: skip
    assert (sent.json()["team_id"], sent.json()["team_name"]) == (team_a, "郑州蓝天救援队")
    conflict = api.post(f"/api/rescue/requests/{rid}/assignments", headers=dispatcher,
                        json={"team_id": team_b})  # fmt: skip
    assert conflict.status_code == 409
    assert conflict.json()["error"] == "ConflictError"

    team = _auth(tokens["team"])
    partial = api.post(f"/api/rescue/requests/{rid}/fulfilments", headers=team,
                       json={"people": 5, "outcome": "rescued"})  # fmt: skip
    assert partial.status_code == 200, partial.text
    body = partial.json()
    assert (body["state"], body["fulfilment"], body["people_helped"]) == ("on_scene", "partial", 5)
    illegal = api.post(f"/api/rescue/requests/{rid}/transitions", headers=dispatcher,
                       json={"to": "announced"})  # fmt: skip
    assert illegal.status_code == 409
    api.post(f"/api/rescue/requests/{rid}/fulfilments", headers=team, json={"people": 3})
    resolved = api.post(f"/api/rescue/requests/{rid}/resolve", headers=dispatcher,
                        json={"outcome": "rescued"})  # fmt: skip
    assert resolved.json()["state"] == "resolved"  # queued, not yet on any platform

    notices = api.get(f"/api/rescue/requests/{rid}/notices", headers=dispatcher).json()
    assert sorted(n["target_post_id"] for n in notices) == ["1", "2", "3"]
    assert all("已获救" in n["body"] and "请勿重复救援" in n["body"] for n in notices)
    assert {n["state"] for n in notices} == {"queued"}
    assert all(n["delivered_at"] is None for n in notices)

    board = api.get(f"/api/rescue/incidents/{iid}/board").json()
    assert board["by_state"]["resolved"] == 1
    assert board["by_state"]["announced"] == 0
    assert board["notices"][0]["request_id"] == rid
    assert board["notices"][0]["announced_at"] is None
    assert board["response_times"]["reported_to_resolved"]["count"] == 1
    assert all(r["masked"] and "13900002222" not in str(r) for r in board["requests"])
    page = api.get(f"/board/rescue/{iid}")
    assert page.status_code == 200
    assert "请勿重复救援" in page.text
    assert "13900002222" not in page.text
    assert 'name="viewport"' in page.text


def test_anonymous_help_is_rate_limited(live_server: str, committed_engine: Engine) -> None:
    with Session(committed_engine) as session:
        incident = rescue_service.create_incident(session, data=IncidentCreate(
            name="表单测试", regions=["410100"], starts_at=START), actor=DISPATCHER)  # fmt: skip
        session.commit()
        iid = incident.id
    with httpx.Client(base_url=live_server, timeout=60) as api:
        form = api.get(f"/board/rescue/{iid}/help")
        assert form.status_code == 200
        assert 'name="phone"' in form.text
        sent = api.post(f"/board/rescue/{iid}/help", data={
            "text": "一楼进水，老人出不去", "address": "郑州市中原区桐柏路2号院", "people": "2",
            "phone": "13700007777"})  # fmt: skip
        assert sent.status_code == 201
        assert "编号" in sent.text
        codes = [
            api.post(f"/api/rescue/incidents/{iid}/help",
                     json={"text": f"被困第{i}次求助", "phone": "13700007777"}).status_code
            for i in range(5)
        ]  # fmt: skip
        assert codes == [201, 201, 201, 201, 429]
        masked = api.post(f"/api/rescue/incidents/{iid}/help", json={"text": "还是被困"})
        assert masked.status_code == 429


@pytest.fixture
def two_per_minute(monkeypatch: pytest.MonkeyPatch) -> None:
    """Configure the help form's limit before the server starts: 2 per 60 s."""
    from zhengwu.config import get_settings

    monkeypatch.setenv("ZHENGWU_RESCUE_HELP_LIMIT", "2")
    monkeypatch.setenv("ZHENGWU_RESCUE_HELP_WINDOW_SECONDS", "60")
    get_settings.cache_clear()


def test_the_help_limit_is_a_setting(
    two_per_minute: None, live_server: str, committed_engine: Engine
) -> None:
    with Session(committed_engine) as session:
        incident = rescue_service.create_incident(session, data=IncidentCreate(
            name="限流设置", regions=["410100"], starts_at=START), actor=DISPATCHER)  # fmt: skip
        session.commit()
        iid = incident.id
    with httpx.Client(base_url=live_server, timeout=60) as api:
        codes = [
            api.post(f"/api/rescue/incidents/{iid}/help",
                     json={"text": f"被困第{i}次求助", "phone": "13700007777"}).status_code
            for i in range(3)
        ]  # fmt: skip
    assert codes == [201, 201, 429]


def test_a_bad_help_limit_names_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    from zhengwu.config import get_settings
    from zhengwu.errors import InvalidInputError

    monkeypatch.setenv("ZHENGWU_RESCUE_HELP_LIMIT", "0")
    get_settings.cache_clear()
    with pytest.raises(InvalidInputError, match="ZHENGWU_RESCUE_HELP_LIMIT"):
        get_settings()
