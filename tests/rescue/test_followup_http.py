"""A citizen's follow-up over HTTP on a real server (SQLite and PostgreSQL): submit the
public form → keep the private link and code → see the status → add an update (the queue
flags new info, the request is re-triaged) → withdraw (closed with the citizen's wording,
never "rescued" by a team, audited)."""

from __future__ import annotations

import hashlib
import html
import re

import httpx
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from zhengwu.audit.models import AuditEntry
from zhengwu.rescue import followup, intake, notices
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.models import Assignment, HelpFollowup, HelpRequest, HelpSource
from zhengwu.rescue.schemas import IncidentCreate, TeamCreate

from .conftest import DISPATCHER, ORIGINAL, START, make_users, post

FORM = {"text": "一楼进水，老人出不去", "address": "郑州市中原区桐柏路2号院", "people": "2",
        "name": "李四", "phone": "137 0000 7777"}  # fmt: skip


def _setup(engine: Engine) -> tuple[int, int]:
    with Session(engine) as session:
        incident = rescue_service.create_incident(session, data=IncidentCreate(
            name="跟进测试", regions=["410100"], starts_at=START), actor=DISPATCHER)  # fmt: skip
        team = rescue_service.create_team(session, data=TeamCreate(
            name="郑州蓝天救援队", area=["410100"], contact_name="王队长",
            contact_phone="13911112222"), actor=DISPATCHER)  # fmt: skip
        session.commit()
        return incident.id, team.id


def _auth(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def test_citizen_submits_follows_up_updates_and_withdraws(
    live_server: str, committed_engine: Engine
) -> None:
    iid, team_id = _setup(committed_engine)
    tokens = make_users(committed_engine, team_id=team_id)
    with httpx.Client(base_url=live_server, timeout=60) as web:
        receipt = web.post(f"/board/rescue/{iid}/help", data=FORM)
        assert receipt.status_code == 201
        assert receipt.headers["referrer-policy"] == "no-referrer"
        assert receipt.headers["cache-control"] == "no-store"
        link = re.search(
            r'id="followup-link" href="(/board/rescue/followup/([\w-]+))"', receipt.text
        )
        code = re.search(r'id="followup-code">(\d{6})<', receipt.text)
        assert link and code, receipt.text
        url, token = link.group(1), link.group(2)
        assert len(token) >= 32
        assert "只显示这一次" in receipt.text

        # Only hashes are stored.
        with Session(committed_engine) as session:
            key = session.scalars(select(HelpFollowup)).one()
            rid = key.request_id
            assert key.token_hash == hashlib.sha256(token.encode()).hexdigest()
            assert (
                key.lookup_hash
                == hashlib.sha256(f"13700007777:{code.group(1)}".encode()).hexdigest()
            )
            assert token not in (key.token_hash, key.lookup_hash)

        page = web.get(url)
        assert page.status_code == 200 and 'id="status-received"' in page.text
        assert page.headers["referrer-policy"] == "no-referrer"
        by_code = web.post("/board/rescue/followup", data={"phone": "137-0000-7777",
                                                           "code": code.group(1)})  # fmt: skip
        assert by_code.status_code == 200 and f"编号 #{rid}" in by_code.text
        wrong = web.post("/api/rescue/followup/status",
                         json={"phone": "13700007777", "code": "000000" if code.group(1) != "000000" else "111111"})  # fmt: skip
        assert wrong.status_code == 404
        assert "跟进链接或查询码无效" in wrong.json()["message_zh"]
        assert "not valid" in wrong.json()["message_en"]
        assert web.post("/api/rescue/followup/status", json={"token": "x" * 32}).status_code == 404

        status = web.post("/api/rescue/followup/status", json={"token": token}).json()
        assert (status["request_id"], status["status"], status["open"]) == (rid, "received", True)

    with httpx.Client(base_url=live_server, timeout=60) as api:
        verifier, dispatcher = _auth(tokens["verifier"]), _auth(tokens["dispatcher"])
        verified = api.post(f"/api/rescue/requests/{rid}/verifications", headers=verifier,
                            json={"method": "phone", "result": "confirmed"})  # fmt: skip
        assert verified.status_code == 200
        assert "new_info" not in verified.json()["flags"]
        status = api.post("/api/rescue/followup/status", json={"token": token})
        assert status.json()["status"] == "verified"
        sent = api.post(f"/api/rescue/requests/{rid}/assignments", headers=dispatcher,
                        json={"team_id": team_id})  # fmt: skip
        assert sent.status_code == 200
        status = api.post("/api/rescue/followup/status", json={"token": token})
        assert status.json()["status"] == "dispatched"
        assert status.json()["team_name"] == "郑州蓝天救援队"
        # The team's members' personal data is not in what the citizen sees.
        assert "13911112222" not in status.text and "王队长" not in status.text

    with httpx.Client(base_url=live_server, timeout=60) as web:
        updated = web.post("/board/rescue/followup/update", data={
            "token": token, "text": "水涨到二楼了，邻居家孕妇也在这里", "people": "5",
            "new_phone": "139 0000 1234"})  # fmt: skip
        assert updated.status_code == 200, updated.text
        assert 'id="followup-message"' in updated.text
        assert "水涨到二楼了" in html.unescape(updated.text)
        refused = web.post("/board/rescue/followup/update", data={"token": token, "text": "x",
                                                                  "people": "abc"})  # fmt: skip
        assert refused.status_code == 422 and 'id="followup-error"' in refused.text
        fewer = web.post("/api/rescue/followup/updates",
                         json={"token": token, "text": "有两个人先走了", "people": 3})  # fmt: skip
        assert fewer.status_code == 201
        assert fewer.json()["people_total"] == 5  # fewer people is for a coordinator to correct
        assert len(fewer.json()["updates"]) == 2

    with httpx.Client(base_url=live_server, timeout=60) as api:
        queue = api.get(f"/api/rescue/incidents/{iid}/queue", headers=dispatcher).json()
        item = next(i for i in queue["items"] if i["id"] == rid)
        assert "new_info" in item["flags"]
        assert item["people_total"] == 5
        assert "13900001234" in item["phones"]
        assert "pregnant" in item["vulnerabilities"]
        kinds = [(s["platform"], s["kind"]) for s in item["sources"]]
        assert kinds.count(("followup", "update")) == 2

        withdrawn = api.post("/api/rescue/followup/withdraw", json={
            "phone": "13700007777", "code": code.group(1), "reason": "self_rescued",
            "note": "邻居用船接我们出来了"})  # fmt: skip
        assert withdrawn.status_code == 200, withdrawn.text
        body = withdrawn.json()
        assert (body["status"], body["withdrawn"], body["open"]) == ("closed", True, False)
        assert body["outcome"] == "self_rescued" and body["people_helped"] == 0
        queue = api.get(f"/api/rescue/incidents/{iid}/queue", headers=dispatcher).json()
        assert rid not in [i["id"] for i in queue["items"]]
        again = api.post(
            "/api/rescue/followup/withdraw", json={"token": token, "reason": "withdrawn"}
        )
        assert again.status_code == 409
        late = api.post("/api/rescue/followup/updates", json={"token": token, "text": "还在吗"})
        assert late.status_code == 409
        board = api.get(f"/board/rescue/{iid}").text
        assert "【求助人已脱险】求助人于" in board
        times = api.get(f"/api/rescue/incidents/{iid}/board").json()["response_times"]
        assert times["reported_to_resolved"]["count"] == 0  # not resolved by the network
        assert times["reported_to_dispatched"]["count"] == 1

    with Session(committed_engine) as session:
        request = session.get(HelpRequest, rid)
        assert request is not None
        assert (request.state, request.outcome, request.team_id) == (
            "announced",
            "self_rescued",
            team_id,
        )
        assert not any(a.active for a in session.scalars(select(Assignment)))
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.entity_id == rid).order_by(AuditEntry.id)
        ).all()
        actions = [(e.action, e.actor_name) for e in entries]
        assert actions.count(("citizen_update", "求助人（跟进链接）")) == 2
        assert ("withdraw", "求助人（跟进链接）") in actions
        withdraw = next(e for e in entries if e.action == "withdraw")
        assert withdraw.reason == "求助人撤回：已自行脱险/已获救（邻居用船接我们出来了）"


def test_follow_up_calls_are_rate_limited(live_server: str, committed_engine: Engine) -> None:
    with httpx.Client(base_url=live_server, timeout=60) as web:
        codes = [
            web.post("/api/rescue/followup/status",
                     json={"phone": "13700007777", "code": f"{i:06d}"}).status_code
            for i in range(31)
        ]  # fmt: skip
    assert codes[:30] == [404] * 30 and codes[30] == 429


def test_withdrawal_notices_never_say_a_team_rescued_anyone(
    session: Session, make_incident
) -> None:
    incident = make_incident()
    result = intake.take_in(session, incident=incident, posts=[post("w1", ORIGINAL)],
                            actor=DISPATCHER)  # fmt: skip
    request = result.requests[("weibo", "w1")]
    issued = followup.issue(session, request=request, phone="13800001111")
    found = followup.find(session, followup.FollowupKey(phone="138 0000 1111", code=issued.code))
    assert found.id == request.id
    closed = followup.withdraw(session, request=found, data=followup.FollowupWithdrawIn(
        token=issued.token, reason="withdrawn", note="发错了"))  # fmt: skip
    assert closed and found.state == "resolved"  # the post's mirror is told: not announced yet
    assert [s.notified_at is not None for s in found.sources] == [True]
    text = notices.notice_text(found)
    assert text.startswith("【求助已撤回】") and "信息有误" in text
    assert "获救" not in text and "请拨打 110 或 119" in text
    found.outcome = "self_rescued"
    safe = notices.notice_text(found)
    assert safe.startswith("【求助人已脱险】") and "请勿重复救援" in safe
    assert "救出" not in safe


def test_a_key_to_a_request_someone_else_created_only_asks_to_withdraw(
    live_server: str, committed_engine: Engine
) -> None:
    iid, team_id = _setup(committed_engine)
    tokens = make_users(committed_engine, team_id=team_id)
    with httpx.Client(base_url=live_server, timeout=60) as api:
        first = api.post(f"/api/rescue/incidents/{iid}/help", json={**FORM, "people": 2})
        assert first.status_code == 201
        assert first.json()["followup"]["code"] is not None
        rid = first.json()["id"]
        # Someone else sends the same plea with the same phone: it merges into the request.
        copy = api.post(f"/api/rescue/incidents/{iid}/help", json={**FORM, "people": 2})
        assert copy.json()["id"] == rid
        other = copy.json()["followup"]["token"]
        asked = api.post("/api/rescue/followup/withdraw",
                         json={"token": other, "reason": "self_rescued"})  # fmt: skip
        assert asked.status_code == 200
        assert (asked.json()["open"], asked.json()["withdrawal_requested"]) == (True, True)
        item = api.get(f"/api/rescue/requests/{rid}",
                       headers=_auth(tokens["dispatcher"])).json()  # fmt: skip
        assert item["state"] == "new" and item["reported_rescued_at"] is not None
        assert {"new_info", "reported_rescued"} <= set(item["flags"])
        # The creator's own key closes it.
        done = api.post("/api/rescue/followup/withdraw",
                        json={"token": first.json()["followup"]["token"], "reason": "self_rescued"})  # fmt: skip
        assert done.json()["withdrawn"] is True and done.json()["open"] is False


def _form_fields(page: str, form_id: str) -> dict[str, str]:
    """Return the named inputs of the form ``form_id`` of an HTML page, as a browser sends them."""
    form = re.search(rf'<form[^>]*id="{form_id}".*?</form>', page, re.S)
    assert form, page
    return {html.unescape(n): html.unescape(v)
            for n, v in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form[0])}  # fmt: skip


def test_withdrawing_on_the_follow_up_page_asks_for_confirmation(
    live_server: str, committed_engine: Engine
) -> None:
    """The page's withdraw form only asks: a confirmation page says what withdrawing does,
    offers to go back, and only its 「确认撤回」 closes the request."""
    iid, _ = _setup(committed_engine)
    with httpx.Client(base_url=live_server, timeout=60) as web:
        receipt = web.post(f"/board/rescue/{iid}/help", data=FORM)
        assert receipt.status_code == 201
        token = re.search(
            r'id="followup-link" href="/board/rescue/followup/([\w-]+)"', receipt.text
        )
        code = re.search(r'id="followup-code">(\d{6})<', receipt.text)
        assert token and code
        page = web.get(f"/board/rescue/followup/{token[1]}").text
        assert 'action="/board/rescue/followup/withdraw"' in page and "下一步还会请您确认" in page

        def is_open() -> bool:
            found = web.post("/api/rescue/followup/status", json={"token": token[1]}).json()
            return bool(found["open"])

        # No reason chosen: the error, no confirmation.
        bare = web.post("/board/rescue/followup/withdraw", data={"token": token[1]})
        assert bare.status_code == 422 and 'id="withdraw-confirm"' not in bare.text
        # The first step asks, and changes nothing.
        asked = web.post("/board/rescue/followup/withdraw",
                         data={"token": token[1], "reason": "withdrawn", "note": "发错了<b>"})  # fmt: skip
        assert asked.status_code == 200
        assert asked.headers["cache-control"] == "no-store"
        assert "确认撤回求助？" in asked.text and "救援队伍将不再前往" in asked.text
        assert "如果您或身边还有人没有脱险，请不要撤回" in asked.text
        assert "撤回原因：<b>信息有误</b>" in asked.text and "发错了&lt;b&gt;" in asked.text
        assert (
            f'href="/board/rescue/followup/{token[1]}" id="withdraw-cancel">返回，不撤回'
            in asked.text
        )
        assert 'id="followup-message"' not in asked.text
        assert is_open()
        fields = _form_fields(asked.text, "withdraw-confirm")
        assert fields == {"token": token[1], "reason": "withdrawn", "note": "发错了<b>",
                          "confirm": "yes"}  # fmt: skip
        # Asking by phone and query code: going back is a form with the same key.
        by_code = web.post("/board/rescue/followup/withdraw", data={
            "phone": "13700007777", "code": code[1], "reason": "self_rescued"})  # fmt: skip
        assert by_code.status_code == 200 and "撤回原因：<b>已自行脱险/已获救</b>" in by_code.text
        assert re.search(r'<form class="card" method="post" action="/board/rescue/followup">\s*'
                         rf'<input type="hidden" name="phone" value="13700007777"><input '
                         rf'type="hidden" name="code" value="{code[1]}">', by_code.text)  # fmt: skip
        assert is_open()
        # Confirming withdraws it.
        done = web.post("/board/rescue/followup/withdraw", data=fields)
        assert done.status_code == 200 and "求助已撤回" in done.text
        assert 'id="withdraw-confirm"' not in done.text
        assert not is_open()
        again = web.post("/board/rescue/followup/withdraw", data=fields)
        assert again.status_code == 409 and 'id="withdraw-confirm"' not in again.text


def test_a_key_follows_its_submission_split_off_by_a_dispatcher(
    live_server: str, committed_engine: Engine
) -> None:
    """Two submissions merged by intake; the dispatcher splits the second off (拆分, the
    API): its key opens, updates and closes the split-off request — not the first."""
    iid, team_id = _setup(committed_engine)
    tokens = make_users(committed_engine, team_id=team_id)
    with httpx.Client(base_url=live_server, timeout=60) as api:
        first = api.post(f"/api/rescue/incidents/{iid}/help", json={**FORM, "people": 2})
        rid = first.json()["id"]
        copy = api.post(f"/api/rescue/incidents/{iid}/help", json={**FORM, "people": 2})
        assert copy.json()["id"] == rid
        token = copy.json()["followup"]["token"]
        with Session(committed_engine) as session:
            key = session.scalars(select(HelpFollowup).where(
                HelpFollowup.token_hash == hashlib.sha256(token.encode()).hexdigest())).one()  # fmt: skip
            source = session.get_one(HelpSource, key.source_id)
            assert (source.request_id, source.channel) == (rid, "form")
        split = api.post(f"/api/rescue/sources/{source.id}/unmerge",
                         json={"reason": "回电核实是两户"}, headers=_auth(tokens["dispatcher"]))  # fmt: skip
        assert split.status_code == 201, split.text
        sid = split.json()["id"]
        seen = api.post("/api/rescue/followup/status", json={"token": token})
        assert seen.json()["request_id"] == sid
        page = api.get(f"/board/rescue/followup/{token}")
        assert f"编号 #{sid}" in page.text
        added = api.post("/api/rescue/followup/updates",
                         json={"token": token, "text": "水到二楼了"})  # fmt: skip
        assert added.status_code == 201 and added.json()["request_id"] == sid
        done = api.post("/api/rescue/followup/withdraw",
                        json={"token": token, "reason": "self_rescued"})  # fmt: skip
        assert done.json()["withdrawn"] is True and done.json()["request_id"] == sid
        kept = api.get(f"/api/rescue/requests/{rid}", headers=_auth(tokens["dispatcher"])).json()
        assert kept["state"] == "new"
    with Session(committed_engine) as session:
        updated = session.scalars(select(HelpSource.request_id).where(
            HelpSource.text.contains("水到二楼了"))).all()  # fmt: skip
        assert updated == [sid]
