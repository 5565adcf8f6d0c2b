"""导入记录 (/console/settings/imports): the runs as ``zhengwu imports`` lists them, for the admin.

The runs are made by the real ``zhengwu import`` on the test's database: one clean, one with
a quarantined record, one that refused a GBK member of an archive while it imported the
other file. The page lists them newest first with their counts, names the refused file with
its reason in Chinese and English and the command that lists a run's quarantine; the other
roles are refused, and only the admin's settings page offers it.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import orjson
import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from zhengwu.auth import service as auth_service
from zhengwu.cli.main import app

from .test_console_world import build_console_world, login

runner = CliRunner()
COLUMNS = ("comment_id", "create_time", "note_id", "content", "comment_like_count",
           "parent_comment_id", "user_id", "nickname")  # fmt: skip


def comments_csv(*cids: str) -> str:
    """A MediaCrawler comments CSV of these comments (one note, one commenter)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS)
    writer.writeheader()
    for cid in cids:
        writer.writerow({
            "comment_id": cid, "create_time": "1751335200", "note_id": "5149000000000001",
            "content": f"请问什么时候修路灯？{cid}", "comment_like_count": "3",
            "parent_comment_id": cid, "user_id": "6000000001", "nickname": "网友甲",
        })  # fmt: skip
    return buffer.getvalue()


@dataclass
class ImportWorld:
    """The runs the real CLI made: their ids, oldest first, and the refused member."""

    runs: list[int] = field(default_factory=list)
    refused: str = ""


def make_runs(folder: Path) -> ImportWorld:
    """Import three times through ``zhengwu import`` (the settings point at the test DB)."""
    world = ImportWorld()
    good, broken, archive = folder / "good.csv", folder / "broken.csv", folder / "exports.zip"
    good.write_text(comments_csv("5150000000000001"), encoding="utf-8")
    broken.write_text(comments_csv("5150000000000002") + "5150000000000003,昨天,,\n")
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("2025-07/gbk.csv", comments_csv("5150000000000004").encode("gbk"))
    world.refused = f"{archive}!2025-07/gbk.csv"
    for files, code in (([good], 0), ([broken], 0), ([good, archive], 2)):
        done = runner.invoke(app, ["import", "weibo-comments", *map(str, files), "--json"])
        assert done.exit_code == code, done.output
        world.runs.append(orjson.loads(done.stdout.splitlines()[-1])["run_id"])
    return world


@pytest.fixture
def world(committed_engine: Engine, configured_database: str, tmp_path: Path) -> ImportWorld:
    auth_service._ip_attempts.clear()
    build_console_world(committed_engine, with_index=False)
    return make_runs(tmp_path)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _row(html: str, run: int) -> str:
    found = re.search(rf'<tr data-run="{run}">(.*?)</tr>', html, re.S)
    assert found is not None, html
    return found[1]


def test_the_admin_sees_the_runs_newest_first_with_refused_files(
    client: httpx.Client, world: ImportWorld
) -> None:
    login(client, "admin")
    page = client.get("/console/settings/imports")
    assert page.status_code == 200, page.text
    html = page.text
    shown = [int(r) for r in re.findall(r'<tr data-run="(\d+)">', html)]
    assert shown == world.runs[::-1]  # newest first
    assert 'href="/console/settings" class="active" aria-current="page">设置' in html
    assert 'id="imports-tile"' in client.get("/console/settings").text
    clean, quarantined, partial = (_row(html, run) for run in world.runs)
    counts = re.compile(r'class="run-(read|imported|updated|duplicates|quarantined)">(\d+)')
    assert dict(counts.findall(clean)) == {
        "read": "1", "imported": "1", "updated": "0", "duplicates": "0", "quarantined": "0",
    }  # fmt: skip
    assert dict(counts.findall(quarantined))["quarantined"] == "1"
    assert f"zhengwu quarantine --run {world.runs[1]}" in quarantined
    assert "zhengwu quarantine --run" not in clean and "run-quarantine-command" not in partial
    assert dict(counts.findall(partial))["duplicates"] == "1"  # good.csv again; the member refused
    refused = _text(partial.split('class="run-refused">')[1])
    assert world.refused in refused
    assert "文件不是 UTF-8 编码" in refused and "iconv -f GBK -t UTF-8" in refused
    assert "the file is not UTF-8" in refused
    assert _text(clean.split('class="run-refused">')[1]).strip() == "—"
    files = _text(partial.split('class="run-files">')[1])
    assert "good.csv" in files and "exports.zip" in files
    assert "共 3 次导入" in html and "imports-pager" not in html  # one page


def test_the_runs_are_paged(
    client: httpx.Client, world: ImportWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    from zhengwu.web.console import import_pages

    monkeypatch.setattr(import_pages, "PAGE", 2)
    login(client, "admin")
    first = client.get("/console/settings/imports").text
    assert [int(r) for r in re.findall(r'data-run="(\d+)"', first)] == world.runs[:0:-1]
    assert 'href="?offset=2#import-runs" rel="next"' in first
    second = client.get("/console/settings/imports?offset=2").text
    assert [int(r) for r in re.findall(r'data-run="(\d+)"', second)] == world.runs[:1]
    assert 'rel="prev"' in second and 'rel="next"' not in second


@pytest.mark.parametrize("role", ["office", "operator", "handler", "dispatcher"])
def test_other_roles_may_not_open_it_nor_see_its_tile(
    client: httpx.Client, world: ImportWorld, role: str
) -> None:
    login(client, role)
    refused = client.get("/console/settings/imports")
    assert refused.status_code == 403 and world.refused not in refused.text
    said = "只有平台管理员可以查看导入记录" if role != "dispatcher" else "无权访问此页面"
    assert said in refused.text  # the desk's staff read the settings, not this page
    settings = client.get("/console/settings")
    assert settings.status_code == (403 if role == "dispatcher" else 200)
    assert "/console/settings/imports" not in settings.text


def test_a_visitor_is_sent_to_the_login(client: httpx.Client, world: ImportWorld) -> None:
    answer = client.get("/console/settings/imports")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=%2Fconsole%2Fsettings%2Fimports"


def test_no_run_yet(live_server: str, committed_engine: Engine) -> None:
    auth_service._ip_attempts.clear()
    build_console_world(committed_engine, with_index=False)
    with httpx.Client(base_url=live_server, timeout=60, headers={"Accept": "text/html"}) as c:
        login(c, "admin")
        page = c.get("/console/settings/imports")
    assert page.status_code == 200
    assert 'id="imports-none"' in page.text and 'id="import-runs"' not in page.text


def test_a_run_with_only_field_values_quarantined_links_to_them(
    client: httpx.Client, world: ImportWorld, tmp_path: Path
) -> None:
    # A bad 公开电话 is quarantined alone and its organisation imported: the run counts 0
    # quarantined records, and 导入记录 gave it no link to the value it quarantined.
    orgs = tmp_path / "orgs.csv"
    orgs.write_text(
        "org_id,name,level,sector,adcode,parent_id,public_phones\n"
        "411000-901,许昌市测试局,市,综合,411000,,12345x\n",
        encoding="utf-8",
    )
    done = runner.invoke(app, ["import", "zhengwu-orgs", str(orgs), "--json"])
    assert done.exit_code == 0, done.output
    summary = orjson.loads(done.stdout.splitlines()[-1])
    run = summary["run_id"]
    assert (summary["imported"], summary["quarantined"]) == (1, 0)
    login(client, "admin")
    html = client.get("/console/settings/imports").text
    row = _row(html, run)
    assert 'class="run-quarantined">0' in row
    assert f'href="/console/settings/imports/quarantine?run={run}#quarantine"' in row
    assert f"zhengwu quarantine --run {run}" in row
    assert "另有 1 个字段值被隔离（所在记录已导入）" in _text(row)
    assert "1 field value quarantined (its record imported)" in _text(row)
    clean = _row(html, world.runs[0])  # nothing of it in the quarantine: no link
    assert "run-quarantine-link" not in clean and "字段值" not in clean
    listed = client.get(f"/console/settings/imports/quarantine?run={run}")
    assert listed.status_code == 200
    head = _text(listed.text.split('id="quarantine-run"')[1].split("</section>")[0])
    assert "隔离 0 · 另有 1 个字段值被隔离（所在记录已导入）" in head
    assert "公开电话无效" in _text(listed.text.split('id="quarantine"')[1])
