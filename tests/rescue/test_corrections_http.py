"""The coordinator corrects the machine over HTTP on a real server (SQLite and PostgreSQL):
edit a request's fields, merge two requests the de-duplicator missed, split one back out."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from zhengwu.audit.models import AuditEntry
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.schemas import IncidentCreate, TeamCreate

from .conftest import DISPATCHER, START, make_users

FIVE = "#郑州暴雨互助# 求助！郑州市金水区经三路12号院3号楼，一家5口被困二楼，有老人小孩，电话13700001234"
# The same family, told by a neighbour in other words: the de-duplicator cannot tell.
RETOLD = "#郑州暴雨互助# 邻居家被困了好几个人，在经三路那边，请联系她女儿13911112222，急！"
TWO = "#郑州暴雨互助# 求助！郑州市二七区大学路78号院，一共2个人被困，电话13900002222"

World = tuple[httpx.Client, dict[str, str], int, int]


def _auth(token: str | None) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"} if token else {}


@pytest.fixture
def world(live_server: str, committed_engine: Engine) -> Any:
    """An incident with three requests (FIVE, RETOLD, TWO), a team, and users per role."""
    with Session(committed_engine) as session:
        incident = rescue_service.create_incident(session, actor=DISPATCHER, data=IncidentCreate(
            name="更正测试", regions=["410100"], hashtags=["郑州暴雨互助"], starts_at=START))  # fmt: skip
        team = rescue_service.create_team(session, data=TeamCreate(name="B队"), actor=DISPATCHER)
        iid, tid = incident.id, team.id
        session.commit()
    tokens = make_users(committed_engine, team_id=tid)
    with httpx.Client(base_url=live_server, timeout=60) as api:
        posts = [{"post_id": i, "text": t, "posted_at": START.isoformat()}
                 for i, t in (("1", FIVE), ("2", RETOLD), ("3", TWO))]  # fmt: skip
        report = api.post(f"/api/rescue/incidents/{iid}/posts", json=posts,
                          headers=_auth(tokens["dispatcher"]))  # fmt: skip
        assert report.status_code == 200, report.text
        assert report.json()["new_requests"] == 3
        yield api, tokens, iid, tid


def _ids(api: httpx.Client, iid: int, token: str) -> dict[str, int]:
    items = api.get(f"/api/rescue/incidents/{iid}/queue", headers=_auth(token)).json()["items"]
    return {r["sources"][0]["post_id"]: r["id"] for r in items}


def _audit(engine: Engine, entity_id: int, action: str) -> list[AuditEntry]:
    with Session(engine) as session:
        return list(session.scalars(
            select(AuditEntry).where(AuditEntry.entity_type == "help_request",
                                     AuditEntry.entity_id == entity_id,
                                     AuditEntry.action == action).order_by(AuditEntry.id)
        ))  # fmt: skip


def test_coordinator_edits_the_extracted_fields(world: World, committed_engine: Engine) -> None:
    api, tokens, iid, _ = world
    ids = _ids(api, iid, tokens["dispatcher"])
    rid = ids["2"]
    path = f"/api/rescue/requests/{rid}"
    before = api.get(path, headers=_auth(tokens["dispatcher"])).json()
    assert before["address"] is None or "12号院" not in before["address"]
    edit = {"address": "郑州市金水区经三路12号院3号楼", "people_total": 5,
            "phones": ["139 1111 2222", "13700001234"], "urgency": "critical",
            "needs": ["trapped", "evacuation"], "vulnerabilities": ["elderly", "child"],
            "hazard": "水已到二楼", "reason": "电话核实：一家5口，有老人小孩"}  # fmt: skip
    done = api.patch(path, json=edit, headers=_auth(tokens["verifier"]))
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["address"] == "郑州市金水区经三路12号院3号楼"
    assert body["adcode"] == "410105"  # placed again from the new address
    assert body["phones"] == ["13911112222", "13700001234"]
    assert body["people_total"] == 5 and body["urgency"] == "critical"
    assert body["needs"] == ["trapped", "evacuation"]
    assert body["vulnerabilities"] == ["elderly", "child"]
    assert "address" not in body["missing"] and "people" not in body["missing"]
    assert body["sources"][0]["text"] == RETOLD  # what was posted is kept
    [entry] = _audit(committed_engine, rid, "edit")
    assert entry.reason == "电话核实：一家5口，有老人小孩"
    assert entry.actor_name and entry.data is not None
    assert entry.data["people_total"] == {"from": before["people_total"], "to": 5}
    assert entry.data["urgency"] == {"from": before["urgency"], "to": "critical"}
    assert entry.data["phones"]["to"] == ["13911112222", "13700001234"]
    # The public sees the corrected fields masked; another team may not open the request.
    other_team = api.get(path, headers=_auth(tokens["other_team"]))
    assert other_team.status_code == 403 and "13911112222" not in other_team.text
    shown = api.get(path, headers=_auth(None)).json()
    assert shown["masked"] is True
    assert shown["phones"] == ["139****2222", "137****1234"]
    assert "12号院" not in (shown["address"] or "")
    assert shown["people_total"] == 5
    # The same values again change nothing and write nothing.
    again = api.patch(path, json=edit, headers=_auth(tokens["dispatcher"]))
    assert again.status_code == 200
    assert len(_audit(committed_engine, rid, "edit")) == 1


def _post(api: httpx.Client, iid: int, token: str, post_id: str, text: str) -> dict[str, Any]:
    sent = [{"post_id": post_id, "text": text, "posted_at": START.isoformat()}]
    report = api.post(f"/api/rescue/incidents/{iid}/posts", json=sent, headers=_auth(token))
    assert report.status_code == 200, report.text
    body: dict[str, Any] = report.json()
    return body


def test_a_corrected_phone_or_address_merges_later_posts(world: World) -> None:
    """Editing the phones or address recomputes the request's match keys: a later post
    with the corrected phone (or address) joins it, a copy of the first post still does,
    and a phone replaced by a second correction no longer leads to it."""
    api, tokens, iid, _ = world
    dispatcher = tokens["dispatcher"]
    rid = _ids(api, iid, dispatcher)["3"]  # TWO: 大学路78号院, 13900002222
    path = f"/api/rescue/requests/{rid}"
    first = api.patch(path, json={"phones": ["13655556666"], "reason": "电话打错了一位"},
                      headers=_auth(dispatcher))  # fmt: skip
    assert first.status_code == 200, first.text
    fixed = api.patch(path, json={"phones": ["13655557777"], "reason": "家属给的正确号码"},
                      headers=_auth(dispatcher))  # fmt: skip
    assert fixed.json()["phones"] == ["13655557777"]
    # A post in other words, with only the corrected phone, joins the request.
    later = "#郑州暴雨互助# 求助！我爸妈被困在家里没出来，水很深了，请打13655557777"
    joined = _post(api, iid, dispatcher, "10", later)
    assert (joined["new_requests"], joined["merged"]) == (0, 1), joined
    sources = api.get(path, headers=_auth(dispatcher)).json()["sources"]
    assert [s["post_id"] for s in sources] == ["3", "10"]
    assert sources[1]["merged_by"] == "phone"
    # The number the first correction gave (and then replaced) leads nowhere now.
    stale = "#郑州暴雨互助# 有人被困，水很深，不知道具体在哪，电话13655556666"
    assert _post(api, iid, dispatcher, "11", stale)["new_requests"] == 1
    # A post with the corrected address (and no phone) joins it too.
    moved = api.patch(path, json={"address": "郑州市二七区大学路80号院5号楼", "reason": "门牌核实"},
                      headers=_auth(dispatcher))  # fmt: skip
    assert moved.status_code == 200, moved.text
    there = "#郑州暴雨互助# 求助！郑州市二七区大学路80号院5号楼还有人被困没撤出来"
    assert _post(api, iid, dispatcher, "12", there)["new_requests"] == 0
    sources = api.get(path, headers=_auth(dispatcher)).json()["sources"]
    assert [s["post_id"] for s in sources] == ["3", "10", "12"]


def test_edits_are_refused_when_they_should_be(world: World, committed_engine: Engine) -> None:
    api, tokens, iid, tid = world
    ids = _ids(api, iid, tokens["dispatcher"])
    path = f"/api/rescue/requests/{ids['3']}"
    dispatcher = _auth(tokens["dispatcher"])
    team = api.patch(path, json={"urgency": "urgent", "reason": "x"}, headers=_auth(tokens["team"]))
    assert team.status_code == 403
    public = api.patch(path, json={"urgency": "urgent", "reason": "x"})
    assert public.status_code in (401, 403)
    no_reason = api.patch(path, json={"urgency": "urgent"}, headers=dispatcher)
    assert no_reason.status_code == 422
    blank = api.patch(path, json={"urgency": "urgent", "reason": "   "}, headers=dispatcher)
    assert blank.status_code == 422
    assert "reason：请填写理由" in blank.json()["message_zh"]  # was a bare 取值无效
    assert "a reason is required" in blank.json()["message_en"]
    bad_phone = api.patch(path, json={"phones": ["12ab"], "reason": "x"}, headers=dispatcher)
    assert bad_phone.status_code == 422
    assert bad_phone.json()["message_zh"] and bad_phone.json()["message_en"]
    # A hotline reaches no one of the family: typed over their number, it lost their only
    # phone (the console's form stored 12345 in place of the mobile, with no error).
    hotline = api.patch(path, json={"phones": ["12345"], "reason": "x"}, headers=dispatcher)
    assert hotline.status_code == 422, hotline.text
    assert "12345" in hotline.json()["message_zh"] and hotline.json()["message_en"]
    assert api.get(path, headers=dispatcher).json()["phones"] == ["13900002222"]
    # The console's text area sends its lines with CRLF: the same text is no change (every
    # console edit recorded 情况 as changed and stored it with \r\n).
    lines = api.patch(path, json={"text": "大学路78号院一共2个人被困\n电话13900002222",
                                  "reason": "x"}, headers=dispatcher)  # fmt: skip
    assert lines.is_success, lines.text
    same = api.patch(path, json={"text": "大学路78号院一共2个人被困\r\n电话13900002222\r\n",
                                 "urgency": "urgent", "reason": "y"}, headers=dispatcher)  # fmt: skip
    assert same.is_success, same.text
    assert same.json()["text"] == "大学路78号院一共2个人被困\n电话13900002222"
    assert set(_audit(committed_engine, ids["3"], "edit")[-1].data) == {"urgency"}
    bad_need = api.patch(path, json={"needs": ["boat"], "reason": "x"}, headers=dispatcher)
    assert bad_need.status_code == 422 and "boat" in bad_need.json()["message_en"]
    stale = api.patch(path, json={"urgency": "urgent", "reason": "x", "expected_version": 99},
                      headers=dispatcher)  # fmt: skip
    assert stale.status_code == 409 and "请刷新" in stale.json()["message_zh"]
    # A team helped 2: the count cannot go below that.
    assert api.post(f"{path}/assignments", json={"team_id": tid}, headers=dispatcher).is_success
    helped = api.post(f"{path}/fulfilments", json={"people": 2, "outcome": "rescued"},
                      headers=dispatcher)  # fmt: skip
    assert helped.is_success, helped.text
    low = api.patch(path, json={"people_total": 1, "reason": "x"}, headers=dispatcher)
    assert low.status_code == 409 and "已救出 2 人" in low.json()["message_zh"]
    closed = api.post(f"{path}/resolve", json={"outcome": "rescued"}, headers=dispatcher)
    assert closed.is_success, closed.text
    late = api.patch(path, json={"urgency": "urgent", "reason": "x"}, headers=dispatcher)
    assert late.status_code == 409
    assert "不能更正" in late.json()["message_zh"] and "cannot edit" in late.json()["message_en"]


def test_merge_two_requests_and_split_one_back(world: World, committed_engine: Engine) -> None:
    api, tokens, iid, tid = world
    dispatcher = _auth(tokens["dispatcher"])
    ids = _ids(api, iid, tokens["dispatcher"])
    survivor, other, third = ids["1"], ids["2"], ids["3"]
    checked = api.post(f"/api/rescue/requests/{other}/verifications", headers=dispatcher,
                       json={"method": "phone", "result": "confirmed", "note": "女儿确认"})  # fmt: skip
    assert checked.is_success
    refused = api.post(f"/api/rescue/requests/{survivor}/merge", headers=_auth(tokens["verifier"]),
                       json={"other_id": other, "reason": "同一家人"})  # fmt: skip
    assert refused.status_code == 403
    merged = api.post(f"/api/rescue/requests/{survivor}/merge", headers=dispatcher,
                      json={"other_id": other, "reason": "同一家人，邻居转述"})  # fmt: skip
    assert merged.status_code == 200, merged.text
    body = merged.json()
    assert sorted(s["post_id"] for s in body["sources"]) == ["1", "2"]
    assert body["phones"] == ["13700001234", "13911112222"]
    assert body["people_total"] == 5  # the larger count
    assert [v["note"] for v in body["verifications"]] == ["女儿确认"]
    assert body["verification"] == "confirmed" and body["state"] == "verified"
    gone = api.get(f"/api/rescue/requests/{other}", headers=dispatcher).json()
    assert gone["state"] == "merged" and gone["merged_into_id"] == survivor
    assert gone["sources"] == []
    queue = api.get(f"/api/rescue/incidents/{iid}/queue", headers=dispatcher).json()
    assert sorted(r["id"] for r in queue["items"]) == sorted([survivor, third])
    board = api.get(f"/api/rescue/incidents/{iid}/board").json()
    assert board["total"] == 2
    assert _audit(committed_engine, survivor, "merge_manual")[0].data["merged"] == other
    assert _audit(committed_engine, other, "merged_into")[0].to_state == "merged"
    # A merged request cannot be merged again, nor into itself.
    again = api.post(f"/api/rescue/requests/{third}/merge", headers=dispatcher,
                     json={"other_id": other, "reason": "x"})  # fmt: skip
    assert again.status_code == 409 and "已合并" in again.json()["message_zh"]
    itself = api.post(f"/api/rescue/requests/{third}/merge", headers=dispatcher,
                      json={"other_id": third, "reason": "x"})  # fmt: skip
    assert itself.status_code == 409
    # A request a team holds is not merged away; merging into it works, with a chosen count.
    assert api.post(f"/api/rescue/requests/{third}/assignments", json={"team_id": tid},
                    headers=dispatcher).is_success  # fmt: skip
    held = api.post(f"/api/rescue/requests/{survivor}/merge", headers=dispatcher,
                    json={"other_id": third, "reason": "x"})  # fmt: skip
    assert held.status_code == 409
    assert (
        f"#{third}" in held.json()["message_zh"] and "held by a team" in held.json()["message_en"]
    )
    into_held = api.post(f"/api/rescue/requests/{third}/merge", headers=dispatcher,
                         json={"other_id": survivor, "reason": "同一小区一起救", "people_total": 7})  # fmt: skip
    assert into_held.status_code == 200, into_held.text
    assert into_held.json()["people_total"] == 7 and into_held.json()["state"] == "dispatched"
    assert into_held.json()["mirrors"] == 3
    # Undo: split the retold post back out into a request of its own.
    source = next(s for s in into_held.json()["sources"] if s["post_id"] == "2")
    split = api.post(f"/api/rescue/sources/{source['id']}/unmerge", headers=dispatcher,
                     json={"reason": "不是同一家"})  # fmt: skip
    assert split.status_code == 201, split.text
    assert [s["post_id"] for s in split.json()["sources"]] == ["2"]
    assert split.json()["state"] == "new"
    left = api.get(f"/api/rescue/requests/{third}", headers=dispatcher).json()
    assert sorted(s["post_id"] for s in left["sources"]) == ["1", "3"]


PRAYER = "#郑州暴雨互助# 祈福郑州，愿大家平安！"
# A help post the extractor does not read as help: no phone, no count, no need words.
TERSE = "#郑州暴雨互助# 经三路12号院那边还有人吗，好几天没消息了"


def test_manual_entry_and_set_aside_inputs(world: World, committed_engine: Engine) -> None:
    api, tokens, iid, _ = world
    dispatcher, verifier = _auth(tokens["dispatcher"]), _auth(tokens["verifier"])
    call = {"text": "电话求助：一家5口被困二楼，有老人小孩", "phone": "137 0000 1234",
            "address": "郑州市金水区经三路12号院3号楼", "people": 5}  # fmt: skip
    assert api.post(f"/api/rescue/incidents/{iid}/manual", json=call,
                    headers=_auth(tokens["team"])).status_code == 403  # fmt: skip
    entered = api.post(f"/api/rescue/incidents/{iid}/manual", json=call, headers=verifier)
    assert entered.status_code == 201, entered.text
    body = entered.json()
    # The call repeats post 1 (same phone): it joins that request, channel phone.
    assert body["id"] == _ids(api, iid, tokens["dispatcher"])["1"]
    assert sorted(s["channel"] for s in body["sources"]) == ["phone", "post"]
    new = api.post(f"/api/rescue/incidents/{iid}/manual", headers=dispatcher,
                   json={"text": "对讲机报告：桐柏路9号院2人被困", "people": 2})  # fmt: skip
    assert new.status_code == 201 and new.json()["sources"][0]["channel"] == "phone"
    assert new.json()["people_total"] == 2
    bad = api.post(f"/api/rescue/incidents/{iid}/manual", headers=dispatcher,
                   json={"text": "x", "phone": "not-a-phone"})  # fmt: skip
    assert bad.status_code == 422
    # Set-aside posts are listed with their reason and can be promoted.
    posts = [{"post_id": i, "text": t, "posted_at": START.isoformat(), "author": f"u{i}",
              "url": f"https://m.weibo.cn/detail/{i}"}
             for i, t in (("9", PRAYER), ("10", TERSE))]  # fmt: skip
    report = api.post(f"/api/rescue/incidents/{iid}/posts", json=posts, headers=dispatcher).json()
    assert report["ignored"] == 2
    assert api.get(f"/api/rescue/incidents/{iid}/set-aside",
                   headers=_auth(tokens["team"])).status_code == 403  # fmt: skip
    listed = api.get(f"/api/rescue/incidents/{iid}/set-aside?kind=ignored", headers=verifier)
    assert listed.status_code == 200
    page = listed.json()
    assert page["total"] == 2
    terse = next(i for i in page["items"] if i["post_id"] == "10")
    assert "not a help post" in terse["reason"] and terse["text"] == TERSE
    # Where it came from, as its source will show it (a verifier sees requests in full).
    assert (terse["url"], terse["author"]) == ("https://m.weibo.cn/detail/10", "u10")
    assert datetime.fromisoformat(terse["posted_at"]) == START
    assert api.get(f"/api/rescue/incidents/{iid}/set-aside?kind=quarantined",
                   headers=verifier).json()["total"] == 0  # fmt: skip
    no_reason = api.post(f"/api/rescue/set-aside/{terse['id']}/promote", json={"reason": " "},
                         headers=dispatcher)  # fmt: skip
    assert no_reason.status_code == 422
    promoted = api.post(f"/api/rescue/set-aside/{terse['id']}/promote",
                        json={"reason": "邻居在找人，需核实"}, headers=dispatcher)  # fmt: skip
    assert promoted.status_code == 201, promoted.text
    assert [s["post_id"] for s in promoted.json()["sources"]] == ["10"]
    (source,) = promoted.json()["sources"]
    assert (source["url"], source["author"]) == ("https://m.weibo.cn/detail/10", "u10")
    assert source["posted_at"] == promoted.json()["reported_at"] == terse["posted_at"]
    assert _audit(committed_engine, promoted.json()["id"], "promote")[0].data["post_id"] == "10"
    after = api.get(f"/api/rescue/incidents/{iid}/set-aside", headers=verifier).json()
    assert [i["post_id"] for i in after["items"]] == ["9"]
    # Re-sending the post changes nothing: it is now a request's source.
    again = api.post(f"/api/rescue/incidents/{iid}/posts", json=posts, headers=dispatcher).json()
    assert again["known"] == 2 and again["ignored"] == 0


WECHAT = "#郑州暴雨互助# 求助！郑州市中原区桐柏路56号院，一家3口被困三楼，电话13566667777"


def test_a_long_wechat_link_and_author_are_kept(world: World) -> None:
    """A WeChat article's link runs past 256 characters and a display name past 128: the
    post is taken in (PostgreSQL refused the whole batch before 0028) and its source shows
    both whole; a link past 2,048 characters is a 422 naming the field."""
    api, tokens, iid, _ = world
    dispatcher = _auth(tokens["dispatcher"])
    link = ("https://mp.weixin.qq.com/s?__biz=MzA3NjE1NzYxNQ==&mid=2651234567&idx=1"
            "&sn=" + "0123456789abcdef" * 4 + "&chksm=" + "84f1c2a9b3" * 20 + "#rd")  # fmt: skip
    author = "郑州市金水区应急管理局官方微信公众号转发" * 8
    assert len(link) > 256 and len(author) > 128
    sent = [{"post_id": "wx-1", "text": WECHAT, "posted_at": START.isoformat(),
             "url": link, "author": author}]  # fmt: skip
    report = api.post(f"/api/rescue/incidents/{iid}/posts", json=sent, headers=dispatcher)
    assert report.status_code == 200, report.text
    items = api.get(f"/api/rescue/incidents/{iid}/queue?limit=50", headers=dispatcher).json()
    sources = [s for r in items["items"] for s in r["sources"] if s["post_id"] == "wx-1"]
    assert sources and sources[0]["url"] == link
    too_long = [{**sent[0], "post_id": "wx-2", "url": "https://a.cn/" + "x" * 2048}]
    refused = api.post(f"/api/rescue/incidents/{iid}/posts", json=too_long, headers=dispatcher)
    assert refused.status_code == 422
    assert "url" in refused.text
