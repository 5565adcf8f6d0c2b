"""The public rescue board over HTTP: no door numbers and no phone in any writing.

Help posts as people write them: house numbers in the text in another form than the
request's address, mirrors that repeat them, phones in Chinese numerals (一三八…, 幺三八…),
full-width digits or oddly grouped. The public sees the road and the compound, the hazard,
the counts and the depth, but neither the door nor the number.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from zhengwu.rescue import intake
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.schemas import IncidentCreate, TeamCreate

from .conftest import DISPATCHER, START, make_users, post

POSTS = {
    "1": "#郑州暴雨互助# 求助！郑州市金水区幸福路12号3栋2单元501，家里三人被困，"
    "水已到二楼，水深一米五。电话一三八一二三四五六七八，谢谢！",
    "2": "#郑州暴雨互助# 紧急！二七区大学路绿城小区5号楼602室有老人被困，7月21号下午开始停电，"
    "联系 幺三九 幺二三四 八七六五",
    "3": "#郑州暴雨互助# 郑州市中原区桐柏路 18号院 2号楼，孩子发烧，"
    "电话１３７ ００００ ３３３３ 或 136-0000-4444 或 135 - 0000 - 5555",
}
# Readable for everyone: what tells a team where to look and how bad it is.
KEPT = ["幸福路", "三人", "二楼", "一米五", "大学路", "7月21号", "桐柏路"]
# Never shown to the public, in any field of the board.
HIDDEN = [
    "12号", "3栋", "2单元", "501", "5号楼", "602室", "18号院", "2号楼",
    "一三八一二三四五六七八", "幺三九", "八七六五", "１３７ ００００ ３３３３", "13700003333",
    "136-0000-4444", "0000 - 5555", "139 1111 2222", "13911112222",
]  # fmt: skip


_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\d[T ][\d:.]+(?:Z|[+-]\d\d:?\d\d)?$")


def _writing(value: Any) -> str:
    """Every string of a JSON answer but its timestamps, one per line: what a reader can
    read there. Numbers and times are left out, so that a door token made of digits
    (``501``) is not found in a response time or the milliseconds of a time."""
    if isinstance(value, dict):
        return "\n".join(_writing(v) for v in value.values())
    if isinstance(value, list):
        return "\n".join(_writing(v) for v in value)
    if isinstance(value, str) and not _TIMESTAMP.match(value):
        return value
    return ""


@pytest.fixture
def world(live_server: str, committed_engine: Engine) -> tuple[str, dict[str, str], int]:
    """Three realistic help posts taken in; tokens per role."""
    with Session(committed_engine) as session:
        incident = rescue_service.create_incident(session, data=IncidentCreate(
            name="门牌测试", regions=["410100"], starts_at=START), actor=DISPATCHER)  # fmt: skip
        intake.take_in(session, incident=incident, actor=DISPATCHER,
                       posts=[post(k, v) for k, v in POSTS.items()])  # fmt: skip
        # A copy of the first post passed on later with a second phone (转发补充).
        intake.take_in(session, incident=incident, actor=DISPATCHER,
                       posts=[post("4", "扩散！" + POSTS["1"] + "另一个电话 139 1111 2222", 30)])  # fmt: skip
        team = rescue_service.create_team(session, data=TeamCreate(name="A队"), actor=DISPATCHER)
        incident_id, team_id = incident.id, team.id
        session.commit()
    return live_server, make_users(committed_engine, team_id=team_id), incident_id


def test_the_public_board_shows_no_door_and_no_phone(
    world: tuple[str, dict[str, str], int],
) -> None:
    base, _, incident = world
    reply = httpx.get(f"{base}/api/rescue/incidents/{incident}/board", timeout=60)
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert len(body["requests"]) == 3
    assert all(r["masked"] for r in body["requests"])
    shown = _writing(body)
    for hidden in HIDDEN:
        assert hidden not in shown, hidden
    texts = "\n".join(r["text"] for r in body["requests"])
    for kept in KEPT:
        assert kept in texts, kept
    for masked in ("138****5678", "139****8765", "137****3333", "136****4444", "135****5555"):
        assert masked in texts, masked  # masked like any mobile
    # What the copy added is shown with its request, masked as the text is.
    assert [r["additions"] for r in body["requests"] if r["additions"]] == [
        ["另一个电话 139****2222"]
    ]
    page = httpx.get(f"{base}/board/rescue/{incident}", timeout=60)
    assert page.status_code == 200
    for hidden in HIDDEN:
        assert hidden not in page.text, hidden
    assert "幸福路" in page.text
    assert "转发补充：另一个电话 139****2222" in page.text


def test_staff_still_read_the_door_and_the_phone(world: tuple[str, dict[str, str], int]) -> None:
    base, tokens, incident = world
    reply = httpx.get(f"{base}/api/rescue/incidents/{incident}/queue",
                      headers={"authorization": f"Bearer {tokens['dispatcher']}"}, timeout=60)  # fmt: skip
    texts = "\n".join(r["text"] for r in reply.json()["items"])
    assert "幸福路12号3栋2单元501" in texts and "一三八一二三四五六七八" in texts
    assert "5号楼602室" in texts
    added = [r["additions"] for r in reply.json()["items"] if r["additions"]]
    assert added == [["另一个电话 139 1111 2222"]]


def test_the_board_stays_masked_for_a_logged_in_dispatcher(
    world: tuple[str, dict[str, str], int],
) -> None:
    """A board is projected in a command room and shared as screenshots: a dispatcher's
    login must not unmask it (the console's queue is where staff read in full)."""
    base, tokens, incident = world
    bearer = {"authorization": f"Bearer {tokens['dispatcher']}"}
    reply = httpx.get(f"{base}/api/rescue/incidents/{incident}/board", headers=bearer, timeout=60)
    assert reply.status_code == 200, reply.text
    assert all(r["masked"] for r in reply.json()["requests"])
    shown = _writing(reply.json())
    page = httpx.get(f"{base}/board/rescue/{incident}", headers=bearer, timeout=60)
    assert page.status_code == 200
    for hidden in HIDDEN:
        assert hidden not in shown, hidden
        assert hidden not in page.text, hidden
    assert "138****5678" in page.text
    # The dispatcher is told where the full record is; the public is not.
    assert 'id="staff-board-note"' in page.text
    assert f'href="/console/rescue/{incident}"' in page.text
    public = httpx.get(f"{base}/board/rescue/{incident}", timeout=60)
    assert 'id="staff-board-note"' not in public.text
