"""The routing table's download and upload over real HTTP (SQLite and PostgreSQL): staff
download it, only the admin uploads it (dry run first), and a downloaded file uploads back
without a change."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import pytest

from .conftest import World

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _rules(client: httpx.Client, world: World) -> set[tuple[str | None, str | None, int]]:
    found = _ok(client.get("/api/desk/routing/rules", headers=world.headers("admin")))
    return {(r["adcode"], r["category_code"], r["organization_id"]) for r in found}


def _upload(
    client: httpx.Client, world: World, user: str, name: str, body: bytes, **form: str
) -> httpx.Response:
    return client.post("/api/desk/routing/rules/import", headers=world.headers(user),
                       files={"file": (name, body, "text/csv")}, data=form)  # fmt: skip


@pytest.mark.parametrize(
    ("user", "status"),
    [("admin", 200), ("office", 200), ("js_housing", 200), ("police", 200),
     ("dispatcher", 403), (None, 403)],
    ids=["admin", "office", "handler", "operator", "dispatcher", "anonymous"],
)  # fmt: skip
def test_staff_download_the_table(
    live_server: str, committed_world: World, user: str | None, status: int
) -> None:
    headers = committed_world.headers(user) if user else {}
    with httpx.Client(base_url=live_server, timeout=120) as client:
        got = client.get("/api/desk/routing/rules/export", headers=headers)
    assert got.status_code == status, got.text
    if status == 200:
        assert got.headers["content-type"].startswith("text/csv")
        assert "attachment" in got.headers["content-disposition"]
        rows = list(csv.DictReader(io.StringIO(got.content.decode("utf-8-sig"))))
        assert len(rows) == 4 and rows[0]["区划名称"] in ("郑州市", "金水区", "洛阳市")
    else:
        assert "无权" in got.text or "登录" in got.text


def test_the_admin_uploads_the_table_others_may_not(
    live_server: str, committed_world: World
) -> None:
    w = committed_world
    with httpx.Client(base_url=live_server, timeout=120) as client:
        before = _rules(client, w)
        sheet = client.get("/api/desk/routing/rules/export", params={"format": "xlsx"},
                           headers=w.headers("admin"))  # fmt: skip
        assert sheet.status_code == 200 and sheet.headers["content-type"] == XLSX
        # A downloaded workbook uploads back as it is: nothing changes.
        back = _ok(client.post("/api/desk/routing/rules/import", headers=w.headers("admin"),
                               files={"file": ("派单表.xlsx", sheet.content, XLSX)}))  # fmt: skip
        assert (back["unchanged"], back["version"], back["filename"]) == (4, None, "派单表.xlsx")

        edited = "区划,分类,承办单位\n中原区,城乡建设,郑州市公安局\n金水区,城乡建设,郑州市公安局\n"
        for user in ("office", "js_housing", "police"):  # the office edits rule by rule only
            refused = _upload(client, w, user, "派单.csv", edited.encode())
            assert refused.status_code == 403, refused.text
            assert "无权" in refused.json()["message_zh"]
        dry = _ok(_upload(client, w, "admin", "派单.csv", edited.encode(), dry_run="true"))
        assert (dry["dry_run"], dry["added"], dry["changed"], dry["applied"]) == (True, 1, 1, False)
        assert _rules(client, w) == before  # a dry run writes nothing
        done = _ok(_upload(client, w, "admin", "派单.csv", edited.encode()))
        assert done["applied"] is True and done["version"] is not None
        assert _rules(client, w) == (before - {("410105", "01", w.orgs["js_housing"])}) | {
            ("410102", "01", w.orgs["police"]), ("410105", "01", w.orgs["police"]),
        }  # fmt: skip
        versions = _ok(client.get("/api/desk/routing/versions", headers=w.headers("admin")))
        assert versions[0]["version"] == done["version"]
        assert versions[0]["note"].startswith("导入派单表 派单.csv")


def test_a_replacing_upload_with_refused_rows_is_refused_whole(
    live_server: str, committed_world: World
) -> None:
    w = committed_world
    body = "区划代码,分类代码,承办单位\n410105,01,郑州市金水区住房和城乡建设局\n410105,99,x\n"
    with httpx.Client(base_url=live_server, timeout=120) as client:
        before = _rules(client, w)
        refused = _upload(client, w, "admin", "派单.csv", body.encode("gbk"), replace="true")
        assert refused.status_code == 422, refused.text
        answer = refused.json()
        assert "替换导入" in answer["message_zh"] and "changed nothing" in answer["message_en"]
        assert answer["applied"] is False and answer["retired"] == 3
        (row,) = answer["refused_rows"]
        assert row["source"] == "派单.csv:3"  # the upload's own name, not its copy's path
        assert "第 3 行「分类代码」" in row["reason"] and "row 3, column 分类代码" in row["reason"]
        assert _rules(client, w) == before
        nothing = _upload(client, w, "admin", "", b"")
        assert nothing.status_code in (400, 422), nothing.text
