"""Closing requests and incidents over HTTP on a real server (SQLite and PostgreSQL):
partial rescues, people counts, delivery states, field notes, closing an incident."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from zhengwu.audit.models import AuditEntry
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.schemas import TeamCreate

from .conftest import DISPATCHER, START, make_users

FIVE = "#郑州暴雨互助# 求助！郑州市金水区经三路12号院3号楼，一家5口被困二楼，有老人小孩，电话13700001234"
TWO = "#郑州暴雨互助# 求助！郑州市二七区大学路78号院，一共2个人被困，电话13900002222"
UNCOUNTED = "#郑州暴雨互助# 求助！郑州市中原区桐柏路9号院有人被困，水很深，电话13600005678"


def _auth(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def _team(engine: Engine) -> int:
    with Session(engine) as session:
        team = rescue_service.create_team(
            session, actor=DISPATCHER,
            data=TeamCreate(name="郑州蓝天救援队", area=["410100"], contact_phone="139 5555 3333"),
        )  # fmt: skip
        session.commit()
        assert team.contact_phone == "13955553333"
        return team.id


def _posts(*texts: tuple[str, str]) -> list[dict[str, Any]]:
    when = START.isoformat()
    out: list[dict[str, Any]] = []
    for post_id, text in texts:
        out.append({"post_id": post_id, "text": text, "posted_at": when})
        out.append({"post_id": f"{post_id}r", "text": "扩散", "posted_at": when,
                    "is_repost": True, "root_post_id": post_id, "root_text": text})  # fmt: skip
    return out


def _ids(api: httpx.Client, iid: int, headers: dict[str, str]) -> tuple[int, int, int]:
    """Return the requests of FIVE, TWO and UNCOUNTED, found by their phones."""
    items = api.get(f"/api/rescue/incidents/{iid}/queue", headers=headers).json()["items"]
    by_phone = {r["phones"][0]: r["id"] for r in items}
    return by_phone["13700001234"], by_phone["13900002222"], by_phone["13600005678"]


def _audit(engine: Engine, entity_type: str, entity_id: int) -> list[AuditEntry]:
    with Session(engine) as session:
        return list(session.scalars(
            select(AuditEntry).where(AuditEntry.entity_type == entity_type,
                                     AuditEntry.entity_id == entity_id).order_by(AuditEntry.id)
        ))  # fmt: skip


def test_partial_rescue_people_counts_and_notices_over_http(
    live_server: str, committed_engine: Engine
) -> None:
    team_id = _team(committed_engine)
    tokens = make_users(committed_engine, team_id=team_id)
    dispatcher, team = _auth(tokens["dispatcher"]), _auth(tokens["team"])
    with httpx.Client(base_url=live_server, timeout=60) as api:
        iid = api.post("/api/rescue/incidents", headers=dispatcher, json={
            "name": "郑州暴雨", "regions": ["410100"], "hashtags": ["#郑州暴雨互助#"],
            "starts_at": START.isoformat(), "hotline": "（0371）12345"}).json()["id"]  # fmt: skip
        assert api.get(f"/api/rescue/incidents/{iid}").json()["hotline"] == "0371-12345"
        api.post(f"/api/rescue/incidents/{iid}/posts", headers=dispatcher,
                 json=_posts(("5", FIVE), ("2", TWO), ("u", UNCOUNTED)))  # fmt: skip
        five, two, uncounted = _ids(api, iid, dispatcher)
        for rid in (five, two, uncounted):
            assigned = api.post(f"/api/rescue/requests/{rid}/assignments", headers=dispatcher,
                                json={"team_id": team_id})  # fmt: skip
            assert assigned.status_code == 200, assigned.text
        again = api.post(f"/api/rescue/requests/{five}/assignments", headers=dispatcher,
                         json={"team_id": team_id})  # fmt: skip
        assert again.status_code == 409
        assert "已派给队伍「郑州蓝天救援队」" in again.json()["message_zh"]

        # 2 of 5 rescued, with the team's field note: closing as rescued is refused.
        noted = api.post(f"/api/rescue/requests/{five}/fulfilments", headers=team,
                         json={"people": 2, "note": "二楼救出老人2名，三楼还有3人"}).json()  # fmt: skip
        assert noted["people_remaining"] == 3
        assert noted["fulfilments"][0]["note"] == "二楼救出老人2名，三楼还有3人"
        assert noted["fulfilments"][0]["team_name"] == "郑州蓝天救援队"
        masked = api.get(f"/api/rescue/requests/{five}").json()  # the public's view
        assert masked["masked"] and masked["fulfilments"][0]["note"] is None
        other_team = api.get(f"/api/rescue/requests/{five}", headers=_auth(tokens["other_team"]))
        assert other_team.status_code == 403 and "三楼还有3人" not in other_team.text
        refused = api.post(f"/api/rescue/requests/{five}/resolve", headers=dispatcher,
                           json={"outcome": "rescued"})  # fmt: skip
        assert refused.status_code == 409
        body = refused.json()
        assert (body["people_total"], body["people_helped"], body["people_remaining"]) == (5, 2, 3)
        assert "仍有 3 人待救" in body["message_zh"] and "3 people" in body["message_en"]
        no_reason = api.post(f"/api/rescue/requests/{five}/resolve", headers=dispatcher,
                             json={"outcome": "rescued", "confirm_partial": True})  # fmt: skip
        assert no_reason.status_code == 422
        assert (
            api.get(f"/api/rescue/requests/{five}", headers=dispatcher).json()["state"]
            == "on_scene"
        )
        by_hand = api.post(f"/api/rescue/requests/{five}/transitions", headers=dispatcher,
                           json={"to": "resolved"})  # fmt: skip
        assert by_hand.status_code == 409  # no way round the check
        closed = api.post(f"/api/rescue/requests/{five}/resolve", headers=dispatcher, json={
            "outcome": "rescued", "confirm_partial": True,
            "partial_reason": "其余3人由消防继续搜救"})  # fmt: skip
        assert closed.status_code == 200, closed.text
        assert (closed.json()["state"], closed.json()["people_helped"]) == ("resolved", 2)
        queued = api.get(f"/api/rescue/requests/{five}/notices", headers=dispatcher).json()
        assert [n["state"] for n in queued] == ["queued", "queued"]
        assert all("已救出 2 人，仍有 3 人待救" in n["body"] for n in queued)
        assert all("请勿重复救援" not in n["body"] for n in queued)
        # Another team's member may not open this request's notices (nor the request).
        hidden = api.get(
            f"/api/rescue/requests/{five}/notices", headers=_auth(tokens["other_team"])
        )
        assert hidden.status_code == 403 and "仍有 3 人待救" not in hidden.text

        # 1 of 2: the same refusal; a team that finds 5 raises the count instead of a 409.
        half = api.post(f"/api/rescue/requests/{two}/fulfilments", headers=team,
                        json={"people": 1}).json()  # fmt: skip
        assert half["people_remaining"] == 1
        assert api.post(f"/api/rescue/requests/{two}/resolve", headers=dispatcher,
                        json={"outcome": "rescued"}).status_code == 409  # fmt: skip
        more = api.post(f"/api/rescue/requests/{two}/fulfilments", headers=team,
                        json={"people": 5, "note": "隔壁还有4人"})  # fmt: skip
        assert more.status_code == 200, more.text
        assert (more.json()["people_total"], more.json()["people_helped"]) == (6, 6)
        raised = [e for e in _audit(committed_engine, "help_request", two) if e.action == "people"]
        assert [(e.data["from"], e.data["to"]) for e in raised] == [(2, 6)]
        corrected = api.post(f"/api/rescue/requests/{two}/people", headers=dispatcher,
                             json={"people_total": 8, "reason": "电话核实共8人"})  # fmt: skip
        assert corrected.json()["people_remaining"] == 2
        too_few = api.post(f"/api/rescue/requests/{two}/people", headers=dispatcher,
                           json={"people_total": 3, "reason": "x"})  # fmt: skip
        assert too_few.status_code == 409
        assert api.post(f"/api/rescue/requests/{two}/people", headers=team,
                        json={"people_total": 9, "reason": "x"}).status_code == 403  # fmt: skip
        assert api.post(f"/api/rescue/requests/{two}/people", headers=dispatcher,
                        json={"people_total": 9}).status_code == 422  # fmt: skip
        done = api.post(f"/api/rescue/requests/{two}/resolve", headers=dispatcher,
                        json={"outcome": "rescued", "people_helped": 8})  # fmt: skip
        assert (done.json()["people_helped"], done.json()["people_remaining"]) == (8, 0)

        # Nobody counted: the notice names no total.
        api.post(f"/api/rescue/requests/{uncounted}/fulfilments", headers=team, json={"people": 1})
        api.post(f"/api/rescue/requests/{uncounted}/resolve", headers=dispatcher,
                 json={"outcome": "rescued"})  # fmt: skip
        (text,) = {n["body"] for n in api.get(f"/api/rescue/requests/{uncounted}/notices",
                                              headers=dispatcher).json()}  # fmt: skip
        assert "（已救出 1 人）" in text and "共" not in text

        board = api.get(f"/api/rescue/incidents/{iid}/board").json()
        assert board["by_state"]["resolved"] == 3 and board["by_state"]["announced"] == 0
        assert board["people_helped"] == 2 + 8 + 1
        by_id = {n["request_id"]: n for n in board["notices"]}
        assert by_id[five]["partial"] and by_id[five]["people_remaining"] == 3
        assert "仍有 3 人待救" in by_id[five]["text"]
        assert "共 8 人" in by_id[two]["text"] and not by_id[two]["partial"]
        page = api.get(f"/board/rescue/{iid}").text
        assert "结束说明" in page and "已获救公告（请勿重复救援）" not in page
        assert "仍有 3 人待救" in page
        # The response times name their steps in Chinese, not by their codes.
        assert "<td>派出→结束</td><td>3</td>" in page and "<td>求助→结束（全程）</td>" in page
        assert "dispatched_to_resolved" not in page and "reported_to_verified" not in page


def test_closing_an_incident_with_open_requests_needs_force_and_a_reason(
    live_server: str, committed_engine: Engine
) -> None:
    tokens = make_users(committed_engine, team_id=_team(committed_engine))
    dispatcher = _auth(tokens["dispatcher"])
    with httpx.Client(base_url=live_server, timeout=60) as api:
        iid = api.post("/api/rescue/incidents", headers=dispatcher, json={
            "name": "郑州暴雨", "regions": ["410100"], "hashtags": ["#郑州暴雨互助#"],
            "starts_at": START.isoformat(), "hotline": "0371-12345"}).json()["id"]  # fmt: skip
        api.post(f"/api/rescue/incidents/{iid}/posts", headers=dispatcher,
                 json=_posts(("5", FIVE), ("2", TWO), ("u", UNCOUNTED)))  # fmt: skip
        first, _, _ = _ids(api, iid, dispatcher)
        api.post(f"/api/rescue/requests/{first}/verifications", headers=_auth(tokens["verifier"]),
                 json={"method": "phone", "result": "confirmed"})  # fmt: skip
        refused = api.patch(f"/api/rescue/incidents/{iid}", headers=dispatcher,
                            json={"status": "closed"})  # fmt: skip
        assert refused.status_code == 409
        body = refused.json()
        assert body["open_requests"] == {"new": 2, "verified": 1}
        assert "还有 3 件求助未结束（待核实 2、已核实 1）" in body["message_zh"]
        assert "3 open help requests (new 2, verified 1)" in body["message_en"]
        assert api.get(f"/api/rescue/incidents/{iid}").json()["status"] == "active"
        no_reason = api.patch(f"/api/rescue/incidents/{iid}", headers=dispatcher,
                              json={"status": "closed", "force": True})  # fmt: skip
        assert no_reason.status_code == 422
        forced = api.patch(f"/api/rescue/incidents/{iid}", headers=dispatcher, json={
            "status": "closed", "force": True, "reason": "转交 119 指挥中心继续跟进"})  # fmt: skip
        assert forced.status_code == 200 and forced.json()["status"] == "closed"
        assert "force" not in forced.json()
        entry = _audit(committed_engine, "rescue_incident", iid)[-1]
        assert entry.reason == "转交 119 指挥中心继续跟进"
        assert entry.data["open_requests"] == {"new": 2, "verified": 1}

        form = api.get(f"/board/rescue/{iid}/help")
        assert form.status_code == 200
        assert 'name="text"' not in form.text and "<form" not in form.text
        assert "网上求助已停止受理" in form.text and "0371-12345" in form.text
        sent = api.post(
            f"/board/rescue/{iid}/help", data={"text": "还有人被困", "phone": "13700007777"}
        )
        assert sent.status_code == 409 and "0371-12345" in sent.text
        refused = api.post(f"/api/rescue/incidents/{iid}/help", json={"text": "还有人被困"})
        assert refused.status_code == 409
        # The API's refusal names the hotline too, as the form does (it named none).
        assert "如仍需救援请拨打 0371-12345" in refused.json()["message_zh"]
        assert "call 0371-12345" in refused.json()["message_en"]
        board = api.get(f"/board/rescue/{iid}").text
        assert "我要求助" not in board and "灾情已结束" in board and "0371-12345" in board
