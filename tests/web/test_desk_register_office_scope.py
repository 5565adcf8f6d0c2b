"""A request a matrix office registers by hand stays in its sight, over real HTTP.

``POST /api/desk/requests`` (a call taken by phone, a letter) — and ``POST /api/requests``
logged in — used to route an office's request as anyone's: one without a place (no rule:
未派单, on no matrix) or of another city (that city's body and queue) was created, and the
office that registered it could not open it. Now it is kept in the office's own matrix
queue, unassigned, with the import's audit reason, and the answer says so and why. An
admin's and a handler's registrations route as before.

A matrix office whose account has no matrix (``users.matrix_id`` emptied by hand) would
take requests in as an admin does and see none of them: it is refused, in both languages —
its uploads before their body is read.
"""

from __future__ import annotations

import csv
import html
import io
import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from zhengwu.audit.models import AuditEntry
from zhengwu.ingest.models import ImportRun
from zhengwu.servicedesk import service as desk_service
from zhengwu.servicedesk.models import ServiceRequest
from zhengwu.servicedesk.routing import fallback as routing_fallback

from .conftest import shot
from .office_scope_world import build_office_scope_world
from .test_console_world import PASSWORD, ConsoleWorld, login
from .test_upload_permission_first import _as, _post_unfinished

JSON = {"Accept": "application/json"}
# (text, adcode, phone): one of 金水区 (routed inside 郑州's matrix), one without any place
# (no rule matches: no matrix), one of 洛阳 (洛阳's body and queue).
CALLS = {
    "jinshui": ("金水区花园路小区物业乱收费，电梯停运两周", "410105", "13811110001"),
    "nowhere": ("小区门口路灯不亮，晚上出行不便，请尽快修理", None, "13811110002"),
    "luoyang": ("涧西区工地夜间施工噪音扰民，半夜还在打桩", "410305", "13811110003"),
}


@pytest.fixture
def world(committed_engine: Engine) -> ConsoleWorld:
    """The console test city, with a rule that routes every 洛阳 request to 洛阳住建, and a
    matrix office whose matrix was emptied by hand (``office_none``)."""
    return build_office_scope_world(committed_engine, without_matrix=["office_none"])


def _body(key: str, **extra: Any) -> dict[str, Any]:
    text, adcode, phone = CALLS[key]
    body: dict[str, Any] = {"source": "12345", "text": text, "citizen_phone": phone, **extra}
    if adcode:
        body["adcode"] = adcode
    return body


def _register(
    client: httpx.Client, csrf: str, body: dict[str, Any], path: str = "/api/desk/requests"
) -> httpx.Response:
    return client.post(path, json=body, headers={**JSON, "X-CSRF-Token": csrf})


def _placed(engine: Engine, public_id: str) -> tuple[int | None, int | None]:
    with Session(engine) as session:
        req = desk_service.get_by_public_id(session, public_id)
        return req.matrix_id, req.organization_id


def _route_entry(engine: Engine, public_id: str) -> AuditEntry:
    with Session(engine) as session:
        req = desk_service.get_by_public_id(session, public_id)
        return session.scalars(
            select(AuditEntry).where(AuditEntry.entity_type == "request",
                                   AuditEntry.entity_id == req.id, AuditEntry.action == "route")
        ).one()  # fmt: skip


def _requests(engine: Engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(ServiceRequest)) or 0


def test_an_office_registration_outside_its_scope_is_kept_in_its_queue(
    client: httpx.Client, world: ConsoleWorld, committed_engine: Engine
) -> None:
    zz, ly = world.matrices["zz"], world.matrices["ly"]
    csrf = login(client, "office")
    answers = {}
    for key in CALLS:
        answer = _register(client, csrf, _body(key))
        assert answer.status_code == 201, answer.text
        answers[key] = answer.json()

    inside = answers["jinshui"]  # routed inside the office's scope: as before
    assert (inside["kept_in_office_queue"], inside["warnings"]) == (False, [])
    assert inside["matrix_id"] == zz and inside["organization_id"] == world.orgs["js_housing"]
    assert _placed(committed_engine, inside["public_id"]) == (zz, world.orgs["js_housing"])
    assert _route_entry(committed_engine, inside["public_id"]).reason is None

    nowhere = answers["nowhere"]  # no place, no rule: the office's own dispatch queue
    assert nowhere["kept_in_office_queue"] is True
    assert (nowhere["matrix_id"], nowhere["organization_id"]) == (zz, None)
    [warning] = nowhere["warnings"]
    assert "已留在本矩阵的队列" in warning and "没有区划或匹配的路由规则" in warning
    assert "kept in your matrix's queue" in warning and nowhere["public_id"] in warning
    assert _placed(committed_engine, nowhere["public_id"]) == (zz, None)

    luoyang = answers["luoyang"]  # 洛阳's body is not the office's to route to
    assert luoyang["kept_in_office_queue"] is True
    assert (luoyang["matrix_id"], luoyang["organization_id"]) == (zz, None)
    [warning] = luoyang["warnings"]
    assert "洛阳市住房和城乡建设局" in warning and "洛阳政务新媒体矩阵" in warning
    assert "routing would send it to 洛阳市住房和城乡建设局" in warning
    route = _route_entry(committed_engine, luoyang["public_id"])
    assert route.reason == desk_service.OFFICE_QUEUE  # the import's reason, word for word
    assert route.data["office_matrix_id"] == zz
    assert route.data["outside_scope"] == {
        "routing_rule_id": route.data["outside_scope"]["routing_rule_id"],
        "organization_id": world.orgs["ly_housing"], "matrix_id": ly,
        # 洛阳's rule names no category: a fallback for the city, and the entry says so.
        "fallback": "no_rule_for_category",
    }  # fmt: skip
    assert route.data["outside_scope"]["routing_rule_id"] is not None

    # The office opens every request it registered; 洛阳's office gets none of them.
    for answer in answers.values():
        detail = client.get(f"/api/desk/requests/{answer['public_id']}", headers=JSON)
        assert detail.status_code == 200, detail.text
    client.cookies.clear()
    login(client, "office_ly")
    refused = client.get(f"/api/desk/requests/{luoyang['public_id']}", headers=JSON)
    assert refused.status_code in (403, 404)
    assert client.get("/api/desk/requests", headers=JSON).json() == []


def test_the_public_intake_api_keeps_an_office_request_the_same_way(
    client: httpx.Client, world: ConsoleWorld, committed_engine: Engine
) -> None:
    csrf = login(client, "office")
    answer = _register(client, csrf, _body("luoyang", source="api"), path="/api/requests")
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["kept_in_office_queue"] is True and len(body["warnings"]) == 1
    assert _placed(committed_engine, body["public_id"]) == (world.matrices["zz"], None)
    # The receipt page of a form post says it too.
    form = client.post(
        "/api/requests",
        data={"text": "西工区道路破损严重，车辆通行困难", "adcode": "410303"},
        headers={"Accept": "text/html", "X-CSRF-Token": csrf},
    )
    assert form.status_code == 201, form.text
    assert "已留在本矩阵的队列" in html.unescape(form.text)
    assert 'id="receipt-warning-1"' in form.text


def test_admin_and_handler_registrations_route_as_before(
    client: httpx.Client, world: ConsoleWorld, committed_engine: Engine
) -> None:
    csrf = login(client, "admin")
    nowhere = _register(client, csrf, _body("nowhere")).json()
    luoyang = _register(client, csrf, _body("luoyang")).json()
    assert (nowhere["kept_in_office_queue"], nowhere["warnings"]) == (False, [])
    assert _placed(committed_engine, nowhere["public_id"]) == (None, None)
    assert _placed(committed_engine, luoyang["public_id"]) == (
        world.matrices["ly"], world.orgs["ly_housing"],
    )  # fmt: skip
    # Routed by 洛阳's rule for any category (a fallback for the city): the entry says why.
    route = _route_entry(committed_engine, luoyang["public_id"])
    assert route.reason == routing_fallback.reason("no_rule_for_category")
    assert route.data["fallback"] == "no_rule_for_category"
    client.cookies.clear()
    csrf = login(client, "handler")
    other = _register(client, csrf, _body("luoyang", citizen_phone="13811119999",
                                          text="涧西区建材市场门口占道经营，堵塞交通")).json()  # fmt: skip
    assert (other["kept_in_office_queue"], other["warnings"]) == (False, [])
    assert _placed(committed_engine, other["public_id"]) == (
        world.matrices["ly"], world.orgs["ly_housing"],
    )  # fmt: skip


def test_an_office_is_told_when_its_call_joins_a_request_outside_its_scope(
    client: httpx.Client, world: ConsoleWorld, committed_engine: Engine
) -> None:
    csrf = login(client, "admin")
    first = _register(client, csrf, _body("luoyang", source_ref="12345:LY-1")).json()
    client.cookies.clear()
    csrf = login(client, "office")
    again = _register(client, csrf, _body("luoyang"))  # the same caller, the same problem
    assert again.status_code == 201, again.text
    body = again.json()
    assert (body["status"], body["public_id"]) == ("merged", first["public_id"])
    assert body["kept_in_office_queue"] is False  # nothing new: not moved
    assert body["merged_outside_scope"] is True  # read-only for the office now
    [warning] = body["warnings"]
    assert "只读" in warning and "read-only" in warning and first["public_id"] in warning
    assert _placed(committed_engine, first["public_id"]) == (
        world.matrices["ly"], world.orgs["ly_housing"],
    )  # fmt: skip
    # Its source on file again: the office reads that request read-only, and is told so.
    seen = _register(client, csrf, _body("jinshui", source_ref="12345:LY-1")).json()
    assert (seen["status"], seen["merged_outside_scope"]) == ("existing", False)
    [warning] = seen["warnings"]
    assert "已登记过" in warning and "可只读查看" in warning and "read-only" in warning
    # A source on file as a 洛阳 request no call of the office joined: out of its sight.
    client.cookies.clear()
    csrf = login(client, "admin")
    other = _register(client, csrf, _body("luoyang", source_ref="12345:LY-2",
                                          citizen_phone="13811119998")).json()  # fmt: skip
    client.cookies.clear()
    csrf = login(client, "office")
    unseen = _register(client, csrf, _body("jinshui", source_ref="12345:LY-2")).json()
    assert (unseen["status"], unseen["public_id"]) == ("existing", other["public_id"])
    [warning] = unseen["warnings"]
    assert "本账号看不到" in warning and "you cannot see it" in warning


def test_an_office_without_a_matrix_may_not_register_or_import(
    client: httpx.Client, world: ConsoleWorld, committed_engine: Engine, live_server: str
) -> None:
    before = _requests(committed_engine)
    csrf = login(client, "office_none")
    for path in ("/api/desk/requests", "/api/requests"):
        answer = _register(client, csrf, _body("jinshui"), path=path)
        assert answer.status_code == 403, (path, answer.text)
        message = str(answer.json())
        assert "没有所属矩阵" in message and "请平台管理员" in message, message
        assert "without a matrix" in message and "An admin must set" in message, message
    # Refused before the body is even validated: no 422 for a bad one.
    bad = client.post("/api/desk/requests", content=b"{", headers={
        **JSON, "X-CSRF-Token": csrf, "Content-Type": "application/json"})  # fmt: skip
    assert bad.status_code == 403, bad.text
    # An upload is refused before it is read (the server would wait for 20 MB otherwise).
    for path, accept in (("/api/desk/import", "application/json"),
                         ("/console/desk/import", "text/html")):  # fmt: skip
        status, answer = _post_unfinished(
            live_server, path, {**_as(client, "office_none"), "Accept": accept}
        )
        assert status == 403, answer
        assert "没有所属矩阵" in answer and "An admin must set" in answer, answer
    assert _requests(committed_engine) == before
    with Session(committed_engine) as session:
        assert session.scalar(select(func.count()).select_from(ImportRun)) == 0
    # The desk page says why it has no rows and no import form.
    client.cookies.clear()
    login(client, "office_none")
    page = html.unescape(client.get("/console/desk").text)
    assert 'id="no-matrix-notice"' in page and "请平台管理员为本账号设置所属矩阵" in page
    assert 'id="form-desk-import"' not in page
    # An office with its matrix still has the form, and no such notice.
    client.cookies.clear()
    login(client, "office")
    page = client.get("/console/desk").text
    assert 'id="form-desk-import"' in page and 'id="no-matrix-notice"' not in page


def test_an_office_with_its_matrix_still_imports(
    client: httpx.Client, world: ConsoleWorld, committed_engine: Engine
) -> None:
    out = io.StringIO()
    csv.writer(out).writerows([["工单编号", "受理时间", "诉求内容", "区划代码"],
                               ["R01", "2025-08-01 09:30:00", CALLS["luoyang"][0], "410305"]])  # fmt: skip
    csrf = login(client, "office")
    answer = client.post(
        "/api/desk/import", headers={**JSON, "X-CSRF-Token": csrf},
        files={"file": ("12345导出.csv", out.getvalue().encode(), "text/csv")},
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    assert (answer.json()["created"], answer.json()["kept_in_office_queue"]) == (1, 1)


@pytest.mark.browser
def test_an_office_without_a_matrix_is_told_why_in_the_browser(
    page: Page, world: ConsoleWorld
) -> None:
    p = page
    p.goto("/login")
    p.fill("#username", "office_none")
    p.fill("#password", PASSWORD)
    p.get_by_role("button", name="登录").click()
    p.wait_for_url(re.compile(r".*/console/.*"))
    p.goto("/console/desk")
    notice = p.locator("#no-matrix-notice")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("请平台管理员为本账号设置所属矩阵")
    expect(notice).to_contain_text("An admin must set the account's matrix")
    expect(p.locator("#desk-import")).to_have_count(0)  # no import form to fail on
    expect(p.locator("#desk-total")).to_contain_text("共 0 件")
    shot(p, "desk-office-without-matrix")
