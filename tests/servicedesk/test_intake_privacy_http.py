"""Over HTTP: what each intake channel shows the public by default (hotline imports and
staff-registered calls private, the board's form as the citizen chooses, Open311 and social
posts public), and the console's notice of requests taken in past their deadline."""

from __future__ import annotations

import csv
import html
import re
from pathlib import Path

import httpx
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from tests.web.test_console_world import build_console_world, login

from zhengwu.auth import service as auth_service
from zhengwu.servicedesk.csvimport import import_csv
from zhengwu.servicedesk.models import ServiceRequest
from zhengwu.servicedesk.open311 import keys
from zhengwu.servicedesk.service import SYSTEM

from .conftest import World

HTML = {"Accept": "text/html"}
LATE = re.compile(r'id="late-intake-notice">(\d+) 件诉求接收时已超过办结期限')


def _public(engine: Engine, public_id: str) -> bool:
    with Session(engine) as session:
        found = session.scalar(
            select(ServiceRequest.is_public).where(ServiceRequest.public_id == public_id)
        )
    assert found is not None
    return found


def test_each_channel_shows_the_public_what_it_should(
    live_server: str, committed_world: World, committed_engine: Engine, tmp_path: Path
) -> None:
    w = committed_world
    with Session(committed_engine) as session:
        _, key = keys.create_key(session, name="市民通")
        path = tmp_path / "calls.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows([
                ["工单编号", "来电时间", "诉求内容", "联系电话"],
                ["C1", "2025-07-01 08:00", "邻居家装修噪音扰民，我是实名举报", "13912345678"],
            ])  # fmt: skip
        import_csv(session, path, actor=SYSTEM)
        session.commit()
    with httpx.Client(base_url=live_server, timeout=120) as client:
        # A hotline call: not on the board, not in Open311.
        board = client.get("/board/requests").text
        assert "实名举报" not in board
        listed = client.get("/open311/v2/requests.json").json()
        assert all("实名举报" not in r.get("description", "") for r in listed)
        # The board's form: public unless the citizen ticks 不公开.
        assert 'name="private" value="1"' in board
        form = {"text": "金水区丰产路路灯坏了一个星期", "address": "丰产路"}
        shown = client.post("/board/requests", data=form)
        hidden = client.post("/board/requests", data={**form, "text": "我家楼上漏水到我家",
                                                        "private": "1"})  # fmt: skip
        assert shown.status_code == hidden.status_code == 201
        links = [
            r.text.split("<body>")[1].split('href="')[1].split('"')[0] for r in (shown, hidden)
        ]
        ids = [link.split("/board/requests/")[1].split("?")[0] for link in links]
        assert (_public(committed_engine, ids[0]), _public(committed_engine, ids[1])) == (
            True, False)  # fmt: skip
        assert client.get(f"/api/public/requests/{ids[1]}").status_code == 404
        assert client.get(html.unescape(links[1])).status_code == 200  # the citizen's own link
        # Registered by staff for a caller: private unless said; a social post stays public.
        for body, public in (
            ({"source": "api", "text": "代市民登记：医院收费不合理"}, False),
            ({"source": "api", "text": "代市民登记：金水区井盖丢失", "public": True}, True),
            (
                {"source": "weibo", "source_ref": "weibo:77", "text": "#马上办# 金水区路灯不亮"},
                True,
            ),
        ):
            made = client.post("/api/desk/requests", headers=w.headers("office"), json=body)
            assert made.status_code == 201, made.text
            assert _public(committed_engine, made.json()["public_id"]) is public, body
        # Open311: the spec's requests are public (GET /requests lists them, masked).
        sent = client.post("/open311/v2/requests.json", data={
            "api_key": key, "service_code": "0103", "lat": "34.8004", "long": "113.6606",
            "description": "金水区花园路井盖缺失", "phone": "13800001111",
        })  # fmt: skip
        assert sent.status_code == 200, sent.text
        sid = sent.json()[0]["service_request_id"]
        assert _public(committed_engine, sid)
        record = client.get(f"/open311/v2/requests/{sid}.json").json()[0]
        assert "13800001111" not in str(record)


def test_the_queue_tells_how_many_requests_came_in_past_their_deadline(
    live_server: str, committed_engine: Engine, shared_data: Path, tmp_path: Path
) -> None:
    auth_service._ip_attempts.clear()
    build_console_world(committed_engine, with_index=False)
    source = shared_data / "citizen-messages" / "messages_with_replies.csv"
    with source.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))[:21]
    path = tmp_path / "history.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([[*rows[0], "所属区域"], *([*r, "郑州市"] for r in rows[1:])])
    with httpx.Client(base_url=live_server, timeout=60, headers=HTML) as admin:
        login(admin, "admin")
        before = LATE.search(admin.get("/console/desk").text)
        earlier = int(before[1]) if before else 0  # the world's own 40-day-old request
        with Session(committed_engine) as session:
            summary = import_csv(session, path, actor=SYSTEM)
            session.commit()
        assert summary.overdue_at_intake == summary.created > 0
        page = admin.get("/console/desk").text
        found = LATE.search(page)
        assert found is not None
        assert int(found[1]) == earlier + summary.created
        assert "not supervised automatically" in page
        assert 'href="/console/desk?overdue=1"' in found.string
