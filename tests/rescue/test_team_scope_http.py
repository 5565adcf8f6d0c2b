"""A team member opens only their own team's requests, over real HTTP (SQLite, PostgreSQL).

The queue of a team member lists the requests dispatched to their team
(``zhengwu.rescue.access.team_scope``); every route of a single request — its JSON view,
its notices, its console page with the history, the actions — takes the same rule: the
own team's request opens (unmasked), another team's or an unassigned one is a 403
(救援队成员只能查看本队的求助), a team account without a team is a 403 on all of them, and the
403 shows none of the request's data. Dispatchers, verifiers and admins open every
request as before; the public still gets the masked view. The queue page's counts by
state and its county map are the team's too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from zhengwu.auth import service as auth_service
from zhengwu.auth.models import User
from zhengwu.rescue import dispatch, intake
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.schemas import IncidentCreate, TeamCreate

from ..web.test_console_world import login
from .conftest import DISPATCHER, ORIGINAL, OTHER, START, post

THIRD = ("#郑州暴雨互助# 求救！郑州市管城区紫荆山路9号院，独居老人一人被困家中，水已经到腰了，"
         "电话137-0000-3333，求好心人帮忙！")  # fmt: skip
PASSWORD = "password-123"
NOT_OURS = "救援队成员只能查看本队的求助"
NO_TEAM = "该救援队账号未关联救援队，无法查看求助"
# The phones of the three requests: none may appear in a refusal.
PHONES = {"own": "13800001111", "other": "13900002222", "unassigned": "13700003333"}


@dataclass
class ScopeWorld:
    """Three requests — one of team A, one of team B, one not dispatched — and the users."""

    base: str
    incident: int
    requests: dict[str, int] = field(default_factory=dict)  # own / other / unassigned
    tokens: dict[str, str] = field(default_factory=dict)  # username → API token


USERS = {  # username → (role, team key)
    "s_admin": ("admin", None), "s_dispatcher": ("dispatcher", None),
    "s_verifier": ("verifier", None), "s_team_a": ("team", "A"), "s_team_b": ("team", "B"),
    "s_no_team": ("team", "A"),  # its team is taken away below
}  # fmt: skip


@pytest.fixture
def world(live_server: str, committed_engine: Engine) -> ScopeWorld:
    auth_service._ip_attempts.clear()
    with Session(committed_engine) as session:
        incident = rescue_service.create_incident(session, data=IncidentCreate(
            name="队伍范围", regions=["410100"], starts_at=START), actor=DISPATCHER)  # fmt: skip
        teams = {key: rescue_service.create_team(session, data=TeamCreate(name=f"{key}队"),
                                                 actor=DISPATCHER) for key in ("A", "B")}  # fmt: skip
        done = intake.take_in(session, incident=incident, actor=DISPATCHER,
                              posts=[post("1", ORIGINAL), post("2", OTHER), post("3", THIRD)])  # fmt: skip
        found = {key: done.requests[("weibo", pid)].id
                 for key, pid in (("own", "1"), ("other", "2"), ("unassigned", "3"))}  # fmt: skip
        assert len(set(found.values())) == 3
        for key, team in (("own", "A"), ("other", "B")):
            request = rescue_service.get_request(session, request_id=found[key])
            dispatch.assign(session, request=request, team=teams[team], actor=DISPATCHER)
        shown = ScopeWorld(base=live_server, incident=incident.id, requests=found)
        for username, (role, team_key) in USERS.items():
            user = auth_service.create_user(
                session, username=username, password=PASSWORD, role=role,
                team_id=teams[team_key].id if team_key else None,
            )  # fmt: skip
            shown.tokens[username] = auth_service.create_token(session, user, "test")
        # A team account whose team was taken away (an account kept after its team went).
        session.execute(update(User).where(User.username == "s_no_team").values(team_id=None))
        session.commit()
    return shown


def _api(world: ScopeWorld, user: str | None, method: str, path: str,
         body: object = None) -> httpx.Response:  # fmt: skip
    headers = {"authorization": f"Bearer {world.tokens[user]}"} if user else {}
    return httpx.request(method, world.base + path, json=body, headers=headers, timeout=60)


@pytest.fixture
def console(world: ScopeWorld) -> Iterator[dict[str, tuple[httpx.Client, str]]]:
    """A logged-in console client (and its CSRF token) per user that needs one."""
    clients: dict[str, tuple[httpx.Client, str]] = {}
    try:
        for user in ("s_team_a", "s_no_team", "s_dispatcher", "s_verifier"):
            client = httpx.Client(base_url=world.base, timeout=60, headers={"Accept": "text/html"})
            clients[user] = client, login(client, user, PASSWORD)
        yield clients
    finally:
        for client, _ in clients.values():
            client.close()


def _refused(reply: httpx.Response, message: str, what: str) -> None:
    """A 403 with the bilingual message, and none of the requests' phones."""
    assert reply.status_code == 403, (what, reply.status_code, reply.text[:300])
    assert message in reply.text, (what, reply.text[:300])
    leaked = {p for p in PHONES.values() if p in reply.text}
    assert leaked == set(), (what, leaked)


def test_json_routes_open_the_own_teams_request_only(world: ScopeWorld) -> None:
    own, other, unassigned = (world.requests[k] for k in ("own", "other", "unassigned"))
    reads = ("/api/rescue/requests/{id}", "/api/rescue/requests/{id}/notices")
    for path in reads:
        mine = _api(world, "s_team_a", "GET", path.format(id=own))
        assert mine.status_code == 200, (path, mine.text)
        for refused in (other, unassigned):
            reply = _api(world, "s_team_a", "GET", path.format(id=refused))
            _refused(reply, NOT_OURS, path)
            assert reply.json()["message_en"] == (
                "a team member may see only their own team's requests"
            )
        for target in (own, other):
            _refused(_api(world, "s_no_team", "GET", path.format(id=target)), NO_TEAM, path)
    # The own team's request is shown in full (the team acts on it), as before.
    body = _api(world, "s_team_a", "GET", f"/api/rescue/requests/{own}").json()
    assert (body["masked"], body["phones"], body["name"]) == (False, [PHONES["own"]], "张建国")
    # Team B's member opens theirs, not team A's: the rule is each team's own.
    assert _api(world, "s_team_b", "GET", f"/api/rescue/requests/{other}").status_code == 200
    _refused(_api(world, "s_team_b", "GET", f"/api/rescue/requests/{own}"), NOT_OURS, "B on A")
    # Actions on another team's request are refused by the same rule, before their own checks.
    actions = (
        ("POST", "/api/rescue/requests/{id}/transitions", {"to": "on_scene"}),
        ("POST", "/api/rescue/requests/{id}/fulfilments", {"people": 1, "outcome": "rescued"}),
        ("POST", "/api/rescue/requests/{id}/claim", None),
        ("DELETE", "/api/rescue/requests/{id}/claim", None),
        ("POST", "/api/rescue/requests/{id}/verifications",
         {"method": "phone", "result": "confirmed"}),
        ("POST", "/api/rescue/requests/{id}/resolve", {"outcome": "rescued"}),
    )  # fmt: skip
    for method, path, payload in actions:
        for refused in (other, unassigned):
            reply = _api(world, "s_team_a", method, path.format(id=refused), payload)
            _refused(reply, NOT_OURS, f"{method} {path}")
        _refused(_api(world, "s_no_team", method, path.format(id=own), payload), NO_TEAM, path)
    # The refused actions changed nothing; the own team's arrival still works.
    assert _api(world, "s_dispatcher", "GET", f"/api/rescue/requests/{other}").json()["state"] == (
        "dispatched"
    )
    arrived = _api(world, "s_team_a", "POST", f"/api/rescue/requests/{own}/transitions",
                   {"to": "on_scene"})  # fmt: skip
    assert (arrived.status_code, arrived.json()["state"]) == (200, "on_scene")


def test_other_roles_are_unchanged(world: ScopeWorld) -> None:
    """Dispatchers, verifiers and admins open every request in full; the public gets the
    masked view it always had (the board's rule), never the phone."""
    for user in ("s_admin", "s_dispatcher", "s_verifier"):
        for key, request_id in world.requests.items():
            reply = _api(world, user, "GET", f"/api/rescue/requests/{request_id}")
            assert reply.status_code == 200, (user, key)
            assert (reply.json()["masked"], reply.json()["phones"]) == (False, [PHONES[key]])
            notices = _api(world, user, "GET", f"/api/rescue/requests/{request_id}/notices")
            assert notices.status_code == 200, (user, key)
    for key, request_id in world.requests.items():
        public = _api(world, None, "GET", f"/api/rescue/requests/{request_id}")
        assert public.status_code == 200, key
        assert public.json()["masked"] is True
        assert PHONES[key] not in public.text
        assert public.json()["phones"] == [PHONES[key][:3] + "****" + PHONES[key][-4:]]


def test_console_request_page_and_actions(
    world: ScopeWorld, console: dict[str, tuple[httpx.Client, str]]
) -> None:
    own, other, unassigned = (world.requests[k] for k in ("own", "other", "unassigned"))
    team, csrf = console["s_team_a"]
    page = team.get(f"/console/rescue/requests/{own}")
    assert page.status_code == 200
    assert PHONES["own"] in page.text and "张建国" in page.text
    assert 'id="history"' in page.text and "转为「已派出」" in page.text  # its history
    for refused in (other, unassigned):
        _refused(team.get(f"/console/rescue/requests/{refused}"), NOT_OURS, "console page")
        for operation in ("arrive", "fulfil", "verify"):
            reply = team.post(f"/console/rescue/requests/{refused}/{operation}",
                              data={"csrf_token": csrf, "people": "1", "outcome": "rescued"})  # fmt: skip
            _refused(reply, NOT_OURS, f"console {operation}")
    no_team, no_team_csrf = console["s_no_team"]
    for target in (own, other):
        _refused(no_team.get(f"/console/rescue/requests/{target}"), NO_TEAM, "console no team")
        reply = no_team.post(f"/console/rescue/requests/{target}/arrive",
                             data={"csrf_token": no_team_csrf})  # fmt: skip
        _refused(reply, NO_TEAM, "console arrive, no team")
    _refused(no_team.get(f"/console/rescue/{world.incident}"), NO_TEAM, "console queue, no team")
    for user in ("s_dispatcher", "s_verifier"):
        client, _ = console[user]
        for key, request_id in world.requests.items():
            shown = client.get(f"/console/rescue/requests/{request_id}")
            assert shown.status_code == 200 and PHONES[key] in shown.text, (user, key)


def _state_bars(page: str) -> dict[str, int]:
    """The queue page's 状态分布 chart: label → count."""
    chart = page[page.index('id="state-counts-heading"') :]
    chart = chart[: chart.index("</svg>")]
    return {label: int(n) for label, n in re.findall(r"<title>([^<：]+)：(\d+)</title>", chart)}


def _county_map(page: str) -> dict[str, int]:
    """The queue page's county map: county → help requests."""
    grid = page[page.index('id="county-map-heading"') :]
    grid = grid[: grid.index("</svg>")]
    found = re.findall(r"<title>([^<：]+)：求助 (\d+)</title>", grid)  # help only: no 诉求
    return {name: int(n) for name, n in found if int(n)}


def test_queue_counts_are_the_teams_own(
    world: ScopeWorld, console: dict[str, tuple[httpx.Client, str]]
) -> None:
    """A team member's queue page counts what their queue lists; a dispatcher's the incident."""
    team, _ = console["s_team_a"]
    page = team.get(f"/console/rescue/{world.incident}?state=all").text
    assert "状态分布（本队）" in page and "各区县求助（本队）" in page
    bars = _state_bars(page)
    assert bars["已派出"] == 1 and sum(bars.values()) == 1, bars
    assert _county_map(page) == {"金水": 1}
    assert PHONES["other"] not in page and PHONES["unassigned"] not in page
    dispatcher, _ = console["s_dispatcher"]
    page = dispatcher.get(f"/console/rescue/{world.incident}?state=all").text
    assert "（本队）" not in page
    bars = _state_bars(page)
    assert (bars["已派出"], bars["待核实"], sum(bars.values())) == (2, 1, 3), bars
    assert sum(_county_map(page).values()) == 3
