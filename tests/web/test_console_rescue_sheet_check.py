"""导入志愿者表格's check (检查) over real HTTP: a check runs the sheet's import in a
savepoint and writes nothing, listing what it would refuse; its copy is kept for the
dispatcher who checked, for this incident alone, so 导入 needs no file chosen again — once,
within its time. The API's ``dry_run`` and ``zhengwu rescue import-csv --dry-run`` answer
the same and write nothing either."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from zhengwu.audit.models import AuditEntry
from zhengwu.auth import service as auth_service
from zhengwu.cli.rescue import app
from zhengwu.config import get_settings
from zhengwu.db.base import utcnow
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.models import HelpRequest, SetAside, Verification
from zhengwu.rescue.schemas import IncidentCreate
from zhengwu.servicedesk import kept_uploads

from ..rescue.test_spreadsheet import SHEET
from .conftest import GONE, kept_token, post_unchosen
from .test_console_world import PASSWORD, ConsoleWorld, fresh_city, login

NAME = "待救援人员信息.csv"
CONTENT = SHEET.encode("utf-8-sig")


@pytest.fixture
def world(committed_engine: Engine) -> ConsoleWorld:
    """The console test city, committed (no index run: these pages do not need one)."""
    return fresh_city(committed_engine)


Written = tuple[int, int, int, int]


@pytest.fixture
def dispatcher(client: httpx.Client, committed_engine: Engine) -> tuple[str, Written]:
    """Log the dispatcher in (after the world is built); return the CSRF token and what
    was on file before."""
    before = _written(committed_engine)
    return login(client, "dispatcher"), before


def _url(incident_id: int) -> str:
    return f"/console/rescue/{incident_id}/sheet"


def _written(engine: Engine) -> Written:
    """Return the help requests, set-aside rows, verifications and audit entries on file."""
    with Session(engine) as session:
        return tuple(  # type: ignore[return-value]
            int(session.scalar(select(func.count()).select_from(t)) or 0)
            for t in (HelpRequest, SetAside, Verification, AuditEntry)
        )


def _counts(page: str) -> dict[str, int]:
    return {k: int(v) for k, v in re.findall(r'<b id="sheet-(\w+)">(\d+)</b>', page)}


def _marks(page: str) -> dict[str, int]:
    """Return what the sheet's 是 marks did (verified, reported rescued) as the page says."""
    return {k: int(v) for k, v in re.findall(r'<b id="sheet-marked-(\w+)">(\d+)</b>', page)}


def _refused(page: str) -> list[str]:
    table = re.search(r'<table class="rejected-rows" id="sheet-refused">(.*?)</table>', page, re.S)
    assert table is not None, page
    return re.findall(r"<tr><td>([^<]*)</td></tr>", html.unescape(table[1]))


# Row 1 repeats the world's 张建国 (same phone): merged; 刘桂兰 and 赵六 are new; 王五 (no
# address, no phone, line 4) and 孙七 (the same, line 7) are refused with reasons.
EXPECTED = {"new": 2, "merged": 1, "known": 0, "quarantined": 2}


def _check(client: httpx.Client, csrf: str, incident_id: int) -> str:
    """Check the sheet; return the page's token (the page says nothing was written)."""
    page = client.post(_url(incident_id), data={"csrf_token": csrf, "dry_run": "1"},
                       files={"file": (NAME, CONTENT, "text/csv")})  # fmt: skip
    assert page.status_code == 200, page.text
    text = html.unescape(page.text)
    assert 'id="sheet-dry-run"' in text and 'id="sheet-done"' not in text
    assert f"试运行：「{NAME}」未写入" in text and _counts(text) == EXPECTED
    # 张建国's 是否核实 = 是 would verify the request the row joins (none reported rescued).
    assert _marks(text) == {"verified": 1, "rescued": 0}
    refused = _refused(page.text)
    assert len(refused) == 2 and "neither address nor contact" in refused[0]
    assert refused[0].startswith(f"{NAME} 第 4 行") and refused[1].startswith(f"{NAME} 第 7 行")
    assert 'id="sheet-refused-link"' not in text  # nothing was set aside to look at
    return kept_token(text, "sheet-import", NAME)


def test_a_checked_sheet_imports_without_choosing_it_again(
    client: httpx.Client, world: ConsoleWorld, committed_engine: Engine,
    dispatcher: tuple[str, Written],
) -> None:  # fmt: skip
    csrf, before = dispatcher
    token = _check(client, csrf, world.incident_id)
    assert _written(committed_engine) == before  # no request, set-aside row, mark or audit
    kept = get_settings().data_dir / "tmp" / "kept-uploads" / token
    assert (kept / NAME).read_bytes() == CONTENT

    again = post_unchosen(client, _url(world.incident_id), csrf, checked=token, dry_run="1")
    assert again.status_code == 200, again.text
    assert _counts(again.text) == EXPECTED and f'value="{token}"' in again.text
    assert _written(committed_engine) == before

    done = post_unchosen(client, _url(world.incident_id), csrf, checked=token, dry_run="0")
    assert done.status_code == 200, done.text
    text = html.unescape(done.text)
    assert 'id="sheet-done"' in text and f"已导入「{NAME}」" in text
    assert _counts(text) == EXPECTED and len(_refused(done.text)) == 2
    assert _marks(text) == {"verified": 1, "rescued": 0}
    assert "已把 1 条求助标为已核实" in re.sub(r"<[^>]+>", "", text)
    assert 'id="sheet-refused-link"' in text
    assert 'name="checked"' not in text and not kept.exists()
    requests, set_aside, verifications, audits = _written(committed_engine)
    assert (requests - before[0], set_aside - before[1]) == (2, 2)
    assert verifications == before[2] + 1 and audits > before[3]  # 张建国: 是否核实 = 是
    spent = post_unchosen(client, _url(world.incident_id), csrf, checked=token, dry_run="0")
    assert spent.status_code == 422 and GONE in spent.text and 'id="error-sheet"' in spent.text
    assert _written(committed_engine)[0] == requests


def test_the_token_is_the_dispatchers_for_this_incident_alone(
    client: httpx.Client, world: ConsoleWorld, committed_engine: Engine, live_server: str
) -> None:
    with Session(committed_engine) as session:
        auth_service.create_user(session, username="dispatcher2", password=PASSWORD,
                                 role="dispatcher")  # fmt: skip
        other_incident = rescue_service.create_incident(
            session, actor=rescue_service.SYSTEM,
            data=IncidentCreate(name="新乡暴雨（测试）", type="flood", regions=["410700"],
                                starts_at=datetime.now(UTC) - timedelta(hours=2)),
        ).id  # fmt: skip
        session.commit()
    before = _written(committed_engine)
    csrf = login(client, "dispatcher")
    token = _check(client, csrf, world.incident_id)
    elsewhere = post_unchosen(client, _url(other_incident), csrf, checked=token, dry_run="0")
    assert elsewhere.status_code == 422 and GONE in elsewhere.text
    with httpx.Client(base_url=live_server, timeout=60, headers={"Accept": "text/html"}) as other:
        other_csrf = login(other, "dispatcher2")
        refused = post_unchosen(
            other, _url(world.incident_id), other_csrf, checked=token, dry_run="0"
        )
        assert refused.status_code == 422 and GONE in refused.text
        assert "the checked file is gone or expired" in refused.text
    assert _written(committed_engine) == before
    done = post_unchosen(client, _url(world.incident_id), csrf, checked=token, dry_run="0")
    assert done.status_code == 200 and 'id="sheet-done"' in done.text


@pytest.mark.parametrize("role", ["verifier", "team", "office"])
def test_who_may_not_import_may_not_check(
    client: httpx.Client, world: ConsoleWorld, committed_engine: Engine, role: str
) -> None:
    before = _written(committed_engine)
    csrf = login(client, role)
    page = client.post(_url(world.incident_id), data={"csrf_token": csrf, "dry_run": "1"},
                       files={"file": (NAME, CONTENT, "text/csv")})  # fmt: skip
    assert page.status_code == 403
    api = client.post(f"/api/rescue/incidents/{world.incident_id}/sheet", data={"dry_run": "true"},
                      headers={"Accept": "application/json", "X-CSRF-Token": csrf},
                      files={"file": (NAME, CONTENT, "text/csv")})  # fmt: skip
    assert api.status_code == 403 and api.json()["message_en"]
    kept = get_settings().data_dir / "tmp" / "kept-uploads"
    assert not kept.exists() or not any(kept.iterdir())
    assert _written(committed_engine) == before


def test_an_expired_copy_is_refused(
    client: httpx.Client, world: ConsoleWorld, committed_engine: Engine,
    dispatcher: tuple[str, Written],
) -> None:  # fmt: skip
    csrf, before = dispatcher
    token = _check(client, csrf, world.incident_id)
    assert kept_uploads.sweep(now=utcnow() + kept_uploads.TTL + timedelta(minutes=1)) == 1
    refused = post_unchosen(client, _url(world.incident_id), csrf, checked=token, dry_run="0")
    assert refused.status_code == 422 and GONE in refused.text
    assert "choose the file again" in refused.text
    assert _written(committed_engine) == before


def test_the_api_dry_run_answers_and_writes_nothing(
    client: httpx.Client, world: ConsoleWorld, committed_engine: Engine,
    dispatcher: tuple[str, Written],
) -> None:  # fmt: skip
    csrf, before = dispatcher
    url = f"/api/rescue/incidents/{world.incident_id}/sheet"
    headers = {"Accept": "application/json", "X-CSRF-Token": csrf}
    sheet = {"file": (NAME, SHEET.encode("gbk"), "text/csv")}
    checked = client.post(url, headers=headers, files=sheet, data={"dry_run": "true"})
    assert checked.status_code == 200, checked.text
    report = checked.json()
    assert (report["dry_run"], report["request_ids"]) == (True, [])
    assert (report["new_requests"], report["merged"], report["quarantined"]) == (2, 1, 2)
    assert len(report["refused"]) == 2 and "第 7 行" in report["refused"][1]
    assert _written(committed_engine) == before
    done = client.post(url, headers=headers, files=sheet).json()
    assert done["dry_run"] is False and len(done["request_ids"]) == 2
    assert done["refused"] == report["refused"]
    assert _written(committed_engine)[0] == before[0] + 2


def test_the_cli_dry_run_writes_nothing(
    world: ConsoleWorld, committed_engine: Engine, configured_database: str, tmp_path: Path
) -> None:
    sheet = tmp_path / NAME
    sheet.write_bytes(CONTENT)
    before = _written(committed_engine)
    runner = CliRunner()
    ref = str(world.incident_id)
    checked = runner.invoke(app, ["import-csv", ref, str(sheet), "--dry-run"])
    assert checked.exit_code == 0, checked.output
    assert "dry run: nothing was written" in checked.output
    assert "marks applied: 标为已核实 verified 1 · 报告已获救 reported rescued 0" in checked.output
    assert f"· {NAME} 第 4 行" in checked.output and f"· {NAME} 第 7 行" in checked.output
    as_json = runner.invoke(app, ["import-csv", ref, str(sheet), "--dry-run", "--json"])
    report = json.loads(as_json.stdout.strip().splitlines()[-1])
    assert (report["dry_run"], report["new_requests"], report["quarantined"]) == (True, 2, 2)
    assert (report["marked_verified"], report["marked_rescued"]) == (1, 0)
    assert _written(committed_engine) == before
    done = runner.invoke(app, ["import-csv", ref, str(sheet), "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout.strip().splitlines()[-1])["dry_run"] is False
    assert _written(committed_engine)[0] == before[0] + 2
