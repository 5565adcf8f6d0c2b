"""Searching the rescue queue over HTTP: staff find a call-back by address and phone tail;
a team member searches only their own team's requests, and finds none of another's through
its name, phone or door. (The search of a masked viewer, narrowed in SQL and re-checked on
the masked text, is tested in test_search_sql.py.)"""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from zhengwu.rescue import dispatch, intake, lookup
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.schemas import IncidentCreate, TeamCreate

from .conftest import DISPATCHER, ORIGINAL, OTHER, START, make_users, post

World = tuple[str, dict[str, str], int, int, int]


@pytest.fixture
def world(live_server: str, committed_engine: Engine) -> World:
    """ORIGINAL (张建国, 13800001111, 文化路32号院) assigned to the team user's team;
    OTHER (大学路78号院, 139-0000-2222) waiting."""
    with Session(committed_engine) as session:
        incident = rescue_service.create_incident(session, data=IncidentCreate(
            name="查找测试", regions=["410100"], starts_at=START), actor=DISPATCHER)  # fmt: skip
        team = rescue_service.create_team(session, data=TeamCreate(name="A队"), actor=DISPATCHER)
        done = intake.take_in(session, incident=incident, actor=DISPATCHER,
                              posts=[post("1", ORIGINAL), post("2", OTHER)])  # fmt: skip
        assigned = rescue_service.get_request(session, request_id=done.requests[("weibo", "1")].id)
        dispatch.assign(session, request=assigned, team=team, actor=DISPATCHER)
        ids = (incident.id, assigned.id, done.requests[("weibo", "2")].id, team.id)
        session.commit()
    return live_server, make_users(committed_engine, team_id=ids[3]), ids[0], ids[1], ids[2]


def _queue(world: World, role: str | None, **params: str) -> httpx.Response:
    base, tokens, incident, *_ = world
    headers = {"authorization": f"Bearer {tokens[role]}"} if role else {}
    return httpx.get(f"{base}/api/rescue/incidents/{incident}/queue", params=params,
                     headers=headers, timeout=60)  # fmt: skip


def _ids(world: World, role: str, **params: str) -> list[int]:
    reply = _queue(world, role, **params)
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["total"] == len(body["items"])
    return [item["id"] for item in body["items"]]


@pytest.mark.parametrize("role", ["dispatcher", "verifier", "admin"])
def test_staff_find_a_request_by_address_phone_tail_and_name(world: World, role: str) -> None:
    _, _, _, original, other = world
    assert _ids(world, role, q="大学路 2222") == [other]  # place and phone tail together
    assert _ids(world, role, q="1111") == [original]
    assert _ids(world, role, q="138 0000 1111") == [original]  # the whole number, as said
    assert _ids(world, role, q="+86 139-0000-2222") == [other]
    assert _ids(world, role, q="张建国") == [original]
    assert _ids(world, role, q="文化路32号院") == [original]  # the house-level address
    assert _ids(world, role, q="金水") == [original]  # the county
    assert _ids(world, role, q="大学路 1111") == []  # every part must match
    assert sorted(_ids(world, role, q="")) == sorted([original, other])
    found = _queue(world, role, q="2222").json()["items"][0]
    assert found["masked"] is False and found["phones"] == ["13900002222"]


def test_search_works_with_the_other_filters(world: World) -> None:
    _, _, _, original, other = world
    assert _ids(world, "dispatcher", q="文化路", state="dispatched") == [original]
    assert _ids(world, "dispatcher", q="文化路", state="new") == []
    assert _ids(world, "dispatcher", q="郑州", state="new") == [other]
    both = _ids(world, "dispatcher", q="郑州")
    paged = _queue(world, "dispatcher", q="郑州", limit="1", offset="1").json()
    assert paged["total"] == 2  # the total counts every match, the page shows one
    assert [i["id"] for i in paged["items"]] == both[1:]


def test_a_masked_viewer_cannot_match_hidden_personal_data(world: World) -> None:
    _, _, _, original, other = world
    # other_team lists neither request; team lists its own (original) only, in full.
    for role, hidden in (("other_team", original), ("team", other), ("other_team", other)):
        phone, name, detail = {
            original: ("13800001111", "张建国", "32号院"),
            other: ("13900002222", None, "78号院"),
        }[hidden]
        for q in (phone, phone[-4:], phone[:3] + " " + phone[3:7] + " " + phone[7:], detail,
                  *([name] if name else [])):  # fmt: skip
            assert hidden not in _ids(world, role, q=q), (role, q)
    # Another team's queue lists none of the requests sent elsewhere, even by what a
    # masked viewer could read (the texts): a team member sees their own team's queue.
    assert _ids(world, "other_team", q="文化路") == []
    assert _ids(world, "other_team", q="") == []
    assert _ids(world, "team", q="大学路") == []  # waiting, sent to no team yet
    # The team finds its own request by phone tail, in full.
    own = _queue(world, "team", q="1111").json()["items"]
    assert [(i["id"], i["masked"], i["phones"]) for i in own] == [
        (original, False, ["13800001111"])
    ]


def test_public_cannot_search_and_a_bad_search_is_refused(world: World) -> None:
    assert _queue(world, None, q="1111").status_code == 403
    too_long = _queue(world, "dispatcher", q="水" * (lookup.QUERY_MAX + 1))
    assert too_long.status_code == 422
    assert "100" in too_long.text


def test_the_query_is_read_as_words_and_numbers() -> None:
    assert lookup.parse("张家湾 1234") == lookup.Query(words=("张家湾",), numbers=("1234",))
    assert lookup.parse("+86 138-0000-1111").numbers == ("13800001111",)
    assert lookup.parse("１３８ ００００ １１１１").numbers == ("13800001111",)
    assert lookup.parse("文化路32号院") == lookup.Query(words=("文化路32号院",))
    assert not lookup.parse("   ")


@pytest.fixture
def odd_world(live_server: str, committed_engine: Engine) -> World:
    """A request of the team user's team whose post spells its phones and door oddly."""
    text = ("#郑州暴雨互助# 求助！我叫李秀英，郑州市金水区幸福路12号3栋2单元501，家里三人被困，"
            "水已到二楼。电话一三八一二三四五六七八，或者 139  0000  2468，或 137.0000.1357")  # fmt: skip
    with Session(committed_engine) as session:
        incident = rescue_service.create_incident(session, data=IncidentCreate(
            name="写法测试", regions=["410100"], starts_at=START), actor=DISPATCHER)  # fmt: skip
        team = rescue_service.create_team(session, data=TeamCreate(name="B队"), actor=DISPATCHER)
        done = intake.take_in(session, incident=incident, actor=DISPATCHER,
                              posts=[post("1", text)])  # fmt: skip
        request = rescue_service.get_request(session, request_id=done.requests[("weibo", "1")].id)
        dispatch.assign(session, request=request, team=team, actor=DISPATCHER)
        ids = (incident.id, request.id, team.id)
        session.commit()
    return live_server, make_users(committed_engine, team_id=ids[2]), ids[0], ids[1], 0


def test_another_team_cannot_find_phones_and_doors_in_any_writing(odd_world: World) -> None:
    _, _, _, request, _ = odd_world
    guesses = ["李秀英", "一三八一二三四五六七八", "13812345678", "5678", "139 0000 2468",
               "13900002468", "2468", "137.0000.1357", "13700001357", "1357", "12号", "3栋",
               "2单元501", "501"]  # fmt: skip
    for q in guesses:
        assert _ids(odd_world, "other_team", q=q) == [], q
        assert _ids(odd_world, "team", q=q) == [request], q  # the team it was sent to
        assert _ids(odd_world, "dispatcher", q=q) == [request], q
    assert _ids(odd_world, "other_team", q="幸福路") == []  # not even by the street
