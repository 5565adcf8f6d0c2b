"""A matrix office's call merged into a request outside its scope stays in its sight, read-only.

A call the 郑州 office takes in — registered by hand (``POST /api/desk/requests``, a form post
to ``POST /api/requests``) or a row of its hotline upload — that repeats an open request of the
same caller is merged into it, as ever: one problem, one ticket. When that request is 洛阳's
(another matrix's queue and body), the office used to lose its call: it could not open the
request, nor follow its progress or reply. Now it opens it read-only, masked as for a role that
does not handle it (no caller's details, address or sources; text, reply and staff's reasons
masked), lists such calls with the ticket they joined, and acts on none of them; a row of its
export does not reply to that request either. Over real HTTP, on both databases.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from zhengwu.audit.models import AuditEntry
from zhengwu.auth.principal import Principal
from zhengwu.cli.desk_requests import app as desk_cli
from zhengwu.config import get_settings
from zhengwu.db.engine import get_engine
from zhengwu.servicedesk import service as desk_service
from zhengwu.servicedesk.schemas import ActionInput

from .conftest import shot
from .office_scope_world import build_office_scope_world
from .test_console_world import PASSWORD, ConsoleWorld, login

JSON = {"Accept": "application/json"}
NAME, PHONE = "张建国", "13811110003"
NOISE = "涧西区工地夜间施工噪音扰民，半夜还在打桩，请尽快处理"
LIFT = "涧西区南昌路小区电梯停运一个月，老人上下楼困难"


@pytest.fixture
def world(committed_engine: Engine) -> ConsoleWorld:
    """The console test city, a rule that routes every 洛阳 request to 洛阳住建, and an office
    of 郑州公安's matrix (below 郑州's)."""
    return build_office_scope_world(committed_engine, offices={"office_police": "zz_police"})


def _register(client: httpx.Client, csrf: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = client.post("/api/desk/requests", json=body, headers={**JSON, "X-CSRF-Token": csrf})
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def _as(client: httpx.Client, username: str) -> str:
    client.cookies.clear()
    return login(client, username)


def _luoyang_request(
    client: httpx.Client, engine: Engine, world: ConsoleWorld, text: str, phone: str
) -> str:
    """Register 洛阳's request of a caller as the admin; 洛阳住建 replies naming the caller,
    and 洛阳's office notes a call-back with the caller's name and number."""
    csrf = _as(client, "admin")
    public_id = str(_register(client, csrf, {
        "source": "12345", "text": text, "adcode": "410305", "citizen_name": NAME,
        "citizen_phone": phone,
    })["public_id"])  # fmt: skip
    lead = Principal(role="handler", username="ly", display_name="洛阳住建",
                     organization_id=world.orgs["ly_housing"])  # fmt: skip
    with Session(engine) as session:
        req = desk_service.get_by_public_id(session, public_id)
        desk_service.perform(session, request=req, action="accept", actor=lead,
                             data=ActionInput())  # fmt: skip
        desk_service.perform(session, request=req, action="reply", actor=lead, data=ActionInput(
            reply_text=f"{NAME}您好，已安排夜间巡查"))  # fmt: skip
        session.commit()
    csrf = _as(client, "office_ly")
    noted = client.post(f"/api/desk/requests/{public_id}/note", headers={**JSON, "X-CSRF-Token": csrf},
                        json={"reason": f"已回电{NAME}，电话{phone}"})  # fmt: skip
    assert noted.status_code == 200, noted.text
    return public_id


def _merge_entries(engine: Engine, public_id: str) -> list[dict[str, Any]]:
    with Session(engine) as session:
        req = desk_service.get_by_public_id(session, public_id)
        return [
            dict(e.data or {})
            for e in session.scalars(
                select(AuditEntry).where(AuditEntry.entity_type == "request",
                                         AuditEntry.entity_id == req.id,
                                         AuditEntry.action == "merge").order_by(AuditEntry.id)
            )
        ]  # fmt: skip


def _office_entries(engine: Engine, matrix_id: int) -> list[dict[str, Any]]:
    with Session(engine) as session:
        return [
            dict(e.data or {})
            for e in session.scalars(
                select(AuditEntry).where(AuditEntry.entity_type == "matrix",
                                         AuditEntry.entity_id == matrix_id,
                                         AuditEntry.action == "merge_outside_scope")
                .order_by(AuditEntry.id)
            )
        ]  # fmt: skip


def _merged_list(client: httpx.Client) -> dict[str, Any]:
    answer = client.get("/api/desk/merged-outside-scope", headers=JSON)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_an_office_call_merged_outside_its_scope_is_read_only_for_it(
    client: httpx.Client, world: ConsoleWorld, committed_engine: Engine
) -> None:
    zz, police = world.matrices["zz"], world.matrices["zz_police"]
    public_id = _luoyang_request(client, committed_engine, world, NOISE, PHONE)

    # 郑州's office takes the same caller's call about the same problem.
    csrf = _as(client, "office")
    body = _register(client, csrf, {"source": "12345", "text": NOISE, "citizen_phone": PHONE})
    assert (body["status"], body["public_id"]) == ("merged", public_id)
    assert (body["merged_outside_scope"], body["kept_in_office_queue"]) == (True, False)
    [warning] = body["warnings"]
    assert public_id in warning and "只读" in warning and "read-only" in warning
    assert _merge_entries(committed_engine, public_id) == [
        {"source_ref": _merge_entries(committed_engine, public_id)[0]["source_ref"],
         "kind": "copy", "office_matrix_id": zz, "outside_scope": True},
    ]  # fmt: skip
    [entry] = _office_entries(committed_engine, zz)
    assert (entry["public_id"], entry["source_ref"]) == (
        public_id, _merge_entries(committed_engine, public_id)[0]["source_ref"],
    )  # fmt: skip

    # It opens the request read-only, masked.
    detail = client.get(f"/api/desk/requests/{public_id}", headers=JSON)
    assert detail.status_code == 200, detail.text
    seen = detail.json()
    assert seen["masked"] is True and seen["allowed_actions"] == []
    assert (seen["citizen_name"], seen["citizen_phone"], seen["address"]) == (None, None, None)
    assert seen["sources"] == [] and seen["state"] == "replied"
    assert seen["reply_text"] is not None and "已安排夜间巡查" in seen["reply_text"]
    shown = str(seen)
    assert NAME not in shown and PHONE not in shown, shown
    assert "note" in [h["action"] for h in seen["history"]]  # its progress, reasons masked
    # … and may not act on it.
    refused = client.post(f"/api/desk/requests/{public_id}/supervise",
                          headers={**JSON, "X-CSRF-Token": csrf}, json={"reason": "催办"})  # fmt: skip
    assert refused.status_code in (403, 404), refused.text
    listed = _merged_list(client)
    assert listed["total"] == 1
    [call] = listed["calls"]
    assert (call["public_id"], call["state"], call["office_matrix_id"]) == (
        public_id,
        "replied",
        zz,
    )
    assert call["organization_id"] == world.orgs["ly_housing"]

    # The console: the read-only page, no action form, and the list under the queue.
    page = client.get(f"/console/desk/{public_id}")
    assert page.status_code == 200, page.text
    text = html.unescape(page.text)
    assert 'id="read-only-notice"' in text and "只读" in text and "Read-only" in text
    assert 'id="form-' not in text and NAME not in text and PHONE not in text
    act = client.post(f"/console/desk/{public_id}/act",
                      data={"csrf_token": csrf, "action": "supervise", "reason": "催办"})  # fmt: skip
    assert act.status_code in (403, 404)
    queue = html.unescape(client.get("/console/desk").text)
    section = queue[queue.index('id="merged-outside"') :]
    assert f'href="/console/desk/{public_id}"' in section and "只读" in section

    # 郑州公安's office (below 郑州's) does not read 郑州's call.
    csrf = _as(client, "office_police")
    assert client.get(f"/api/desk/requests/{public_id}", headers=JSON).status_code == 404
    assert _merged_list(client)["total"] == 0
    # Its own call of the same caller: read-only for it, and for 郑州's office above it.
    again = _register(client, csrf, {"source": "12345", "text": NOISE, "citizen_phone": PHONE})
    assert (again["status"], again["merged_outside_scope"]) == ("merged", True)
    assert _merged_list(client)["total"] == 1
    assert client.get(f"/api/desk/requests/{public_id}", headers=JSON).json()["masked"] is True
    assert [e["office_matrix_id"] for e in _merge_entries(committed_engine, public_id)] == [
        zz, police,
    ]  # fmt: skip
    _as(client, "office")
    assert _merged_list(client)["total"] == 2

    # A form post by the office (its receipt page) says it too.
    csrf = _as(client, "office")
    form = client.post("/api/requests", data={"text": NOISE, "citizen_phone": PHONE},
                       headers={"Accept": "text/html", "X-CSRF-Token": csrf})  # fmt: skip
    assert form.status_code == 200, form.text
    assert "只读" in html.unescape(form.text) and 'id="receipt-warning-1"' in form.text

    # 洛阳's office still reads it unmasked and acts on it, as its own.
    _as(client, "office_ly")
    own = client.get(f"/api/desk/requests/{public_id}", headers=JSON).json()
    assert own["masked"] is False and own["citizen_phone"] == PHONE
    assert "supervise" in own["allowed_actions"]
    # The admin's own call joins it as ever: no office, nothing read-only.
    csrf = _as(client, "admin")
    admin = _register(client, csrf, {"source": "12345", "text": NOISE, "citizen_phone": PHONE})
    assert (admin["merged_outside_scope"], admin["warnings"]) == (False, [])
    assert "office_matrix_id" not in _merge_entries(committed_engine, public_id)[-1]


HEADER = ["工单编号", "受理时间", "诉求内容", "联系电话", "区划代码", "答复意见", "答复时间"]


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([HEADER, *rows])
    return out.getvalue().encode("utf-8")


def _count(page: str, key: str) -> int:
    found = re.search(rf'id="count-{key}">(\d+)<', page)
    assert found is not None, page
    return int(found[1])


def test_an_office_upload_lists_its_rows_merged_outside_its_scope(
    client: httpx.Client, world: ConsoleWorld, committed_engine: Engine
) -> None:
    noise = _luoyang_request(client, committed_engine, world, NOISE, PHONE)
    lift = _luoyang_request(client, committed_engine, world, LIFT, "13811110004")
    rows = [
        ["M01", "2025-08-01 09:30:00", NOISE, PHONE, "", "", ""],
        ["M02", "2025-08-01 10:30:00", LIFT, "13811110004", "", "已转洛阳市处理", "2025-08-01 11:00:00"],
        ["M03", "2025-08-01 11:30:00", "金水区花园路小区物业乱收费", "13811110005", "410105", "", ""],
    ]  # fmt: skip
    csrf = _as(client, "office")
    page = client.post("/console/desk/import", data={"csrf_token": csrf, "source": "12345"},
                       files={"file": ("12345导出.csv", _csv(rows), "text/csv")})  # fmt: skip
    assert page.status_code == 200, page.text
    text = html.unescape(page.text)
    assert (_count(text, "merged"), _count(text, "created")) == (2, 1)
    assert _count(text, "merged-outside") == 2
    assert "2 条来电与本矩阵范围外的在办诉求重复" in text and "merged into it" in text
    assert "1 行的答复或办结未记录" in text  # M02's reply: 洛阳住建's to give
    table = text[text.index('id="merged-outside-rows"') :]
    assert "12345导出.csv:2" in table and "12345导出.csv:3" in table
    assert f'href="/console/desk/{noise}"' in table and f'href="/console/desk/{lift}"' in table
    with Session(committed_engine) as session:
        req = desk_service.get_by_public_id(session, lift)
        assert req.reply_text is not None and "已转洛阳市处理" not in req.reply_text
    listed = _merged_list(client)
    assert listed["total"] == 2
    assert {c["public_id"] for c in listed["calls"]} == {noise, lift}
    assert client.get(f"/api/desk/requests/{lift}", headers=JSON).json()["masked"] is True

    # The API answers the same; the rows on file again: nothing merged anew, the reply
    # still not recorded on 洛阳's request (and said so).
    answer = client.post("/api/desk/import", headers={**JSON, "X-CSRF-Token": csrf},
                         files={"file": ("12345导出.csv", _csv(rows), "text/csv")})  # fmt: skip
    assert answer.status_code == 200, answer.text
    again = answer.json()
    assert (again["existing"], again["merged_outside_scope"], again["outside_events_left"]) == (
        3, 0, 1,
    )  # fmt: skip
    assert again["merged_outside"] == []
    assert any("1 行的答复或办结未记录" in w for w in again["warnings"])
    fresh = [[f"N{r[0]}", *r[1:]] for r in rows[:2]]  # new ticket numbers, same calls
    answer = client.post("/api/desk/import", headers={**JSON, "X-CSRF-Token": csrf},
                         files={"file": ("热线.csv", _csv(fresh), "text/csv")})  # fmt: skip
    body = answer.json()
    assert (body["merged"], body["merged_outside_scope"], body["outside_events_left"]) == (2, 2, 1)
    assert body["merged_outside"] == [
        {"source": "热线.csv:2", "public_id": noise}, {"source": "热线.csv:3", "public_id": lift},
    ]  # fmt: skip
    assert _merged_list(client)["total"] == 4

    # An admin's upload of the same calls: no office, nothing outside (the reply goes to the
    # workflow as ever, which refuses a second reply to a request already replied to).
    csrf = _as(client, "admin")
    admin_rows = [[f"A{r[0]}", *r[1:]] for r in rows[:2]]
    answer = client.post("/api/desk/import", headers={**JSON, "X-CSRF-Token": csrf},
                         files={"file": ("a.csv", _csv(admin_rows), "text/csv")})  # fmt: skip
    body = answer.json()
    assert (body["merged"], body["quarantined"]) == (1, 1)
    assert (body["merged_outside_scope"], body["outside_events_left"]) == (0, 0)
    assert (
        "已答复" in body["quarantine"][0]["reason"] or "replied" in body["quarantine"][0]["reason"]
    )


def test_the_cli_imports_as_an_office_with_the_same_outcome(
    client: httpx.Client, world: ConsoleWorld, committed_engine: Engine, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    noise = _luoyang_request(client, committed_engine, world, NOISE, PHONE)
    export = tmp_path / "12345导出.csv"
    export.write_bytes(_csv([["K01", "2025-08-01 09:30:00", NOISE, PHONE, "", "", ""]]))
    monkeypatch.setenv("ZHENGWU_DATABASE_URL", committed_engine.url.render_as_string(False))
    get_settings.cache_clear()
    get_engine.cache_clear()
    try:
        refused = CliRunner().invoke(desk_cli, ["import-csv", str(export), "--as", "handler"])
        assert refused.exit_code != 0 and "无权导入" in refused.output, refused.output
        done = CliRunner().invoke(desk_cli, ["import-csv", str(export), "--as", "office", "--json"])
        assert done.exit_code == 0, done.output
    finally:
        get_engine().dispose()
        get_engine.cache_clear()
        get_settings.cache_clear()
    counts = json.loads(done.stdout.strip().splitlines()[0])
    assert (counts["merged"], counts["merged_outside_scope"]) == (1, 1)
    assert counts["merged_outside"] == [{"source": f"{export}:2", "public_id": noise}]
    assert "只读" in done.stderr or "只读" in done.output
    _as(client, "office")
    assert _merged_list(client)["total"] == 1
    assert client.get(f"/api/desk/requests/{noise}", headers=JSON).json()["masked"] is True


@pytest.mark.browser
def test_an_office_follows_its_merged_call_in_the_browser(
    page: Page, world: ConsoleWorld, committed_engine: Engine, client: httpx.Client
) -> None:
    public_id = _luoyang_request(client, committed_engine, world, NOISE, PHONE)
    csrf = _as(client, "office")
    _register(client, csrf, {"source": "12345", "text": NOISE, "citizen_phone": PHONE})
    p = page
    p.goto("/login")
    p.fill("#username", "office")
    p.fill("#password", PASSWORD)
    p.get_by_role("button", name="登录").click()
    p.wait_for_url(re.compile(r".*/console/.*"))
    p.goto("/console/desk")
    section = p.locator("#merged-outside")
    expect(section).to_contain_text("并入范围外诉求的来电")
    shot(p, "desk-merged-outside-list")
    section.get_by_role("link", name=public_id).click()
    expect(p.locator("#read-only-notice")).to_contain_text("只读")
    expect(p.locator("#request-facts")).not_to_contain_text(PHONE)
    expect(p.locator("#actions form")).to_have_count(0)
    shot(p, "desk-merged-outside-read-only")
