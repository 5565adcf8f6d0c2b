"""The volunteers' sheet uploaded over HTTP: the triage page's form and the JSON API."""

from __future__ import annotations

import csv
import io
import re

import httpx
import pytest
from openpyxl import Workbook
from sqlalchemy import Engine

from zhengwu.auth import service as auth_service
from zhengwu.config import get_settings
from zhengwu.rescue.spreadsheet import UPLOAD_MAX_BYTES

from ..rescue.test_spreadsheet import SHEET, UNSURE
from .test_console_world import ConsoleWorld, build_console_world, login

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def world(committed_engine: Engine) -> ConsoleWorld:
    """The console test city (no index run: rescue does not need one)."""
    auth_service._ip_attempts.clear()
    return build_console_world(committed_engine, with_index=False)


def _workbook() -> bytes:
    """SHEET as the volunteers' .xlsx: a title row above the header, as they make it."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["待救援人员信息（7月21日 10:00 更新）"])
    for row in csv.reader(io.StringIO(SHEET)):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _upload(
    client: httpx.Client, world: ConsoleWorld, csrf: str, name: str, content: bytes, kind: str
) -> httpx.Response:
    return client.post(f"/console/rescue/{world.incident_id}/sheet",
                       data={"csrf_token": csrf}, files={"file": (name, content, kind)})  # fmt: skip


def _counts(page: str) -> dict[str, int]:
    found = dict(re.findall(r'<b id="sheet-(\w+)">(\d+)</b>', page))
    return {key: int(value) for key, value in found.items()}


def _queue_names(client: httpx.Client, world: ConsoleWorld) -> list[str]:
    queue = client.get(f"/api/rescue/incidents/{world.incident_id}/queue",
                       headers={"Accept": "application/json"})  # fmt: skip
    assert queue.status_code == 200, queue.text
    return [item["name"] for item in queue.json()["items"]]


def _no_temporary_files() -> bool:
    tmp = get_settings().data_dir / "tmp"
    return not tmp.exists() or not any(tmp.iterdir())


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [("待救援人员信息.csv", SHEET.encode("utf-8-sig"), "text/csv"),
     ("待救援人员信息.xlsx", _workbook(), XLSX)],
    ids=["csv", "xlsx"],
)  # fmt: skip
def test_dispatcher_uploads_the_sheet_twice(
    client: httpx.Client, world: ConsoleWorld, name: str, content: bytes, kind: str
) -> None:
    csrf = login(client, "dispatcher")
    queue = client.get(f"/console/rescue/{world.incident_id}").text
    assert 'id="form-sheet"' in queue and 'enctype="multipart/form-data"' in queue
    assert sorted(_queue_names(client, world)) == sorted(["张建国", "王芳"])

    first = _upload(client, world, csrf, name, content, kind)
    assert first.status_code == 200, first.text
    # Row 1 repeats the world's 张建国 (same phone): merged; 刘桂兰 and 赵六 are new;
    # 王五 (no address, no phone) and 孙七 (no address, no phone) are refused with reasons.
    assert _counts(first.text) == {"new": 2, "merged": 1, "known": 0, "quarantined": 2}
    assert f"已导入「{name}」" in first.text
    assert f'href="/console/rescue/{world.incident_id}/set-aside?kind=quarantined"' in first.text
    warnings = first.text[first.text.index('id="sheet-warnings"') :].split("</ul>")[0]
    assert "不知道" in warnings and f"{name} 第" in warnings
    assert ".sheet-" not in first.text  # the temporary file's name is never shown
    # The page's address is now …/sheet: its search form goes back to the queue.
    assert f'<form method="get" action="/console/rescue/{world.incident_id}"' in first.text
    assert "刘桂兰" in first.text and "赵六" in first.text  # the queue below, unmasked for them
    names = _queue_names(client, world)
    assert {"刘桂兰", "赵六", "张建国", "王芳"} <= set(names) and len(names) == 4
    refused = client.get(f"/console/rescue/{world.incident_id}/set-aside?kind=quarantined").text
    assert f"{name} 第" in refused and "neither address nor contact" in refused
    assert _no_temporary_files()

    again = _upload(client, world, csrf, name, content, kind)
    assert again.status_code == 200, again.text
    assert _counts(again.text) == {"new": 0, "merged": 0, "known": 3, "quarantined": 2}
    assert len(_queue_names(client, world)) == 4
    assert _no_temporary_files()


def test_the_api_takes_a_gbk_sheet_and_reports_json(
    client: httpx.Client, world: ConsoleWorld
) -> None:
    csrf = login(client, "admin")
    url = f"/api/rescue/incidents/{world.incident_id}/sheet"
    headers = {"Accept": "application/json", "X-CSRF-Token": csrf}
    sheet = ("待救援人员信息.csv", SHEET.encode("gbk"), "text/csv")
    first = client.post(url, headers=headers, files={"file": sheet})
    assert first.status_code == 200, first.text
    report = first.json()
    assert (report["read"], report["new_requests"], report["merged"]) == (5, 2, 1)
    assert report["quarantined"] == 2 and len(report["request_ids"]) == 2  # the new ones
    assert any("不知道" in w for w in report["warnings"])
    again = client.post(url, headers=headers, files={"file": sheet}).json()
    assert (again["new_requests"], again["known"]) == (0, 3)
    old = client.post(url, headers=headers, files={"file": ("名单.xls", b"\xd0\xcf\x11\xe0", "")})
    assert old.status_code == 422
    error = old.json()
    assert "旧版 Excel（.xls）" in error["message_zh"] and "名单.xls" in error["message_zh"]
    assert "old Excel (.xls)" in error["message_en"] and ".sheet-" not in error["message_en"]
    missing = client.post(f"/api/rescue/incidents/{world.incident_id + 999}/sheet",
                          headers=headers, files={"file": sheet})  # fmt: skip
    assert missing.status_code == 404
    assert _no_temporary_files()


@pytest.mark.parametrize("role", ["verifier", "team", "operator"])
def test_roles_without_the_right_get_403(
    client: httpx.Client, world: ConsoleWorld, role: str
) -> None:
    csrf = login(client, role)
    if role != "operator":  # the others may read the triage page, without the form
        queue = client.get(f"/console/rescue/{world.incident_id}")
        assert queue.status_code == 200 and 'id="form-sheet"' not in queue.text
    sheet = {"file": ("待救援人员信息.csv", SHEET.encode(), "text/csv")}
    page = client.post(f"/console/rescue/{world.incident_id}/sheet",
                       data={"csrf_token": csrf}, files=sheet)  # fmt: skip
    assert page.status_code == 403
    api = client.post(f"/api/rescue/incidents/{world.incident_id}/sheet",
                      headers={"Accept": "application/json", "X-CSRF-Token": csrf}, files=sheet)  # fmt: skip
    assert api.status_code == 403 and api.json()["message_en"]
    with httpx.Client(base_url=client.base_url, headers={"Accept": "text/html"}) as other:
        login(other, "dispatcher")
        assert len(_queue_names(other, world)) == 2  # nothing was taken in


def test_refusals_come_back_on_the_page(client: httpx.Client, world: ConsoleWorld) -> None:
    csrf = login(client, "dispatcher")
    old = _upload(client, world, csrf, "待救援人员信息.xls", b"\xd0\xcf\x11\xe0", "")
    assert old.status_code == 422
    assert 'id="error-sheet"' in old.text
    assert "不支持旧版 Excel（.xls）文件，请另存为 .xlsx 或 CSV" in old.text
    assert "save it as .xlsx or CSV" in old.text and ".sheet-" not in old.text
    big = b"x" * (UPLOAD_MAX_BYTES + 1)
    too_big = _upload(client, world, csrf, "待救援人员信息.csv", big, "text/csv")
    assert too_big.status_code == 422
    assert "超过 5 MB" in too_big.text and "larger than 5 MB" in too_big.text
    other = _upload(client, world, csrf, "照片.jpg", b"\xff\xd8\xff", "image/jpeg")
    assert other.status_code == 422 and "不支持的文件类型" in other.text
    no_csrf = client.post(f"/console/rescue/{world.incident_id}/sheet",
                          files={"file": ("a.csv", SHEET.encode(), "text/csv")})  # fmt: skip
    assert no_csrf.status_code == 403
    assert len(_queue_names(client, world)) == 2
    assert _no_temporary_files()


def test_rows_taken_in_unsure_are_warned_on_the_page_and_in_the_api(
    client: httpx.Client, world: ConsoleWorld
) -> None:
    """A 超级紧急 row whose 是否核实 is 不知道 and 时间 昨天下午 is imported; the page and
    the API name the row and the cell; the API's answer for a later sheet saying 是 has
    no warning and the request is verified."""
    csrf = login(client, "dispatcher")
    unsure = UNSURE.format(verified="不知道", rescued="否", time="昨天下午").encode()
    page = _upload(client, world, csrf, "名单.csv", unsure, "text/csv")
    assert page.status_code == 200, page.text
    assert _counts(page.text) == {"new": 1, "merged": 0, "known": 0, "quarantined": 0}
    warnings = page.text[page.text.index('id="sheet-warnings"') :].split("</ul>")[0]
    assert "名单.csv 第 2 行：是否核实「不知道」无法识别，按未核实导入" in warnings
    assert "名单.csv 第 2 行：时间「昨天下午」无法识别" in warnings
    assert "row 2: verified &#39;不知道&#39; not understood" in warnings
    url = f"/api/rescue/incidents/{world.incident_id}/sheet"
    headers = {"Accept": "application/json", "X-CSRF-Token": csrf}
    later = UNSURE.format(verified="是", rescued="否", time="2021-07-20 15:00").encode()
    answer = client.post(url, headers=headers, files={"file": ("名单.csv", later, "text/csv")})
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert (report["known"], report["new_requests"], report["warnings"]) == (1, 0, [])
    queue = client.get(f"/api/rescue/incidents/{world.incident_id}/queue",
                       headers={"Accept": "application/json"}).json()  # fmt: skip
    [wu] = [item for item in queue["items"] if item["name"] == "吴九"]
    assert (wu["verification"], wu["state"]) == ("confirmed", "verified")
    # The first sheet again: warned again, and its 不知道 does not undo the verification.
    again = client.post(url, headers=headers, files={"file": ("名单.csv", unsure, "text/csv")})
    assert any("是否核实「不知道」" in w for w in again.json()["warnings"])
    after = client.get(f"/api/rescue/requests/{wu['id']}", headers={"Accept": "application/json"})
    assert after.json()["verification"] == "confirmed"


def test_the_page_lists_the_first_200_warnings(client: httpx.Client, world: ConsoleWorld) -> None:
    """A sheet whose every 是否核实 says 待定: every row is imported, the page lists 200
    warnings and says how many there are (the JSON has every one)."""
    csrf = login(client, "dispatcher")
    rows = "".join(f"志愿者{n},郑州市金水区经{n}路{n}号,2,被困,紧急,1370000{n:04d},待定\n"
                   for n in range(201))  # fmt: skip
    sheet = ("姓名,地址,人数,情况,紧急程度,联系方式,是否核实\n" + rows).encode()
    page = _upload(client, world, csrf, "名单.csv", sheet, "text/csv")
    assert page.status_code == 200, page.text
    assert _counts(page.text)["quarantined"] == 0
    listed = page.text[page.text.index('id="sheet-warnings"') :].split("</ul>")[0]
    assert listed.count("<li>") == 200 and "第 201 行" in listed and "第 202 行" not in listed
    assert "只列出前 200 条提示，共 201 条" in page.text
