"""The public help form over HTTP: each refused field is named next to it, in Chinese and
English, with everything typed kept; a plea without a phone is taken but promises no call."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import httpx
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.models import HelpRequest
from zhengwu.rescue.schemas import IncidentCreate

from .conftest import DISPATCHER, START

GOOD = {"text": "一楼进水，老人出不去", "address": "郑州市中原区桐柏路2号院", "people": "2",
        "name": "李四", "phone": "137 0000 7777"}  # fmt: skip


def _incident(engine: Engine) -> int:
    with Session(engine) as session:
        incident = rescue_service.create_incident(session, data=IncidentCreate(
            name="表单校验", regions=["410100"], starts_at=START), actor=DISPATCHER)  # fmt: skip
        session.commit()
        return incident.id


def _texts(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return [r.text for r in session.scalars(select(HelpRequest))]


def test_each_refused_field_is_named_and_the_form_keeps_what_was_typed(
    live_server: str, committed_engine: Engine
) -> None:
    iid = _incident(committed_engine)
    cases = {
        "text": ("   ", "请描述情况", "describe the situation"),
        "phone": ("not-a-phone", "电话号码无效", "not a phone number"),
        "people": ("abc", "人数请填 1 到", "people must be a whole number"),
    }
    with httpx.Client(base_url=live_server, timeout=60) as client:
        for field, (bad, zh, en) in cases.items():
            sent = client.post(f"/board/rescue/{iid}/help", data={**GOOD, field: bad})
            assert sent.status_code == 422, field
            page = html.unescape(sent.text)
            assert f'id="{field}-error"' in sent.text
            assert zh in page and en in page
            for other in set(cases) - {field}:
                assert f'id="{other}-error"' not in sent.text
            # Everything typed comes back, the refused value included.
            assert GOOD["address"] in page and GOOD["name"] in page
            kept = f">{bad}</textarea>" if field == "text" else f'value="{bad}"'
            assert kept in page
        short = client.post(f"/board/rescue/{iid}/help", data={**GOOD, "text": "救"})
        assert short.status_code == 422
        # The API says it in Chinese too (its Chinese half was a bare 取值无效).
        blank = client.post(f"/api/rescue/incidents/{iid}/help", json={"text": "   "})
        assert blank.status_code == 422
        assert "请描述情况，至少 2 个字" in blank.json()["message_zh"]
        assert "取值无效" not in blank.json()["message_zh"]
        assert "text is blank" in blank.json()["message_en"]
        assert ">救</textarea>" in short.text
        assert "137 0000 7777" in short.text
        negative = client.post(f"/board/rescue/{iid}/help", data={**GOOD, "people": "-3"})
        assert 'id="people-error"' in negative.text
        hotline = client.post(f"/board/rescue/{iid}/help", data={**GOOD, "phone": "12345"})
        assert 'id="phone-error"' in hotline.text
    assert _texts(committed_engine) == []  # nothing refused was stored


def test_with_a_phone_a_call_is_promised_without_one_it_is_not(
    live_server: str, committed_engine: Engine
) -> None:
    iid = _incident(committed_engine)
    with httpx.Client(base_url=live_server, timeout=60) as client:
        called = client.post(f"/board/rescue/{iid}/help", data=GOOD)
        assert called.status_code == 201
        assert "核实员会尽快电话联系" in called.text
        assert 'id="no-callback"' not in called.text
        plea = client.post(f"/board/rescue/{iid}/help", data={
            "text": "  桐柏路5号院地下室有人被困  ", "address": "郑州市中原区桐柏路5号院",
            "phone": "  ", "people": ""})  # fmt: skip
        assert plea.status_code == 201
        assert "核实员会尽快电话联系" not in plea.text
        assert "核实员无法回电" in plea.text
    texts = sorted(_texts(committed_engine))
    assert any("【联系方式】13700007777" in t and "【人数】2人" in t for t in texts)
    assert any(t.endswith("【情况描述】桐柏路5号院地下室有人被困") for t in texts)
    assert not any("【联系方式】" in t for t in texts if "5号院" in t)


def test_the_board_shows_beijing_time(live_server: str, committed_engine: Engine) -> None:
    iid = _incident(committed_engine)
    with httpx.Client(base_url=live_server, timeout=60) as client:
        assert client.post(f"/board/rescue/{iid}/help", data=GOOD).status_code == 201
    with Session(committed_engine) as session:
        request = session.scalars(select(HelpRequest)).one()
        request.reported_at = datetime(2025, 7, 17, 9, 29, tzinfo=UTC)
        session.commit()
    with httpx.Client(base_url=live_server, timeout=60) as client:
        board = client.get(f"/board/rescue/{iid}").text
    assert "求助时间 07-17 17:29（北京时间）" in board
    assert "09:29" not in board and "UTC" not in board


def test_the_form_and_the_follow_up_page_name_the_incidents_hotline(
    live_server: str, committed_engine: Engine
) -> None:
    with Session(committed_engine) as session:
        incident = rescue_service.create_incident(session, data=IncidentCreate(
            name="热线表单", regions=["410100"], starts_at=START, hotline="0371-12345"),
            actor=DISPATCHER)  # fmt: skip
        session.commit()
        iid, bare = incident.id, _incident(committed_engine)
    with httpx.Client(base_url=live_server, timeout=60) as client:
        form = client.get(f"/board/rescue/{iid}/help").text
        assert 'id="call-first"' in form
        assert '<a href="tel:0371-12345">0371-12345</a>' in form and "119 / 110" in form
        # An incident without a hotline says 119 / 110 alone.
        plain = client.get(f"/board/rescue/{bare}/help").text
        assert "119 / 110" in plain and "tel:" not in plain.split("</header>")[0]
        receipt = client.post(f"/board/rescue/{iid}/help", data=GOOD)
        link = re.search(r'id="followup-link" href="(/board/rescue/followup/[\w-]+)"', receipt.text)
        assert link, receipt.text
        page = client.get(link.group(1)).text
        header = page.split("</header>")[0]
        assert '<a href="tel:0371-12345">0371-12345</a>' in header and "119 / 110" in header
        # The look-up form knows no incident: 119 / 110 alone.
        lookup = client.get("/board/rescue/followup").text.split("</header>")[0]
        assert "119 / 110" in lookup and "tel:" not in lookup
