"""隔离记录 (/console/settings/imports/quarantine): the quarantine as ``zhengwu quarantine`` lists
it, for the admin, its raw text masked; and a run's download as the CLI's JSON Lines.

The records are made by the real ``zhengwu import`` on the test's database: a comments CSV
whose rows with a bad date are quarantined, one holding a caller's name, mobile and ID
number; a list of organisations with a bad row; and an import whose every file was refused
(kept in the history since it is recorded after its rollback). The page lists the records
newest first, by run or format, paged; each with its source, its reason and the start of
its raw text, masked; 导入记录 links to a run's records and keeps the command beside the
link; the other roles are refused, a visitor is sent to the login.
"""

from __future__ import annotations

import asyncio
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from zhengwu.audit.models import AuditEntry
from zhengwu.auth import service as auth_service
from zhengwu.cli.main import app
from zhengwu.privacy.excerpt import masked
from zhengwu.web.app import create_app
from zhengwu.web.console.import_pages import DOWNLOAD_PIECE

from .test_console_imports import _row, _text, comments_csv
from .test_console_world import build_console_world, login

runner = CliRunner()
PHONE, ID_NUMBER, NAME = "13812345678", "410105199001011234", "王建国"
QUARANTINE = "/console/settings/imports/quarantine"
# A comment row with a bad date (quarantined), its text naming a caller: the raw row as read.
PERSONAL = (
    f"5150000000000009,昨天,5149000000000001,联系人{NAME} {PHONE} 身份证 {ID_NUMBER} "
    "家住幸福路12号3栋2单元501,3,,6000000001,网友乙"
)


@dataclass
class QuarantineWorld:
    """The runs the real CLI made, oldest first: comments, organisations, all refused."""

    comments: int = 0
    orgs: int = 0
    refused: int = 0
    refused_files: list[str] = field(default_factory=list)


def _imported(args: list[str], code: int = 0) -> int:
    done = runner.invoke(app, ["import", *args, "--json"])
    assert done.exit_code == code, done.output
    run_id: int = orjson.loads(done.stdout.splitlines()[-1])["run_id"]
    return run_id


def make_quarantine(folder: Path) -> QuarantineWorld:
    """Import three times through ``zhengwu import`` (the settings point at the test DB)."""
    world = QuarantineWorld()
    comments, orgs = folder / "comments.csv", folder / "orgs.csv"
    comments.write_text(
        comments_csv("5150000000000001")
        + "5150000000000002,昨天,,\n"
        + PERSONAL
        + "\n"
        + "5150000000000003,前天,,\n",
        encoding="utf-8",
    )
    orgs.write_text(
        "org_id,name,level,sector,adcode,parent_id\nZZ001,郑州市政府,市级,综合,410100,\n"
        "ZZ002,,县级,综合,410105,ZZ001\n",
        encoding="utf-8",
    )
    archive, gbk = folder / "exports.zip", folder / "gbk.csv"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("a.csv", comments_csv("5150000000000004").encode("gbk"))
    gbk.write_bytes(comments_csv("5150000000000005").encode("gbk"))
    world.comments = _imported(["weibo-comments", str(comments)])
    world.orgs = _imported(["zhengwu-orgs", str(orgs)])
    world.refused = _imported(["weibo-comments", str(archive), str(gbk)], code=2)
    world.refused_files = [f"{archive}!a.csv", str(gbk)]
    return world


@pytest.fixture
def world(committed_engine: Engine, configured_database: str, tmp_path: Path) -> QuarantineWorld:
    auth_service._ip_attempts.clear()
    build_console_world(committed_engine, with_index=False)
    return make_quarantine(tmp_path)


def _entries(html: str) -> list[dict[str, str]]:
    """The rows of the page's table: each cell's text by its class."""
    rows = re.findall(r'<tr data-entry="(\d+)">(.*?)</tr>', html, re.S)
    found = []
    for entry, cells in rows:
        row = {"id": entry}
        for name, cell in re.findall(r'<td class="q-(\w+)">(.*?)</td>', cells, re.S):
            row[name] = _text(cell).strip().replace("&#39;", "'").replace("&#34;", '"')
        found.append(row)
    return found


def _cli_lines(run: int) -> list[dict[str, object]]:
    listed = runner.invoke(app, ["quarantine", "--run", str(run), "--json", "--limit", "1000"])
    assert listed.exit_code == 0, listed.output
    return [orjson.loads(line) for line in listed.stdout.splitlines()]


def test_the_admin_reads_the_quarantine_newest_first_its_raw_text_masked(
    client: httpx.Client, world: QuarantineWorld
) -> None:
    login(client, "admin")
    page = client.get(QUARANTINE)
    assert page.status_code == 200, page.text
    rows = _entries(page.text)
    cli = [line for run in (world.orgs, world.comments) for line in _cli_lines(run)[::-1]]
    records = [line for line in cli if line["kind"] == "quarantine"]
    # Newest first: the organisations' row, then the comments' rows from the last line up.
    assert [(r["run"], r["format"], r["source"], r["reason"]) for r in rows] == [
        (str(x["run"]), x["format"], x["source"], x["reason"]) for x in records
    ]
    assert len(rows) == len(records) == 5 and "共 5 条" in page.text  # 2 rows of orgs.csv
    assert all(":" in r["source"] for r in rows)  # file:line
    personal = next(r for r in rows if "王" in r["raw"])
    assert PHONE not in page.text and ID_NUMBER not in page.text and NAME not in page.text
    assert "幸福路12号" not in page.text
    assert "138****5678" in personal["raw"] and "4101**********1234" in personal["raw"]
    assert "联系人王*" in personal["raw"]
    for row in rows:  # the reason as stored and as the CLI shows it: Chinese / English
        zh, _, en = row["reason"].partition(" / ")
        assert re.search(r"[\u4e00-\u9fff]", zh) and re.search(r"[a-z]{3}", en), row["reason"]
    assert 'href="/console/settings" class="active" aria-current="page">设置' in page.text
    assert 'id="quarantine-run"' not in page.text  # no run chosen: no run's header


def test_a_run_is_linked_from_the_import_history_and_shown_with_its_files(
    client: httpx.Client, world: QuarantineWorld
) -> None:
    login(client, "admin")
    history = client.get("/console/settings/imports").text
    link = f'href="{QUARANTINE}?run={world.comments}#quarantine"'
    assert link in history and f"zhengwu quarantine --run {world.comments}" in history
    assert f"{QUARANTINE}?run={world.refused}" not in history  # nothing quarantined
    # The import whose every file was refused is in the history now: 0 read, each file why.
    refused_row = _row(history, world.refused)
    assert 'class="run-read">0<' in refused_row
    for name in world.refused_files:
        assert name in _text(refused_row)
    assert "文件不是 UTF-8 编码" in refused_row and "the file is not UTF-8" in refused_row
    page = client.get(f"{QUARANTINE}?run={world.comments}")
    assert page.status_code == 200, page.text
    rows = _entries(page.text)
    assert {r["run"] for r in rows} == {str(world.comments)} and len(rows) == 3
    assert [r["source"] for r in rows] == sorted((r["source"] for r in rows), reverse=True)
    assert f'data-run="{world.comments}"' in page.text and "comments.csv" in page.text
    assert f'href="{QUARANTINE}.jsonl?run={world.comments}"' in page.text
    assert f"zhengwu quarantine --run {world.comments}" in page.text
    refused = client.get(f"{QUARANTINE}?run={world.refused}").text
    assert 'id="quarantine-none"' in refused and "文件不是 UTF-8 编码" in refused
    missing = client.get(f"{QUARANTINE}?run={world.refused + 100}")
    assert missing.status_code == 404
    assert f"没有第 {world.refused + 100} 次导入" in missing.text
    assert client.get(f"{QUARANTINE}?run=abc").status_code == 422


def test_the_records_are_filtered_by_format_and_paged_keeping_the_filter(
    client: httpx.Client, world: QuarantineWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    from zhengwu.web.console import import_pages

    login(client, "admin")
    orgs = _entries(client.get(f"{QUARANTINE}?format=zhengwu-orgs").text)
    assert [(r["run"], r["format"]) for r in orgs] == [(str(world.orgs), "zhengwu-orgs")] * 2
    page = client.get(f"{QUARANTINE}?format=weibo-comments&run=").text
    assert '<option value="weibo-comments" selected>' in page
    assert {r["format"] for r in _entries(page)} == {"weibo-comments"}
    monkeypatch.setattr(import_pages, "QUARANTINE_PAGE", 2)
    first = client.get(f"{QUARANTINE}?run={world.comments}").text
    newest = [r["id"] for r in _entries(first)]
    assert f'href="?run={world.comments}&amp;offset=2#quarantine" rel="next"' in first
    second = client.get(f"{QUARANTINE}?run={world.comments}&offset=2").text
    last = [r["id"] for r in _entries(second)]
    assert len(newest) == 2 and len(last) == 1 and int(last[0]) < int(newest[-1])
    assert 'rel="prev"' in second and 'rel="next"' not in second
    assert "共 3 条，第 3–3 条" in second


def test_a_long_raw_text_is_cut_after_it_is_masked(
    client: httpx.Client, world: QuarantineWorld, committed_engine: Engine
) -> None:
    from zhengwu.ingest.models import QuarantineEntry

    long_raw = "备注" * 95 + f"电话{PHONE}" + "。" * 5000  # the phone straddles the 200th
    with Session(committed_engine) as session:
        session.add(
            QuarantineEntry(
                run_id=world.orgs,
                format="zhengwu-orgs",
                source="orgs.csv:9",
                reason="测试 / test",
                raw=long_raw,
            )
        )
        session.commit()  # fmt: skip
    login(client, "admin")
    [row] = [r for r in _entries(client.get(QUARANTINE).text) if r["source"] == "orgs.csv:9"]
    assert row["raw"].endswith("…") and len(row["raw"]) <= 201
    assert "138****" in row["raw"] and "1381234" not in row["raw"]


def test_the_download_is_the_clis_json_lines_with_the_raw_text_masked(
    client: httpx.Client, world: QuarantineWorld, committed_engine: Engine
) -> None:
    login(client, "admin")
    got = client.get(f"{QUARANTINE}.jsonl?run={world.comments}")
    assert got.status_code == 200, got.text
    assert got.headers["content-type"].startswith("application/x-ndjson")
    assert got.headers["content-disposition"] == (
        f'attachment; filename="quarantine-run-{world.comments}.jsonl"'
    )
    lines = [orjson.loads(line) for line in got.text.splitlines()]
    cli = _cli_lines(world.comments)
    assert lines == [line | {"raw": masked(str(line["raw"]))} for line in cli]
    assert PHONE not in got.text and ID_NUMBER not in got.text and NAME not in got.text
    assert any(PHONE in str(line["raw"]) for line in cli)  # the CLI, on the server, shows it
    refused = client.get(f"{QUARANTINE}.jsonl?run={world.refused}")
    assert [orjson.loads(line) for line in refused.text.splitlines()] == _cli_lines(world.refused)
    assert [orjson.loads(line)["file"] for line in refused.text.splitlines()] == (
        world.refused_files
    )
    with Session(committed_engine) as session:
        audited = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "quarantine_download")
        ).all()
    assert [(a.entity_type, a.entity_id, a.data) for a in audited] == [
        ("import_run", world.comments, {"records": 3}),
        ("import_run", world.refused, {"records": 0}),
    ]
    assert client.get(f"{QUARANTINE}.jsonl?run={world.refused + 100}").status_code == 404


async def _asgi_get(app: Any, path: str, query: str, cookie: str) -> list[dict[str, Any]]:
    """GET ``path`` from ``app`` as the server would call it; return the messages it sent
    (each ``http.response.body`` is one piece the server writes to the socket)."""
    scope = {
        "type": "http", "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1", "method": "GET", "scheme": "http", "path": path,
        "raw_path": path.encode(), "query_string": query.encode(), "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), (b"cookie", cookie.encode())],
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 80),
    }  # fmt: skip
    asked = False
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal asked
        if asked:  # no disconnect while the body is sent
            await asyncio.Event().wait()
        asked = True
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


def test_a_large_download_leaves_a_piece_at_a_time_the_clis_lines_masked(
    client: httpx.Client, world: QuarantineWorld, committed_engine: Engine, tmp_path: Path
) -> None:
    """150 quarantined records leave in pieces of DOWNLOAD_PIECE (100) as they are masked,
    not one piece a record (a hop between threads each, 90,000 for a large run) nor all at
    the end; put together they are, byte for byte, the CLI's lines with the raw text masked."""
    login(client, "admin")
    bad = tmp_path / "bad.csv"
    bad.write_text(
        comments_csv()
        + "".join(f"51600000000{i:05d},昨天,5149000000000001,联系人{NAME} 138{i:08d},3,,"
                  "6000000001,网友丙\n" for i in range(150)),
        encoding="utf-8",
    )  # fmt: skip
    run = _imported(["weibo-comments", str(bad)])
    cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    sent = asyncio.run(_asgi_get(create_app(committed_engine), f"{QUARANTINE}.jsonl",
                                 f"run={run}", cookie))  # fmt: skip
    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == 200, sent[:2]
    pieces = [m["body"] for m in sent if m["type"] == "http.response.body" and m.get("body")]
    assert [p.count(b"\n") for p in pieces] == [DOWNLOAD_PIECE, 50]
    cli = _cli_lines(run)
    assert len(cli) == 150 and all(line["kind"] == "quarantine" for line in cli)
    expected = b"".join(orjson.dumps(x | {"raw": masked(str(x["raw"]))}) + b"\n" for x in cli)
    body = b"".join(pieces)
    assert body == expected
    assert NAME.encode() not in body and b"13800000149" not in body and b"138****0149" in body


@pytest.mark.parametrize("role", ["office", "operator", "handler", "dispatcher"])
def test_other_roles_may_not_open_the_quarantine_nor_download_it(
    client: httpx.Client, world: QuarantineWorld, role: str
) -> None:
    login(client, role)
    for url in (QUARANTINE, f"{QUARANTINE}?run={world.comments}",
                f"{QUARANTINE}.jsonl?run={world.comments}"):  # fmt: skip
        refused = client.get(url)
        assert refused.status_code == 403, url
        assert "comments.csv" not in refused.text and "138****" not in refused.text
        said = "只有平台管理员可以查看导入记录" if role != "dispatcher" else "无权访问此页面"
        assert said in refused.text


def test_a_visitor_is_sent_to_the_login(client: httpx.Client, world: QuarantineWorld) -> None:
    for url in (f"{QUARANTINE}?run={world.comments}", f"{QUARANTINE}.jsonl?run={world.comments}"):
        answer = client.get(url)
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/login?next=%2Fconsole%2Fsettings")
