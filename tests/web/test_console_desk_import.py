"""导入热线工单 from the console and ``POST /api/desk/import``, over real HTTP.

A 12345 export built from real city messages (../shared/data/citizen-messages) is uploaded
as CSV and as .xlsx: the requests reach the queue, a second upload finds them there, a bad
row is listed with its reason (never its raw text), an old .xls is refused clearly, and a
handler of one organisation may not import at all. A compressed "bomb" (.zip, .gz, .7z)
stops at the decompression limit with the rows before it taken in.
"""

from __future__ import annotations

import csv
import gzip
import html
import io
import re
import zipfile
from pathlib import Path

import httpx
import py7zr
import pytest
from openpyxl import Workbook
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from tests.ingest.test_workbook_limits import bomb_workbook

from zhengwu.auth import service as auth_service
from zhengwu.ingest.models import ImportRun, QuarantineEntry
from zhengwu.servicedesk.models import ServiceRequest

from .test_console_world import ConsoleWorld, build_console_world, login

HEADER = ["工单编号", "受理时间", "标题", "诉求内容", "联系电话", "区划代码"]
BAD_PHONE = "13955550000"  # the bad row's caller: never shown on the page


@pytest.fixture
def world(committed_engine: Engine) -> ConsoleWorld:
    """The console test city (no index run: the desk does not need one)."""
    auth_service._ip_attempts.clear()
    return build_console_world(committed_engine, with_index=False)


def _messages(shared_data: Path, n: int) -> list[dict[str, str]]:
    source = shared_data / "citizen-messages" / "messages_with_replies.csv"
    with source.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))[:n]


def _rows(messages: list[dict[str, str]], first: int) -> list[list[str]]:
    """12345 export rows: ticket number, time received (the message's own), title, text,
    phone, and a district of Zhengzhou (the office's matrix: its queue shows them)."""
    return [
        [str(20250801000000 + first + i), m["留言时间"], m["留言主题"], m["留言详情"],
         f"1380000{first + i:04d}", "410105"]
        for i, m in enumerate(messages)
    ]  # fmt: skip


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([HEADER, *rows])
    return out.getvalue().encode("utf-8")


def _xlsx(rows: list[list[str]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["郑州市12345热线工单导出"])  # a title row above the table, as exports have
    for row in [HEADER, *rows]:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _upload(
    client: httpx.Client, csrf: str, name: str, content: bytes, **fields: str
) -> httpx.Response:
    return client.post(
        "/console/desk/import",
        data={"csrf_token": csrf, "source": "12345", **fields},
        files={"file": (name, content, "application/octet-stream")},
    )


def _count(page: str, key: str) -> int:
    found = re.search(rf'id="count-{key}">(\d+)<', page)
    assert found is not None, page
    return int(found[1])


def _leftovers() -> list[Path]:
    """Return the upload copies (and their decompressed copies) left in the data dir's
    scratch directory."""
    from zhengwu.config import get_settings

    scratch = get_settings().data_dir / "tmp"
    return [*scratch.glob("desk-upload-*"), *scratch.glob("unpack-*")]


def _hotline_requests(engine: Engine) -> int:
    with Session(engine) as session:
        stmt = select(func.count()).select_from(ServiceRequest)
        return int(session.scalar(stmt.where(ServiceRequest.source == "12345")) or 0)


def test_office_imports_a_csv_then_finds_it_existing(
    client: httpx.Client, world: ConsoleWorld, shared_data: Path, committed_engine: Engine
) -> None:
    rows = _rows(_messages(shared_data, 6), 0)
    bad = ["20250801999999", "下周三", "无效时间", "小区门口路灯不亮", BAD_PHONE, "410105"]
    csrf = login(client, "office")
    queue = client.get("/console/desk").text
    assert 'id="form-desk-import"' in queue  # the office takes requests in for the desk
    assert 'value="12345" selected' in queue

    page = _upload(client, csrf, "12345导出-2025-08.csv", _csv([*rows, bad]))
    assert page.status_code == 200, page.text
    text = html.unescape(page.text)
    assert _count(text, "read") == 7
    assert _count(text, "created") == 6
    assert _count(text, "quarantined") == 1
    # The bad row, by its place in the uploaded file and why; its caller's number is not shown.
    assert re.search(
        r"<td>12345导出-2025-08\.csv:8</td><td>「[^」]+」的时间无法识别[^<]*下周三", text
    ), text
    assert BAD_PHONE not in text and "小区门口路灯不亮" not in text
    assert "desk-upload-" not in text  # the server's copy is never named
    # The messages are from 2019: past their deadline when taken in, said as the CLI says it.
    assert "接收时已超过办结期限" in text and "past their resolve deadline" in text
    assert _hotline_requests(committed_engine) == 6
    listed = html.unescape(client.get("/console/desk", params={"channel": "12345"}).text)
    assert rows[0][2][:20] in listed or rows[0][3][:20] in listed
    assert re.search(r'id="desk-total">共 6 件', listed), listed
    with Session(committed_engine) as session:
        entry = session.scalars(select(QuarantineEntry)).one()
        assert entry.source == "12345导出-2025-08.csv:8"  # `zhengwu quarantine` says the same
        run = session.get(ImportRun, entry.run_id)
        assert run is not None and run.paths == "12345导出-2025-08.csv"
    assert _leftovers() == []  # the upload's copy is removed once imported
    # Again: nothing new; every ticket is found existing.
    again = html.unescape(_upload(client, csrf, "12345导出-2025-08.csv", _csv(rows)).text)
    assert (_count(again, "created"), _count(again, "existing")) == (0, 6)
    assert _hotline_requests(committed_engine) == 6


def test_admin_imports_an_xlsx_and_the_api_returns_the_summary(
    client: httpx.Client, world: ConsoleWorld, shared_data: Path, committed_engine: Engine
) -> None:
    messages = _messages(shared_data, 8)
    csrf = login(client, "admin")
    book = _upload(client, csrf, "工单.xlsx", _xlsx(_rows(messages[:4], 100)), public="1")
    assert book.status_code == 200, book.text
    assert (_count(book.text, "read"), _count(book.text, "created")) == (4, 4)
    with Session(committed_engine) as session:
        public = session.scalars(
            select(ServiceRequest.is_public).where(ServiceRequest.source == "12345")
        ).all()
        assert public == [True] * 4  # the "public" box is the CLI's --public

    answer = client.post(
        "/api/desk/import",
        headers={"X-CSRF-Token": csrf, "Accept": "application/json"},
        data={"source": "12345"},
        files={"file": ("工单.csv", _csv(_rows(messages, 100)) + b"20250801999998,,,,,\n")},
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["read"], body["created"], body["existing"]) == (9, 4, 4)
    assert body["quarantined"] == 1
    assert body["quarantine"][0]["source"] == "工单.csv:10"
    assert "诉求内容" in body["quarantine"][0]["reason"]
    assert "raw" not in body["quarantine"][0]
    assert any("超过办结期限" in w for w in body["warnings"])
    assert _hotline_requests(committed_engine) == 8


def test_a_workbook_of_monthly_sheets_is_read_whole_and_its_summary_sheet_said(
    client: httpx.Client, world: ConsoleWorld, shared_data: Path, committed_engine: Engine
) -> None:
    """一月 and 二月 with the same header and a 汇总 pivot, uploaded on the console: both
    months' tickets come in, the page says the pivot was not read and why (naming the
    uploaded file, never the server's copy), a bad row is listed by its sheet, and the API
    upload of the same workbook adds nothing."""
    messages = _messages(shared_data, 7)
    book = Workbook()
    january = book.active
    assert january is not None
    january.title = "一月"
    for row in [["郑州市12345热线工单导出 2025年1月"], HEADER, *_rows(messages[:3], 300)]:
        january.append(row)
    february = book.create_sheet("二月")
    bad = ["20250801999997", "下周三", "无效时间", "小区门口路灯不亮", BAD_PHONE, "410105"]
    for row in [HEADER, *_rows(messages[3:], 303), bad]:
        february.append(row)
    pivot = book.create_sheet("汇总")
    for row in [["区域", "件数"], ["金水区", 7]]:
        pivot.append(row)
    out = io.BytesIO()
    book.save(out)
    csrf = login(client, "office")
    page = _upload(client, csrf, "工单-2025年1-2月.xlsx", out.getvalue())
    assert page.status_code == 200, page.text
    text = html.unescape(page.text)
    assert (_count(text, "created"), _count(text, "quarantined")) == (7, 1)
    assert re.search(
        r'class="notice import-warning"[^>]*>警告 warning：工单-2025年1-2月\.xlsx!汇总：'
        r"工作表「汇总」未读取，其表头（区域, 件数）与第一个表格「一月」的表头",
        text,
    ), text
    assert "sheet '汇总' of 工单-2025年1-2月.xlsx was not read" in text
    assert re.search(r"<td>工单-2025年1-2月\.xlsx!二月:6</td><td>「[^」]+」的时间无法识别", text), (
        text
    )
    assert "desk-upload-" not in text
    assert _hotline_requests(committed_engine) == 7
    answer = client.post(
        "/api/desk/import",
        headers={"X-CSRF-Token": csrf, "Accept": "application/json"},
        data={"source": "12345"},
        files={"file": ("工单-2025年1-2月.xlsx", out.getvalue())},
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["created"], body["existing"], body["quarantined"]) == (0, 7, 1)
    [said] = [w for w in body["warnings"] if "汇总" in w]
    assert said.startswith("工单-2025年1-2月.xlsx!汇总：") and "was not read" in said
    assert _hotline_requests(committed_engine) == 7


def test_a_known_number_of_another_channel_names_the_source_drop_down_or_field(
    client: httpx.Client, world: ConsoleWorld, shared_data: Path
) -> None:
    rows = _rows(_messages(shared_data, 1), 0)
    csrf = login(client, "office")
    assert _count(html.unescape(_upload(client, csrf, "a.csv", _csv(rows)).text), "created") == 1
    # Another channel's ticket with the same number: the advice names the 来源 drop-down.
    other = [[rows[0][0], "2025-08-02 09:00:00", "", "岳麓区井盖丢失", "13900000000", "410105"]]
    page = html.unescape(_upload(client, csrf, "b.csv", _csv(other)).text)
    assert _count(page, "quarantined") == 1
    assert "编号已存在但内容不同" in page
    assert "请在「来源」下拉框中选择其来源再导入" in page
    assert "choose its source in the 来源 (Source) drop-down" in page
    assert "--source" not in page
    # The API names its field.
    answer = client.post(
        "/api/desk/import",
        headers={"X-CSRF-Token": csrf, "Accept": "application/json"},
        data={"source": "12345"},
        files={"file": ("b.csv", _csv(other))},
    )
    assert answer.status_code == 200, answer.text
    [reason] = [q["reason"] for q in answer.json()["quarantine"]]
    assert "请在 source 字段中指定其来源" in reason and "with the source field" in reason
    assert "--source" not in reason and "下拉框" not in reason


def test_old_excel_is_refused_clearly_and_nothing_stays(
    client: httpx.Client, world: ConsoleWorld, committed_engine: Engine
) -> None:
    csrf = login(client, "office")
    refused = _upload(client, csrf, "工单.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)
    assert refused.status_code == 422
    text = html.unescape(refused.text)
    assert 'id="import-error"' in text
    assert "另存为 .xlsx 或 CSV" in text and "save it as .xlsx or CSV" in text
    assert "工单.xls" in text and "desk-upload-" not in text
    api = client.post(
        "/api/desk/import",
        headers={"X-CSRF-Token": csrf, "Accept": "application/json"},
        files={"file": ("工单.xls", b"\xd0\xcf\x11\xe0")},
    )
    assert api.status_code == 422
    assert "另存为 .xlsx 或 CSV" in api.json()["message_zh"]
    # A file refused whole names the upload, in the message and in "refused" alike.
    headless = client.post(
        "/api/desk/import",
        headers={"X-CSRF-Token": csrf, "Accept": "application/json"},
        files={"file": ("a.csv", b"x,y\n1,2\n")},
    )
    assert headless.status_code == 422 and "desk-upload-" not in headless.text
    assert headless.json()["message_zh"].startswith("a.csv 不是可导入的诉求 CSV")
    no_file = client.post("/console/desk/import", data={"csrf_token": csrf, "source": "12345"})
    assert no_file.status_code == 422 and "请选择要导入的热线导出文件" in no_file.text
    bogus = _upload(client, csrf, "a.csv", _csv([]), source="fax")
    assert bogus.status_code == 422 and "来源无效" in bogus.text
    # A hotline export is no channel's of its own (before: weibo, form, open311 … were taken,
    # and the file's calls counted as that channel): 12345 or csv, as the docs say.
    for channel in ("weibo", "form", "open311"):
        refused = _upload(client, csrf, "a.csv", _csv([]), source=channel)
        assert refused.status_code == 422, channel
        assert f"来源无效：'{channel}'（可选：12345、csv）" in html.unescape(refused.text)
    offered = client.get("/console/desk").text.split('name="source"')[1].split("</select>")[0]
    assert re.findall(r'<option value="([^"]+)"', offered) == ["12345", "csv"]
    with Session(committed_engine) as session:
        assert session.scalar(select(func.count()).select_from(ImportRun)) == 0


def test_handlers_and_forged_posts_may_not_import(
    client: httpx.Client, world: ConsoleWorld, shared_data: Path, committed_engine: Engine
) -> None:
    content = _csv(_rows(_messages(shared_data, 2), 200))
    for user in ("handler", "operator"):
        client.cookies.clear()
        csrf = login(client, user)
        assert 'id="form-desk-import"' not in client.get("/console/desk").text
        page = _upload(client, csrf, "工单.csv", content)
        assert page.status_code == 403, user
        assert "无权导入热线工单" in page.text
        api = client.post(
            "/api/desk/import",
            headers={"X-CSRF-Token": csrf, "Accept": "application/json"},
            files={"file": ("工单.csv", content)},
        )
        assert api.status_code == 403, user
    client.cookies.clear()
    login(client, "office")
    forged = client.post(
        "/console/desk/import", files={"file": ("工单.csv", content)}, data={"source": "12345"}
    )
    assert forged.status_code == 403  # no CSRF token
    assert _hotline_requests(committed_engine) == 0


def test_an_upload_over_the_cap_is_refused(
    client: httpx.Client, world: ConsoleWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    from zhengwu.servicedesk import upload

    monkeypatch.setattr(upload, "MAX_UPLOAD_BYTES", 1000)
    monkeypatch.setattr(upload, "CHUNK", 256)
    csrf = login(client, "office")
    big = _upload(
        client, csrf, "大.csv", _csv([["1", "2025-08-01 08:00", "t", "x" * 2000, "", ""]])
    )
    assert big.status_code == 422
    assert "文件超过" in big.text and "larger than" in big.text
    assert _leftovers() == []


def _bomb_export(kind: str, rows: list[list[str]]) -> tuple[str, bytes, str]:
    """A hotline export whose last "row" is 8 MiB of zeros (a few KiB compressed): the
    upload's name, its bytes, and the quarantine location of the line the limit falls in."""
    data = _csv(rows) + bytes(8 << 20)
    line = len(rows) + 2
    if kind == "gz":
        return "工单.csv.gz", gzip.compress(data), f"工单.csv.gz:{line}"
    out = io.BytesIO()
    if kind == "zip":
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("工单.csv", data)
    else:
        with py7zr.SevenZipFile(out, "w") as seven:
            seven.writestr(data, "工单.csv")
    return f"工单.{kind}", out.getvalue(), f"工单.{kind}!工单.csv:{line}"


@pytest.mark.parametrize("kind", ["zip", "gz", "7z"])
def test_a_compressed_bomb_upload_stops_at_the_limit_and_keeps_the_rows_before(
    client: httpx.Client, world: ConsoleWorld, shared_data: Path, committed_engine: Engine,
    kind: str,
) -> None:  # fmt: skip
    """Over real HTTP: the rows before the bomb's zeros are taken in, the zeros are one
    quarantined row naming the sheet and ZHENGWU_UNPACK_MAX_RATIO (never the server's copy),
    the API says the same, and no copy stays in the data directory."""
    messages = _messages(shared_data, 6)
    csrf = login(client, "office")
    name, content, where = _bomb_export(kind, _rows(messages[:3], 300))
    page = _upload(client, csrf, name, content)
    assert page.status_code == 200, page.text
    text = html.unescape(page.text)
    assert (_count(text, "read"), _count(text, "created"), _count(text, "quarantined")) == (4, 3, 1)
    found = re.search(rf"<td>{re.escape(where)}</td><td>([^<]*)</td>", text)
    assert found is not None, text
    assert "超过压缩比上限 200:1（ZHENGWU_UNPACK_MAX_RATIO）" in found[1]
    assert "compression ratio limit of 200:1 (ZHENGWU_UNPACK_MAX_RATIO)" in found[1]
    assert "desk-upload-" not in text and "unpack-" not in text
    name, content, where = _bomb_export(kind, _rows(messages[3:], 400))
    api = client.post(
        "/api/desk/import",
        headers={"X-CSRF-Token": csrf, "Accept": "application/json"},
        data={"source": "12345"},
        files={"file": (name, content)},
    )
    assert api.status_code == 200, api.text
    body = api.json()
    assert (body["created"], body["quarantined"]) == (3, 1)
    assert body["quarantine"][0]["source"] == where
    assert "decompression bomb?" in body["quarantine"][0]["reason"]
    assert _leftovers() == [] and _hotline_requests(committed_engine) == 6


def test_a_bomb_workbook_upload_is_refused_naming_the_upload(
    client: httpx.Client, world: ConsoleWorld, committed_engine: Engine, tmp_path: Path
) -> None:
    """Over real HTTP: an .xlsx whose sheet unpacks ~1,000:1 is a 422 naming the uploaded
    workbook's part and ZHENGWU_UNPACK_MAX_RATIO (never the server's copy); nothing is
    imported and no copy stays."""
    csrf = login(client, "office")
    content = bomb_workbook(tmp_path / "bomb.xlsx").read_bytes()
    api = client.post(
        "/api/desk/import",
        headers={"X-CSRF-Token": csrf, "Accept": "application/json"},
        data={"source": "12345"},
        files={"file": ("工单.xlsx", content)},
    )
    assert api.status_code == 422, api.text
    body = api.json()
    assert "解压 工单.xlsx!xl/worksheets/sheet1.xml 超过压缩比上限 200:1" in body["message_zh"]
    assert "(ZHENGWU_UNPACK_MAX_RATIO)" in body["message_en"]
    assert "desk-upload-" not in api.text
    assert _leftovers() == [] and _hotline_requests(committed_engine) == 0
    with Session(committed_engine) as session:
        assert session.scalar(select(func.count()).select_from(ImportRun)) == 0
