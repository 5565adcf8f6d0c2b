"""The rescue export over HTTP: a malicious help post cannot plant a formula in the sheet."""

from __future__ import annotations

import csv
import io

import httpx
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from zhengwu.rescue import intake
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.schemas import IncidentCreate, TeamCreate
from zhengwu.sheetcells import read_cell, safe_cell

from .conftest import DISPATCHER, START, make_users, post

ATTACKS = [
    {"text": '=HYPERLINK("http://evil.example/x","点我查看求助") 郑州市金水区文化路被困',
     "name": "@SUM(1+1)*cmd|' /C calc'!A0", "address": "-2+3+cmd|' /C calc'!A0"},
    {"text": "+1+cmd|' /C notepad'!A0 二七区大学路水已到腰，三人被困", "name": "\t=1+1"},
    {"text": "\r=2+5 中原区桐柏路老人出不去", "address": "  =1+1 中原区建设路"},
    {"text": "＝HYPERLINK(\"http://evil.example\") 惠济区江山路有人被困"},
]  # fmt: skip


@pytest.mark.parametrize(
    ("value", "safe"),
    [("=1+1", "'=1+1"), ("+86", "'+86"), ("-3", "'-3"), ("@x", "'@x"), ("\t=1", "'\t=1"),
     ("\r=1", "'\r=1"), ("  =1", "'  =1"), ("＝1", "'＝1"), ("张三", "张三"), ("a=1", "a=1"),
     ("", ""), (3, 3), (-3, -3), ("'引号", "''引号")],
)  # fmt: skip
def test_safe_cell(value: object, safe: object) -> None:
    assert safe_cell(value) == safe
    if isinstance(value, str):
        assert read_cell(str(safe)) == value  # what an import reads back is what was written


@pytest.mark.parametrize(
    ("cell", "read"),
    [("'13800138000", "13800138000"), ("'=1+1", "=1+1"), ("  '0371-6718", "0371-6718"),
     ("''x", "'x"), ("13800138000", "13800138000"), ("a'b", "a'b"), ("'", ""), ("", "")],
)  # fmt: skip
def test_read_cell_takes_one_text_mark_off(cell: str, read: str) -> None:
    assert read_cell(cell) == read


def test_a_malicious_help_post_exports_as_text(live_server: str, committed_engine: Engine) -> None:
    with Session(committed_engine) as session:
        incident = rescue_service.create_incident(session, data=IncidentCreate(
            name="导出测试", regions=["410100"], starts_at=START), actor=DISPATCHER)  # fmt: skip
        team = rescue_service.create_team(session, data=TeamCreate(name="A队"), actor=DISPATCHER)
        # A post taken in as it was written: its text cell begins with the formula.
        intake.take_in(session, incident=incident, actor=DISPATCHER, posts=[post("9", (
            '=HYPERLINK("http://evil.example/x","点我") 求助！郑州市二七区大学路78号院三人被困，'
            "电话13900009999"))])  # fmt: skip
        incident_id, team_id = incident.id, team.id
        session.commit()
    tokens = make_users(committed_engine, team_id=team_id)
    for attack in ATTACKS:
        sent = httpx.post(f"{live_server}/api/rescue/incidents/{incident_id}/help",
                          json={**attack, "phone": "13700007777"}, timeout=60)  # fmt: skip
        assert sent.status_code in (200, 201), sent.text
    reply = httpx.get(f"{live_server}/api/rescue/incidents/{incident_id}/export.csv",
                      headers={"authorization": f"Bearer {tokens['dispatcher']}"}, timeout=60)  # fmt: skip
    assert reply.status_code == 200
    rows = list(csv.reader(io.StringIO(reply.text.removeprefix("\ufeff"), newline="")))
    assert len(rows) == 2 + len(ATTACKS)
    cells = [cell for row in rows[1:] for cell in row]
    for cell in cells:
        assert cell.lstrip(" ")[:1] not in set("=+-@\t\r＝＋－＠"), repr(cell)
    # The attack is still there to read, as text.
    for planted in ('\'=HYPERLINK("http://evil.example/x"', "'@SUM(1+1)", "'-2+3+cmd", "'=1+1"):
        assert any(c.startswith(planted) for c in cells), planted
