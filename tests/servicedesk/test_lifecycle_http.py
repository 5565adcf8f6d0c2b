"""Whole lifecycles over real HTTP against a running server (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from zhengwu.servicedesk.models import ServiceRequest

from .conftest import World


def _act(client: httpx.Client, world: World, who: str, public_id: str, action: str,
         **body: object) -> httpx.Response:  # fmt: skip
    return client.post(f"/api/desk/requests/{public_id}/{action}", json=body,
                       headers=world.headers(who))  # fmt: skip


def _ok(response: httpx.Response) -> dict[str, object]:
    assert response.status_code == 200, response.text
    data: dict[str, object] = response.json()
    return data


def test_lifecycle_over_http(live_server: str, committed_world: World) -> None:
    w = committed_world
    with httpx.Client(base_url=live_server, timeout=120) as client:
        # Intake: an anonymous citizen posts the web form.
        r = client.post("/api/requests", data={
            "text": "郑州市金水区花园路8号院小区物业乱收费，电梯停运两周，我叫李小红，电话13912345678",
            "citizen_name": "李小红", "citizen_phone": "13912345678",
        })  # fmt: skip
        assert r.status_code == 201, r.text
        receipt = r.json()
        pid, token = receipt["public_id"], receipt["citizen_token"]
        assert receipt["organization_id"] == w.orgs["js_housing"]  # routed by rule

        # The handling body sees the original; another body sees nothing.
        detail = client.get(f"/api/desk/requests/{pid}", headers=w.headers("js_housing")).json()
        assert "13912345678" in detail["text"]
        assert detail["masked"] is False
        assert detail["citizen_phone"] == "13912345678"
        assert "accept" in detail["allowed_actions"]
        assert (
            client.get(f"/api/desk/requests/{pid}", headers=w.headers("js_eco")).status_code == 404
        )
        public = client.get(f"/api/public/requests/{pid}").json()
        assert "13912345678" not in public["text"]
        assert "李小红" not in public["text"]

        _ok(_act(client, w, "js_housing", pid, "accept"))
        # Transfer (转办) to the city bureau, which returns it (退单) to the office queue.
        _ok(_act(client, w, "js_housing", pid, "transfer", organization_id=w.orgs["city_housing"],
                 reason="涉及全市物业收费政策"))  # fmt: skip
        _ok(_act(client, w, "city_housing", pid, "return", reason="属于区级物业监管职责"))
        queue = client.get("/api/desk/requests", params={"state": "returned"},
                           headers=w.headers("office")).json()  # fmt: skip
        assert pid in [q["public_id"] for q in queue]
        _ok(_act(client, w, "office", pid, "assign", organization_id=w.orgs["js_housing"]))
        _ok(_act(client, w, "js_housing", pid, "accept"))
        _ok(_act(client, w, "js_housing", pid, "start"))
        # Co-handling (协办): the police helps and adds a note, but cannot resolve.
        _ok(
            _act(
                client, w, "js_housing", pid, "cohandle", helper_organization_ids=[w.orgs["police"]]
            )
        )
        _ok(_act(client, w, "police", pid, "note", reason="已出警调解业主与物业纠纷"))
        assert _act(client, w, "police", pid, "resolve", reply_text="x").status_code == 403
        # Extension (延期): asked by the body, approved by the office.
        before = _ok(_act(client, w, "js_housing", pid, "request_extension", days=5,
                          reason="需召开业主大会"))["resolve_due"]  # fmt: skip
        after = _ok(_act(client, w, "office", pid, "approve_extension", reason="同意延期"))
        assert str(after["resolve_due"]) > str(before)
        _ok(
            _act(
                client,
                w,
                "js_housing",
                pid,
                "reply",
                reply_text="已责令物业公司三日内恢复电梯运行。",
            )
        )
        # An illegal move is a 409 that names state and action.
        bad = _act(client, w, "js_housing", pid, "accept")
        assert bad.status_code == 409
        assert "已答复" in bad.json()["message_zh"]
        _ok(
            _act(
                client,
                w,
                "js_housing",
                pid,
                "resolve",
                reply_text="电梯已恢复运行，多收费用已退还。",
            )
        )
        # Follow-up (回访) by the citizen with their token, then reopen (not fixed after all).
        assert (
            client.post(
                f"/api/requests/{pid}/rate", json={"token": token, "satisfaction": 4}
            ).status_code
            == 200
        )
        assert (
            client.post(
                f"/api/requests/{pid}/reopen", json={"token": "bad-token-x", "reason": "x"}
            ).status_code
            == 403
        )
        reopened = client.post(
            f"/api/requests/{pid}/reopen", json={"token": token, "reason": "电梯又坏了"}
        )
        assert reopened.status_code == 200
        assert reopened.json()["state"] == "reopened"
        _ok(_act(client, w, "js_housing", pid, "resolve", reply_text="已更换电梯主板，运行正常。"))

        final = client.get(f"/api/desk/requests/{pid}", headers=w.headers("office")).json()
        assert final["state"] == "resolved"
        assert final["reopen_count"] == 1
        assert final["helper_organization_ids"] == [w.orgs["police"]]
        actions = [h["action"] for h in final["history"]]
        assert actions == [
            "receive", "route", "accept", "transfer", "return", "assign", "accept", "start",
            "cohandle", "note", "request_extension", "approve_extension", "reply", "resolve",
            "follow_up", "reopen", "resolve",
        ]  # fmt: skip
        assert all(h["actor_name"] for h in final["history"])
        assert final["outbox"] == []  # a form request has no post to answer under


def test_weibo_request_gets_public_replies(live_server: str, committed_world: World) -> None:
    w = committed_world
    with httpx.Client(base_url=live_server, timeout=120) as client:
        r = client.post("/api/desk/requests", headers=w.headers("office"), json={
            "source": "weibo", "source_ref": "weibo:4990001", "citizen_uid": "88",
            "account_uid": "1002", "text": "#马上办# @金水住建 金水区纬五路小区电梯坏了半个月，物业一直不修",
        })  # fmt: skip
        assert r.status_code == 201, r.text
        pid = r.json()["public_id"]
        _ok(_act(client, w, "js_housing", pid, "accept"))
        _ok(_act(client, w, "js_housing", pid, "resolve", reply_text="已督促物业修复电梯。"))
        outbox = client.get(f"/api/desk/requests/{pid}", headers=w.headers("js_housing")).json()[
            "outbox"
        ]
        assert [(m["kind"], m["target_post_id"], m["account_uid"]) for m in outbox] == [
            ("first_response", "4990001", "1002"), ("closing", "4990001", "1002"),
        ]  # fmt: skip
        board = client.get("/api/public/requests").json()
        row = next(x for x in board["requests"] if x["public_id"] == pid)
        assert row["reply_text"] == "已督促物业修复电梯。"
        assert row["state"] == "resolved"


def test_duplicate_invalid_and_overdue_supervision_over_http(
    live_server: str, committed_world: World, committed_engine: Engine
) -> None:
    w = committed_world
    with httpx.Client(base_url=live_server, timeout=120) as client:

        def submit(text: str) -> str:
            r = client.post("/api/requests", json={"text": text})
            assert r.status_code == 201, r.text
            return str(r.json()["public_id"])

        kept = submit("金水区东风路与文化路交叉口井盖缺失，非常危险")
        dup = submit("文化路东风路路口那个井盖还是没盖上，金水区的")
        junk = submit("金水区 123")
        _ok(_act(client, w, "office", dup, "duplicate", duplicate_of=kept))
        assert _act(client, w, "office", dup, "accept").status_code == 409
        _ok(_act(client, w, "office", junk, "invalid", reason="无有效内容"))
        public = client.get(f"/api/public/requests/{dup}").json()
        assert public["duplicate_of"] == kept
        assert client.get(f"/api/public/requests/{junk}").status_code == 404

        _ok(_act(client, w, "js_housing", kept, "accept"))
        # Let the deadline pass: move it and the intake into the past, as time would.
        with Session(committed_engine) as s:
            s.execute(update(ServiceRequest).where(ServiceRequest.public_id == kept)
                      .values(resolve_due=datetime.now(UTC) - timedelta(hours=1),
                              created_at=datetime.now(UTC) - timedelta(days=30)))  # fmt: skip
            s.commit()
        assert client.post("/api/desk/escalate", headers=w.headers("js_housing")).status_code == 403
        r = client.post("/api/desk/escalate", headers=w.headers("office"))
        assert r.status_code == 200
        assert r.json()["supervised"] == [kept]
        again = client.post("/api/desk/escalate", headers=w.headers("office")).json()
        assert again["supervised"] == []
        detail = client.get(f"/api/desk/requests/{kept}", headers=w.headers("js_housing")).json()
        assert detail["overdue"] is True
        assert detail["supervision_count"] == 1
        assert detail["history"][-1]["action"] == "supervise"
        overdue = client.get("/api/desk/requests", params={"overdue": "true"},
                             headers=w.headers("js_housing")).json()  # fmt: skip
        assert [q["public_id"] for q in overdue] == [kept]
