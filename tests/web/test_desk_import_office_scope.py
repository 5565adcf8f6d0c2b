"""A matrix office's hotline upload stays in its own queue, over real HTTP.

Rows of an export that routing would place outside the uploading office's scope — a row
without any place (no rule matches: 未派单, on no matrix), a row of another city (routed to
that city's body and queued on its matrix) — used to vanish from the office that uploaded
them. They are now kept in the office's own matrix queue, unassigned (the office
dispatches them to a body of its subtree), and the page and the API answer say how many.
An admin's upload routes as before.
"""

from __future__ import annotations

import csv
import html
import io
import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from zhengwu.audit.models import AuditEntry
from zhengwu.servicedesk import service as desk_service
from zhengwu.servicedesk.models import ServiceRequest

from .conftest import shot
from .office_scope_world import build_office_scope_world
from .test_console_world import PASSWORD, ConsoleWorld, login

HEADER = ["工单编号", "受理时间", "标题", "诉求内容", "联系电话", "区划代码"]
WHEN = "2025-08-01 09:30:00"


@pytest.fixture
def world(committed_engine: Engine) -> ConsoleWorld:
    """The console test city, with a rule that routes every 洛阳 request to 洛阳住建."""
    return build_office_scope_world(committed_engine)


def _rows(prefix: str) -> list[list[str]]:
    """Three tickets: one of 金水区 (in the office's scope by routing), one without any
    place (no rule: on no matrix), one of 洛阳 (another city's body and matrix)."""
    return [
        [f"{prefix}01", WHEN, "物业", "金水区花园路小区物业乱收费，电梯停运", f"138{prefix}000001", "410105"],
        [f"{prefix}02", WHEN, "路灯", "小区门口路灯不亮，晚上出行不便", f"138{prefix}000002", ""],
        [f"{prefix}03", WHEN, "噪音", "涧西区工地夜间施工噪音扰民", f"138{prefix}000003", "410305"],
    ]  # fmt: skip


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([HEADER, *rows])
    return out.getvalue().encode("utf-8")


def _upload(client: httpx.Client, csrf: str, rows: list[list[str]]) -> httpx.Response:
    return client.post(
        "/console/desk/import",
        data={"csrf_token": csrf, "source": "12345"},
        files={"file": ("12345导出.csv", _csv(rows), "text/csv")},
    )


def _count(page: str, key: str) -> int:
    found = re.search(rf'id="count-{key}">(\d+)<', page)
    assert found is not None, page
    return int(found[1])


def _placed(engine: Engine, prefix: str) -> dict[str, tuple[int | None, int | None]]:
    """Return each ticket's (matrix, organisation), by its number's last two digits."""
    with Session(engine) as session:
        rows = session.execute(
            select(ServiceRequest.source_ref, ServiceRequest.matrix_id,
                   ServiceRequest.organization_id)
            .where(ServiceRequest.source_ref.startswith(f"12345:{prefix}"))
        ).all()  # fmt: skip
    return {ref[-2:]: (matrix, org) for ref, matrix, org in rows}


def _queue_total(client: httpx.Client) -> int:
    page = html.unescape(client.get("/console/desk", params={"channel": "12345"}).text)
    found = re.search(r'id="desk-total">共 (\d+) 件', page)
    assert found is not None, page
    return int(found[1])


def test_an_office_upload_keeps_rows_outside_its_scope_in_its_own_queue(
    client: httpx.Client, world: ConsoleWorld, committed_engine: Engine
) -> None:
    csrf = login(client, "office")
    page = _upload(client, csrf, _rows("88"))
    assert page.status_code == 200, page.text
    text = html.unescape(page.text)
    assert (_count(text, "read"), _count(text, "created")) == (3, 3)
    assert _count(text, "office-queue") == 2
    assert "留在本矩阵的队列" in text and "kept in your matrix's queue" in text
    zz, ly = world.matrices["zz"], world.matrices["ly"]
    assert _placed(committed_engine, "88") == {
        "01": (zz, world.orgs["js_housing"]),  # routed inside the office's scope: as before
        "02": (zz, None),  # no place, no rule: the office's dispatch queue
        "03": (zz, None),  # 洛阳's body is not the office's to route to: unassigned here
    }
    assert _queue_total(client) == 3  # the office sees every row it uploaded
    with Session(committed_engine) as session:
        kept = session.scalars(
            select(ServiceRequest).where(ServiceRequest.source_ref == "12345:8803")
        ).one()
        route = session.scalars(
            select(AuditEntry).where(AuditEntry.entity_type == "request",
                                   AuditEntry.entity_id == kept.id, AuditEntry.action == "route")
        ).one()  # fmt: skip
        assert route.reason == desk_service.OFFICE_QUEUE
        assert route.data["office_matrix_id"] == zz
        assert route.data["outside_scope"]["organization_id"] == world.orgs["ly_housing"]
        assert route.data["outside_scope"]["matrix_id"] == ly
    # 洛阳's office does not get a row another office uploaded.
    client.cookies.clear()
    login(client, "office_ly")
    assert _queue_total(client) == 0

    # The API answers the same count.
    client.cookies.clear()
    csrf = login(client, "office")
    answer = client.post(
        "/api/desk/import",
        headers={"X-CSRF-Token": csrf, "Accept": "application/json"},
        data={"source": "12345"},
        files={"file": ("12345导出.csv", _csv(_rows("77")), "text/csv")},
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["created"], body["kept_in_office_queue"]) == (3, 2)
    assert any("留在本矩阵的队列" in w for w in body["warnings"])
    assert _placed(committed_engine, "77")["03"] == (zz, None)
    # Again: the tickets exist, nothing is kept anew.
    again = html.unescape(_upload(client, csrf, _rows("88")).text)
    assert (_count(again, "existing"), _count(again, "office-queue")) == (3, 0)


def test_an_admin_upload_routes_as_before(
    client: httpx.Client, world: ConsoleWorld, committed_engine: Engine
) -> None:
    csrf = login(client, "admin")
    page = _upload(client, csrf, _rows("66"))
    assert page.status_code == 200, page.text
    text = html.unescape(page.text)
    assert _count(text, "created") == 3
    assert 'id="count-office-queue"' not in text  # an admin has no matrix queue of its own
    assert "留在本矩阵的队列" not in text
    assert _placed(committed_engine, "66") == {
        "01": (world.matrices["zz"], world.orgs["js_housing"]),
        "02": (None, None),
        "03": (world.matrices["ly"], world.orgs["ly_housing"]),
    }
    answer = client.post(
        "/api/desk/import",
        headers={"X-CSRF-Token": csrf, "Accept": "application/json"},
        files={"file": ("12345导出.csv", _csv(_rows("55")), "text/csv")},
    )
    assert answer.status_code == 200, answer.text
    assert (answer.json()["created"], answer.json()["kept_in_office_queue"]) == (3, 0)


@pytest.mark.browser
def test_an_office_sees_the_kept_rows_in_the_browser(
    page: Page, world: ConsoleWorld, tmp_path: Path
) -> None:
    export = tmp_path / "12345导出-2025-08.csv"
    export.write_bytes(_csv(_rows("44")))
    p = page
    p.goto("/login")
    p.fill("#username", "office")
    p.fill("#password", PASSWORD)
    p.get_by_role("button", name="登录").click()
    p.wait_for_url(re.compile(r".*/console/.*"))
    p.goto("/console/desk")
    p.locator("#desk-import summary").click()  # the form folds under 导入热线工单
    form = p.locator("#form-desk-import")
    form.locator("input[type=file]").set_input_files(str(export))
    form.get_by_role("button", name="导入 Import").click()
    expect(p.locator("#count-created")).to_have_text("3")
    expect(p.locator("#count-office-queue")).to_have_text("2")
    expect(p.locator(".import-warning").filter(has_text="留在本矩阵的队列")).to_be_visible()
    shot(p, "desk-import-office-queue")
    p.goto("/console/desk?channel=12345")  # the hotline's requests: every uploaded row
    expect(p.locator("#desk-total")).to_contain_text("共 3 件")
