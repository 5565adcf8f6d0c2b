"""The rescue console over real HTTP: triage, verification, dispatch, fulfilment, closure."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import Engine

from zhengwu.auth import service as auth_service

from .test_console_world import ConsoleWorld, build_console_world, login


@pytest.fixture
def world(committed_engine: Engine) -> ConsoleWorld:
    """The console test city (no index run: rescue does not need one)."""
    auth_service._ip_attempts.clear()
    return build_console_world(committed_engine, with_index=False)


@pytest.fixture
def client(live_server: str, world: ConsoleWorld) -> Iterator[httpx.Client]:
    """An HTTP client of the running console."""
    with httpx.Client(base_url=live_server, timeout=60, headers={"Accept": "text/html"}) as c:
        yield c


def _state(client: httpx.Client, help_id: int) -> str:
    page = client.get(f"/console/rescue/requests/{help_id}").text
    found = re.search(r'id="help-state">([^<]+)<', page)
    assert found is not None
    return found[1]


def test_triage_queue_explains_priorities(client: httpx.Client, world: ConsoleWorld) -> None:
    login(client, "dispatcher")
    listing = client.get("/console/rescue").text
    assert "郑州暴雨（测试）" in listing
    queue = client.get(f"/console/rescue/{world.incident_id}")
    assert queue.status_code == 200
    scores = [float(s) for s in re.findall(r'<b class="score">([\d.]+)</b>', queue.text)]
    assert len(scores) == 2
    assert scores == sorted(scores, reverse=True)
    assert "紧急程度" in queue.text
    assert "弱势人群" in queue.text
    assert "13800001111" in queue.text  # dispatchers see the phone numbers
    assert queue.text.count("<svg") == 2  # states and the county grid
    assert "金水" in queue.text


def test_dispatcher_verifies_and_dispatches(client: httpx.Client, world: ConsoleWorld) -> None:
    help_id = world.help["flooded"]
    csrf = login(client, "dispatcher")
    page = client.get(f"/console/rescue/requests/{help_id}").text
    assert 'id="form-verify"' in page
    assert 'id="form-assign"' in page
    assert "张建国" in page
    assert "13800001111" in page
    verified = client.post(f"/console/rescue/requests/{help_id}/verify",
                           data={"csrf_token": csrf, "method": "phone", "result": "confirmed",
                                 "note": "电话确认，4人被困二楼"})  # fmt: skip
    assert verified.status_code == 303
    assert _state(client, help_id) == "已核实"
    no_team = client.post(f"/console/rescue/requests/{help_id}/assign", data={"csrf_token": csrf})
    assert no_team.status_code == 422
    assert "请选择救援队伍" in no_team.text
    version = re.search(r'name="expected_version" value="(\d+)"',
                        client.get(f"/console/rescue/requests/{help_id}").text)  # fmt: skip
    assert version is not None
    stale = client.post(f"/console/rescue/requests/{help_id}/assign",
                        data={"csrf_token": csrf, "team_id": str(world.teams["fire"]),
                              "expected_version": "1"})  # fmt: skip
    assert stale.status_code == 409
    assert "请刷新" in stale.text
    assigned = client.post(f"/console/rescue/requests/{help_id}/assign",
                           data={"csrf_token": csrf, "team_id": str(world.teams["blue_sky"]),
                                 "expected_version": version[1]})  # fmt: skip
    assert assigned.status_code == 303
    assert _state(client, help_id) == "已派出"
    again = client.post(f"/console/rescue/requests/{help_id}/assign",
                        data={"csrf_token": csrf, "team_id": str(world.teams["fire"])})  # fmt: skip
    assert again.status_code == 409  # already dispatched: release first
    too_many = client.post(f"/console/rescue/requests/{help_id}/fulfil",
                           data={"csrf_token": csrf, "people": "9", "outcome": "rescued"})  # fmt: skip
    assert too_many.status_code == 409
    partial = client.post(f"/console/rescue/requests/{help_id}/fulfil",
                          data={"csrf_token": csrf, "people": "2", "outcome": "rescued"})  # fmt: skip
    assert partial.status_code == 303
    page = client.get(f"/console/rescue/requests/{help_id}").text
    assert "已救 2 / 共 4" in page
    assert "部分救出" in page
    resolved = client.post(f"/console/rescue/requests/{help_id}/resolve",
                           data={"csrf_token": csrf, "outcome": "rescued"})  # fmt: skip
    assert resolved.status_code == 303
    assert _state(client, help_id) == "已公告"
    board = httpx.get(f"{client.base_url}/board/rescue/{world.incident_id}").text
    assert "13800001111" not in board  # the public board is masked


def test_other_roles_on_the_rescue_console(client: httpx.Client, world: ConsoleWorld) -> None:
    help_id = world.help["pregnant"]
    csrf = login(client, "verifier")
    page = client.get(f"/console/rescue/requests/{help_id}").text
    assert 'id="form-verify"' in page
    assert 'id="form-assign"' not in page
    refused = client.post(f"/console/rescue/requests/{help_id}/assign",
                          data={"csrf_token": csrf, "team_id": str(world.teams["fire"])})  # fmt: skip
    assert refused.status_code == 403
    assert _state(client, help_id) == "待核实"  # nothing of the refused dispatch stayed
    client.cookies.clear()
    login(client, "team")  # 蓝天救援队, with nothing assigned yet
    queue = client.get(f"/console/rescue/{world.incident_id}").text
    assert "队列为空" in queue
    masked = client.get(f"/console/rescue/requests/{help_id}").text
    assert "13900002222" not in masked
    assert "已脱敏" in masked
    assert 'id="form-fulfil"' not in masked
    client.cookies.clear()
    login(client, "handler")
    forbidden = client.get(f"/console/rescue/{world.incident_id}")
    assert forbidden.status_code == 403
    assert "无权访问此页面" in forbidden.text
