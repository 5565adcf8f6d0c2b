"""A citizen's satisfaction rating (回访) is their own feedback: the public board, the public
API and Open311 never show it; the citizen's private link and the handling staff do
(SQLite and PostgreSQL)."""

from __future__ import annotations

import html

import httpx
from sqlalchemy.orm import Session

from zhengwu.servicedesk import access, presenters, service
from zhengwu.servicedesk.actions import perform
from zhengwu.servicedesk.schemas import ActionInput, RequestIntake
from zhengwu.servicedesk.service import SYSTEM

from .conftest import World


def _act(client: httpx.Client, world: World, who: str, public_id: str, action: str,
         **body: object) -> None:  # fmt: skip
    response = client.post(f"/api/desk/requests/{public_id}/{action}", json=body,
                           headers=world.headers(who))  # fmt: skip
    assert response.status_code == 200, response.text


def test_a_rating_shows_to_the_citizen_and_the_handlers_only(
    live_server: str, committed_world: World
) -> None:
    w = committed_world
    with httpx.Client(base_url=live_server, timeout=120) as client:
        receipt = client.post("/api/requests", data={
            "text": "郑州市金水区花园路8号院电梯停运两周", "citizen_phone": "13912345678",
        }).json()  # fmt: skip
        pid, token = receipt["public_id"], receipt["citizen_token"]
        _act(client, w, "js_housing", pid, "accept")
        _act(client, w, "js_housing", pid, "cohandle", helper_organization_ids=[w.orgs["police"]])
        _act(client, w, "js_housing", pid, "resolve", reply_text="电梯已恢复运行。")
        rated = client.post(f"/api/requests/{pid}/rate", json={"token": token, "satisfaction": 2})
        assert rated.status_code == 200, rated.text
        assert rated.json()["satisfaction"] == 2  # the citizen's own answer

        # The public: the board's list, the request, its page, Open311 (JSON and XML).
        [row] = client.get("/api/public/requests").json()["requests"]
        assert row["public_id"] == pid and row["satisfaction"] is None
        assert client.get(f"/api/public/requests/{pid}").json()["satisfaction"] is None
        assert "满意度：" not in html.unescape(client.get(f"/board/requests/{pid}").text)
        [record] = client.get(f"/open311/v2/requests/{pid}.json").json()
        assert not any("satisf" in key for key in record)
        assert "satisf" not in client.get(f"/open311/v2/requests/{pid}.xml").text

        # The citizen, with their token: their own rating.
        own = client.get(f"/api/public/requests/{pid}", params={"token": token}).json()
        assert own["satisfaction"] == 2
        page = html.unescape(client.get(f"/board/requests/{pid}", params={"token": token}).text)
        assert "满意度：2 / 5" in page

        # Staff: the handling and co-handling bodies read it.
        handler = client.get(f"/api/desk/requests/{pid}", headers=w.headers("js_housing")).json()
        assert handler["masked"] is False
        assert handler["satisfaction"] == 2
        assert [r["satisfaction"] for r in handler["ratings"]] == [2]
        helper = client.get(f"/api/desk/requests/{pid}", headers=w.headers("police")).json()
        assert helper["masked"] is False and helper["satisfaction"] == 2


def test_a_masked_reader_of_a_request_gets_no_rating(session: Session, world: World) -> None:
    """Whoever reads a request masked (a matrix office opening another matrix's request
    its call was merged into) reads neither its rating nor its earlier ratings."""
    request = service.receive(session, actor=SYSTEM, intake=RequestIntake(
        source="form", text="金水区路灯不亮", region="金水区", category_code="0103",
    )).request  # fmt: skip
    handler = world.principals["js_housing"]
    for action, data in (("accept", {}), ("resolve", {"reply_text": "已修复"}),
                         ("follow_up", {"satisfaction": 1})):  # fmt: skip
        who = SYSTEM if action == "follow_up" else handler
        perform(session, request=request, action=action, actor=who,
                data=ActionInput.model_validate(data))  # fmt: skip
    full = presenters.detail(session, request, handler)
    assert (full.masked, full.satisfaction, [r.satisfaction for r in full.ratings]) == (
        False,
        1,
        [1],
    )
    outsider = world.principals["ly_office"]
    assert not access.can_read(outsider, request)
    masked = presenters.detail(session, request, outsider)
    assert (masked.masked, masked.satisfaction, masked.ratings) == (True, None, [])
