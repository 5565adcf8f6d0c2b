"""导入成员名单's check (检查) over real HTTP: a check runs the member list's import in a
savepoint and writes nothing; its copy is kept for the user who checked, for this matrix
alone, so 导入 needs no file chosen again — once, within its time. The API's ``dry_run``
answers the same counts and writes nothing either."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from zhengwu.accounts.models import Matrix, MatrixMember
from zhengwu.audit.models import AuditEntry
from zhengwu.config import get_settings
from zhengwu.db.base import utcnow
from zhengwu.ingest.models import ImportRun, QuarantineEntry
from zhengwu.servicedesk import kept_uploads

from .conftest import GONE, kept_token, post_unchosen
from .test_console_world import ConsoleWorld, fresh_city, login

NAME = "名单.csv"
# Into the police matrix (members: police_weibo, police_douyin; no lead): 1002 is added,
# 1001 is a member already, 404404 is no account, 1003 becomes the lead.
LIST = "platform,uid,role\nweibo,1002,member\nweibo,1001,member\nweibo,404404,\nweibo,1003,lead\n"


@pytest.fixture
def world(committed_engine: Engine) -> ConsoleWorld:
    """The console test city, committed (no index run: these pages do not need one)."""
    return fresh_city(committed_engine)


Written = tuple[frozenset[int], int | None, int, int, int]


@dataclass(frozen=True)
class Start:
    """The office logged in on ``client``, the police matrix, and what was on file."""

    police: int
    csrf: str
    before: Written


@pytest.fixture
def office(client: httpx.Client, world: ConsoleWorld, committed_engine: Engine) -> Start:
    """Log the office in; return its CSRF token and the police matrix's state before."""
    police = world.matrices["zz_police"]
    before = _written(committed_engine, police)
    return Start(police, login(client, "office"), before)


def _url(matrix_id: int) -> str:
    return f"/console/matrix/{matrix_id}/import"


def _written(engine: Engine, matrix_id: int) -> Written:
    """Return the matrix's members and lead, and the import runs, quarantined rows and
    audit entries on file."""
    with Session(engine) as session:
        members = frozenset(session.scalars(
            select(MatrixMember.account_id).where(MatrixMember.matrix_id == matrix_id)))  # fmt: skip
        matrix = session.get(Matrix, matrix_id)
        assert matrix is not None
        counts = [int(session.scalar(select(func.count()).select_from(t)) or 0)
                  for t in (ImportRun, QuarantineEntry, AuditEntry)]  # fmt: skip
    return members, matrix.lead_account_id, counts[0], counts[1], counts[2]


def _figures(page: str) -> tuple[int, int, int]:
    found = dict(re.findall(r'<b id="import-(added|already|rejected)">(\d+)</b>', page))
    return int(found["added"]), int(found["already"]), int(found["rejected"])


def _check(client: httpx.Client, csrf: str, matrix_id: int) -> str:
    """Check the list; return the page's token (the page says nothing was written)."""
    page = client.post(_url(matrix_id), data={"csrf_token": csrf, "dry_run": "1"},
                       files={"file": (NAME, LIST.encode(), "text/csv")})  # fmt: skip
    assert page.status_code == 200, page.text
    text = html.unescape(page.text)
    assert 'id="import-dry-run"' in text and 'id="import-done"' not in text
    assert f"试运行：{NAME} 未写入" in text and _figures(text) == (2, 1, 1)
    assert re.search(r"<tr><td>4</td><td>weibo,404404,</td><td>[^<]*账号不存在", text), text
    assert 'id="import-quarantine"' not in text  # nothing was quarantined
    return kept_token(text, "member-import", NAME)


def test_a_checked_list_imports_without_choosing_it_again(
    client: httpx.Client, world: ConsoleWorld, committed_engine: Engine, office: Start
) -> None:
    police, csrf, before = office.police, office.csrf, office.before
    token = _check(client, csrf, police)
    assert _written(committed_engine, police) == before  # no member, run, row or audit entry
    kept = get_settings().data_dir / "tmp" / "kept-uploads" / token
    assert (kept / NAME).read_bytes() == LIST.encode()

    # Checked again from the kept copy: the same answer, still nothing written.
    again = post_unchosen(client, _url(police), csrf, checked=token, dry_run="1")
    assert again.status_code == 200, again.text
    assert _figures(again.text) == (2, 1, 1) and f'value="{token}"' in again.text
    assert _written(committed_engine, police) == before

    done = post_unchosen(client, _url(police), csrf, checked=token, dry_run="0")
    assert done.status_code == 200, done.text
    text = html.unescape(done.text)
    assert 'id="import-done"' in text and 'id="import-dry-run"' not in text
    assert f"已导入 {NAME}：新增 2 个，已是成员 1 个，未导入 1 行" in text
    assert 'name="checked"' not in text and not kept.exists()
    members, lead, runs, held, audits = _written(committed_engine, police)
    added = {world.accounts["js_weibo"], world.accounts["hotline_weibo"]}
    assert members == before[0] | added and lead == world.accounts["hotline_weibo"]
    assert (runs - before[2], held - before[3]) == (1, 1) and audits > before[4]
    with Session(committed_engine) as session:
        entry = session.scalars(select(QuarantineEntry).order_by(QuarantineEntry.id.desc())).first()
        assert entry is not None and (entry.source, entry.format) == (f"{NAME}:4", "matrix-members")
    assert f"（导入批次 {entry.run_id}）" in text
    # Imported once: the token is spent.
    spent = post_unchosen(client, _url(police), csrf, checked=token, dry_run="0")
    assert spent.status_code == 422 and GONE in spent.text
    assert 'id="error-import"' in spent.text
    assert _written(committed_engine, police)[2] == runs


def test_the_token_is_the_users_for_this_matrix_alone(
    client: httpx.Client, world: ConsoleWorld, committed_engine: Engine, live_server: str
) -> None:
    police, zz = world.matrices["zz_police"], world.matrices["zz"]
    before = _written(committed_engine, police)
    csrf = login(client, "office")
    token = _check(client, csrf, police)
    # Not for another matrix of the same office, nor for another form's upload.
    other_matrix = post_unchosen(client, _url(zz), csrf, checked=token, dry_run="0")
    assert other_matrix.status_code == 422 and GONE in other_matrix.text
    desk = post_unchosen(
        client, "/console/desk/import", csrf, checked=token, dry_run="0", source="12345"
    )
    assert desk.status_code == 422 and GONE in desk.text
    with httpx.Client(base_url=live_server, timeout=60, headers={"Accept": "text/html"}) as other:
        admin_csrf = login(other, "admin")  # oversees every matrix, but did not check it
        refused = post_unchosen(other, _url(police), admin_csrf, checked=token, dry_run="0")
        assert refused.status_code == 422 and GONE in refused.text
        assert "the checked file is gone or expired" in refused.text
    assert _written(committed_engine, police) == before
    # Still the checking office's, untouched by the refusals.
    done = post_unchosen(client, _url(police), csrf, checked=token, dry_run="0")
    assert done.status_code == 200 and 'id="import-done"' in done.text


@pytest.mark.parametrize("user", ["office_ly", "handler"])
def test_who_may_not_import_may_not_check(
    client: httpx.Client, world: ConsoleWorld, committed_engine: Engine, user: str
) -> None:
    police = world.matrices["zz_police"]
    csrf = login(client, user)
    refused = client.post(_url(police), data={"csrf_token": csrf, "dry_run": "1"},
                          files={"file": (NAME, LIST.encode(), "text/csv")})  # fmt: skip
    assert refused.status_code == 403
    kept = get_settings().data_dir / "tmp" / "kept-uploads"
    assert not kept.exists() or not any(kept.iterdir())  # nothing kept for them
    api = client.post(f"/api/matrices/{police}/members/import", data={"dry_run": "true"},
                      headers={"Accept": "application/json", "X-CSRF-Token": csrf},
                      files={"file": (NAME, LIST.encode(), "text/csv")})  # fmt: skip
    assert api.status_code == 403 and api.json()["message_en"]


@pytest.mark.parametrize("spoilt", ["expired", "edited"])
def test_an_expired_or_edited_copy_is_refused(
    client: httpx.Client, world: ConsoleWorld, committed_engine: Engine, spoilt: str, office: Start
) -> None:
    police, csrf, before = office.police, office.csrf, office.before
    token = _check(client, csrf, police)
    kept = get_settings().data_dir / "tmp" / "kept-uploads" / token
    if spoilt == "expired":
        assert kept_uploads.sweep(now=utcnow() + kept_uploads.TTL + timedelta(minutes=1)) == 1
        assert not kept.exists()
    else:  # the bytes on disk are not the ones checked
        with (kept / NAME).open("ab") as fh:
            fh.write(b"weibo,2001,member\n")
    refused = post_unchosen(client, _url(police), csrf, checked=token, dry_run="0")
    assert refused.status_code == 422 and GONE in refused.text
    assert "choose the file again" in refused.text
    assert _written(committed_engine, police) == before


def test_the_api_dry_run_answers_and_writes_nothing(
    client: httpx.Client, world: ConsoleWorld, committed_engine: Engine, office: Start
) -> None:
    police, csrf, before = office.police, office.csrf, office.before
    headers = {"Accept": "application/json", "X-CSRF-Token": csrf}
    url = f"/api/matrices/{police}/members/import"
    files = {"file": (NAME, LIST.encode(), "text/csv")}
    checked = client.post(url, headers=headers, files=files, data={"dry_run": "true"})
    assert checked.status_code == 200, checked.text
    answer = checked.json()
    assert (answer["dry_run"], answer["run_id"]) == (True, None)
    assert (answer["added"], answer["already"], answer["rejected_count"]) == (2, 1, 1)
    assert answer["rejected"][0]["row"] == 4 and "账号不存在" in answer["rejected"][0]["reason"]
    assert _written(committed_engine, police) == before
    done = client.post(url, headers=headers, files=files).json()
    assert done["dry_run"] is False and isinstance(done["run_id"], int)
    assert (done["added"], done["already"], done["rejected_count"]) == (2, 1, 1)
    assert _written(committed_engine, police)[0] == before[0] | {
        world.accounts["js_weibo"],
        world.accounts["hotline_weibo"],
    }
    big = client.post(url, headers=headers, data={"dry_run": "true"},
                      files={"file": (NAME, b"x" * (5 * 1024 * 1024 + 1), "text/csv")})  # fmt: skip
    assert big.status_code == 422
    assert (
        "超过 5 MB" in big.json()["message_zh"] and "larger than 5 MB" in big.json()["message_en"]
    )


def _leftovers() -> list[Path]:
    tmp = get_settings().data_dir / "tmp"
    return [p for p in tmp.iterdir() if p.name != "kept-uploads"] if tmp.exists() else []


def test_no_scratch_copy_stays(
    client: httpx.Client, world: ConsoleWorld, committed_engine: Engine
) -> None:
    csrf = login(client, "office")
    _check(client, csrf, world.matrices["zz_police"])
    big = client.post(_url(world.matrices["zz_police"]), data={"csrf_token": csrf},
                      files={"file": (NAME, b"x" * (5 * 1024 * 1024 + 1), "text/csv")})  # fmt: skip
    assert big.status_code == 422
    assert "超过 5 MB" in big.text and "larger than 5 MB" in big.text
    assert _leftovers() == []
