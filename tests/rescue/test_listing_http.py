"""Paged rescue lists over real HTTP: the JSON queue, the console's triage queue (a
dispatcher's and a team's) and the public board page without repeating or skipping a
request, keep their filters in the page links, and the board stays masked."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from html import unescape

import httpx
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from zhengwu.auth import service as auth_service
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.demo import simulate_requests
from zhengwu.rescue.models import HelpRequest
from zhengwu.rescue.schemas import IncidentCreate, TeamCreate
from zhengwu.rescue.workflow import OPEN_STATES

from ..web.test_console_world import login
from .conftest import DISPATCHER, START, make_users

COUNT = 260


@dataclass
class World:
    base: str
    tokens: dict[str, str]
    incident: int
    team: int
    rows: dict[int, tuple[str, str | None, int | None, list[str], str | None]]


@pytest.fixture
def world(live_server: str, committed_engine: Engine) -> World:
    """An incident of :data:`COUNT` simulated requests, half of the dispatched ones with
    team A (whose member is the ``team`` user)."""
    auth_service._ip_attempts.clear()
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    with Session(committed_engine) as session:
        incident = rescue_service.create_incident(session, data=IncidentCreate(
            name="分页测试", regions=["410100"], starts_at=START), actor=DISPATCHER)  # fmt: skip
        teams = [rescue_service.create_team(session, data=TeamCreate(name=n), actor=DISPATCHER)
                 for n in ("A队", "B队")]  # fmt: skip
        simulate_requests(session, incident_id=incident.id, count=COUNT, now=now,
                          team_ids=[t.id for t in teams], seed=3)  # fmt: skip
        session.commit()
        rows = {
            r.id: (r.state, r.urgency, r.team_id, list(r.phones), r.name)
            for r in session.scalars(select(HelpRequest).where(HelpRequest.incident_id == incident.id))
        }  # fmt: skip
        ids = (incident.id, teams[0].id)
    return World(live_server, make_users(committed_engine, team_id=ids[1]), ids[0], ids[1], rows)


@pytest.fixture
def client(world: World) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=world.base, timeout=60, headers={"Accept": "text/html"}) as c:
        yield c


def _api_pages(world: World, size: int, **params: object) -> tuple[int, list[int]]:
    headers = {"authorization": f"Bearer {world.tokens['dispatcher']}"}
    url = f"{world.base}/api/rescue/incidents/{world.incident}/queue"
    ids: list[int] = []
    total = -1
    offset = 0
    while total < 0 or offset < total:
        reply = httpx.get(url, params={**params, "limit": size, "offset": offset},
                          headers=headers, timeout=60)  # fmt: skip
        assert reply.status_code == 200, reply.text
        body = reply.json()
        assert total in (-1, body["total"])
        total = body["total"]
        ids += [item["id"] for item in body["items"]]
        offset += size
    return total, ids


def test_json_queue_pages_with_filters(world: World) -> None:
    wanted = {i for i, (state, urgency, *_) in world.rows.items()
              if state in ("new", "verified") and urgency == "urgent"}  # fmt: skip
    total, ids = _api_pages(world, 13, state=["new", "verified"], urgency="urgent")
    assert total == len(wanted) == len(ids) and set(ids) == wanted  # no repeat, no gap
    whole = _api_pages(world, 1000, state=["new", "verified"], urgency="urgent")[1]
    assert ids == whole  # the pages cut one order
    total, ids = _api_pages(world, 40, sort="oldest")
    assert total == sum(1 for s, *_ in world.rows.values() if s in OPEN_STATES)
    assert len(set(ids)) == total
    headers = {"authorization": f"Bearer {world.tokens['dispatcher']}"}
    refused = httpx.get(f"{world.base}/api/rescue/incidents/{world.incident}/queue",
                        params={"sort": "random"}, headers=headers, timeout=60)  # fmt: skip
    assert refused.status_code == 422
    # state=all as on the console queue (全部): every state, where it was a 422.
    total, ids = _api_pages(world, 1000, state="all", urgency="normal", sort="newest")
    wanted = {i for i, (_, urgency, *_) in world.rows.items() if urgency == "normal"}
    assert total == len(wanted) == len(ids) and set(ids) == wanted
    assert {s for s, *_ in world.rows.values()} - set(OPEN_STATES)  # closed ones among them
    unknown = httpx.get(f"{world.base}/api/rescue/incidents/{world.incident}/queue",
                        params={"state": "everything"}, headers=headers, timeout=60)  # fmt: skip
    assert unknown.status_code == 422 and "all（全部）" in unknown.json()["message_zh"]


def _console_pages(client: httpx.Client, first: str) -> tuple[int, list[int], list[str]]:
    """Follow a console list's 下一页 links; return its total, the ids and the links."""
    url: str | None = first
    ids: list[int] = []
    links: list[str] = []
    total = 0
    while url:
        page = client.get(url)
        assert page.status_code == 200, page.text
        ids += [int(i) for i in re.findall(r'<a href="/console/rescue/requests/(\d+)">', page.text)]
        found = re.search(r"共 (\d+) 条", page.text)
        total = int(found[1]) if found else len(ids)
        following = re.search(r'<a href="([^"]+)" rel="next">', page.text)
        url = unescape(following[1]) if following else None
        if url:  # the pager's links are relative to the page: "?offset=100&…"
            links.append(url)
            url = first.split("?")[0] + url
    return total, ids, links


def test_console_queue_pages_keep_their_filters(client: httpx.Client, world: World) -> None:
    login(client, "u_dispatcher", "password-123")
    wanted = {i for i, (_, urgency, *_) in world.rows.items() if urgency == "normal"}
    total, ids, links = _console_pages(
        client, f"/console/rescue/{world.incident}?state=all&urgency=normal&sort=newest"
    )
    assert len(wanted) > 100  # more than one page
    assert total == len(wanted) == len(ids) and set(ids) == wanted
    assert links and all("state=all" in u and "urgency=normal" in u and "sort=newest" in u
                         for u in links)  # fmt: skip


def test_a_team_pages_through_its_own_requests(client: httpx.Client, world: World) -> None:
    login(client, "u_team", "password-123")
    wanted = {i for i, (state, _, team, *_) in world.rows.items()
              if team == world.team and state in OPEN_STATES}  # fmt: skip
    total, ids, _ = _console_pages(client, f"/console/rescue/{world.incident}")
    assert wanted and total == len(wanted) and sorted(ids) == sorted(wanted)


def test_public_board_pages_masked(world: World) -> None:
    waiting = {i for i, (state, *_) in world.rows.items() if state in OPEN_STATES}
    closed = {i for i, (state, *_) in world.rows.items() if state in ("resolved", "announced")}
    url: str | None = f"{world.base}/board/rescue/{world.incident}"
    shown: list[int] = []
    pages: list[str] = []
    while url:
        page = httpx.get(url, timeout=60)
        assert page.status_code == 200
        pages.append(page.text)
        shown += [int(i) for i in re.findall(r'<div class="card" id="request-(\d+)">', page.text)]
        following = re.search(r'id="requests-pager">.*?<a href="([^"]+)" rel="next">', page.text,
                              re.S)  # fmt: skip
        url = (
            f"{world.base}/board/rescue/{world.incident}{unescape(following[1])}"
            if following
            else None
        )
    assert len(pages) > 1
    assert len(shown) == len(set(shown)) == len(waiting) and set(shown) == waiting
    notices = {int(i) for i in re.findall(r'id="notice-(\d+)"', pages[0])}
    assert notices and notices <= closed
    html = "".join(pages)
    for _, _, _, phones, name in world.rows.values():
        for phone in phones:
            assert phone not in html  # every phone masked, on every page
        if name:
            assert name not in html
    api = httpx.get(f"{world.base}/api/rescue/incidents/{world.incident}/board",
                    params={"limit": 200}, timeout=60).json()  # fmt: skip
    assert [r["id"] for r in api["requests"]] == shown[:200]
    assert api["requests_total"] == len(waiting) and api["notices_total"] == len(closed)
    assert all(r["masked"] for r in api["requests"])
