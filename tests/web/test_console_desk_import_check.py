"""导入热线工单's check (检查) over real HTTP: a check runs the import and writes nothing; its
copy is kept for the user who checked, so 导入 needs no file chosen again — once, for that
user and that form alone (a routing-table token is no hotline export's). The API's
``dry_run`` answers the same counts and writes nothing either."""

from __future__ import annotations

import html
import re
from pathlib import Path

import httpx
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from zhengwu.config import get_settings
from zhengwu.ingest.models import ImportRun, QuarantineEntry

from .conftest import GONE, kept_token, post_unchosen
from .test_console_desk_import import (
    BAD_PHONE,
    _count,
    _csv,
    _hotline_requests,
    _leftovers,
    _messages,
    _rows,
    world,  # noqa: F401 (the console test city: the world the ``client`` fixture serves)
)
from .test_console_world import login

IMPORT = "/console/desk/import"
NAME = "12345导出-2025-09.csv"


def _sheet(shared_data: Path) -> bytes:
    """Five usable rows and one whose time cannot be read (quarantined)."""
    bad = ["20250901999999", "下周三", "无效时间", "小区门口路灯不亮", BAD_PHONE, "410105"]
    return _csv([*_rows(_messages(shared_data, 5), 100), bad])


def _check(client: httpx.Client, csrf: str, content: bytes) -> str:
    """Check an export; return the page's token (the page says nothing was written)."""
    page = client.post(IMPORT, data={"csrf_token": csrf, "source": "12345", "dry_run": "1"},
                       files={"file": (NAME, content, "text/csv")})  # fmt: skip
    assert page.status_code == 200, page.text
    text = html.unescape(page.text)
    assert 'id="import-dry-run"' in text and 'id="import-done"' not in text
    assert (_count(text, "read"), _count(text, "created"), _count(text, "quarantined")) == (6, 5, 1)
    assert re.search(rf"<td>{re.escape(NAME)}:7</td><td>「[^」]+」的时间无法识别", text), text
    return kept_token(text, "desk-import", NAME)


def _post(client: httpx.Client, csrf: str, url: str = IMPORT, **data: str) -> httpx.Response:
    return post_unchosen(client, url, csrf, **data)


def _written(engine: Engine) -> tuple[int, int, int]:
    """Return the hotline requests, import runs and quarantined rows on file."""
    with Session(engine) as session:
        runs = session.scalar(select(func.count()).select_from(ImportRun)) or 0
        held = session.scalar(select(func.count()).select_from(QuarantineEntry)) or 0
    return _hotline_requests(engine), int(runs), int(held)


def test_a_checked_export_imports_without_choosing_it_again(
    client: httpx.Client, shared_data: Path, committed_engine: Engine
) -> None:
    before = _written(committed_engine)
    csrf = login(client, "office")
    content = _sheet(shared_data)
    token = _check(client, csrf, content)
    assert _written(committed_engine) == before  # the check wrote nothing
    kept = get_settings().data_dir / "tmp" / "kept-uploads" / token
    assert (kept / NAME).read_bytes() == content
    assert _leftovers() == []  # the upload's own scratch copy is gone

    # Checked again from the kept copy: the same answer, still nothing written.
    again = _post(client, csrf, checked=token, dry_run="1", source="12345")
    assert again.status_code == 200 and _count(again.text, "created") == 5
    assert f'value="{token}"' in again.text and _written(committed_engine) == before

    done = _post(client, csrf, checked=token, dry_run="0", source="12345")
    assert done.status_code == 200, done.text
    text = html.unescape(done.text)
    assert 'id="import-done"' in text and f"已导入 {NAME}" in text
    assert (_count(text, "created"), _count(text, "quarantined")) == (5, 1)
    assert 'name="checked"' not in text and not kept.exists()
    requests, runs, held = _written(committed_engine)
    assert (requests - before[0], runs - before[1], held - before[2]) == (5, 1, 1)
    with Session(committed_engine) as session:
        entry = session.scalars(select(QuarantineEntry).order_by(QuarantineEntry.id.desc())).first()
        assert entry is not None and entry.source == f"{NAME}:7"  # named as the upload
    # Imported once: the token is spent, and nothing is imported twice.
    spent = _post(client, csrf, checked=token, dry_run="0", source="12345")
    assert spent.status_code == 422 and GONE in spent.text
    assert _written(committed_engine)[0] == requests


def test_the_token_is_the_checking_users_and_this_forms_alone(
    client: httpx.Client, shared_data: Path, committed_engine: Engine,
    live_server: str,
) -> None:  # fmt: skip
    before = _written(committed_engine)
    csrf = login(client, "admin")
    token = _check(client, csrf, _sheet(shared_data))
    # Not a routing table's token, though the same admin holds it.
    routing = _post(client, csrf, "/console/settings/routing/import", checked=token, dry_run="0")
    assert routing.status_code == 422 and GONE in routing.text
    with httpx.Client(base_url=live_server, timeout=60, headers={"Accept": "text/html"}) as other:
        other_csrf = login(other, "office")
        refused = _post(other, other_csrf, checked=token, dry_run="0", source="12345")
        assert refused.status_code == 422 and GONE in refused.text
        assert "the checked file is gone or expired" in refused.text
    assert _written(committed_engine) == before
    # Still the checking admin's, untouched by the refusals.
    done = _post(client, csrf, checked=token, dry_run="0", source="12345")
    assert done.status_code == 200 and _count(done.text, "created") == 5


def test_a_refused_check_keeps_nothing(client: httpx.Client) -> None:
    csrf = login(client, "office")
    old = client.post(IMPORT, data={"csrf_token": csrf, "source": "12345", "dry_run": "1"},
                      files={"file": ("工单.xls", b"\xd0\xcf\x11\xe0" + b"\0" * 512, "application/vnd.ms-excel")})  # fmt: skip
    assert old.status_code == 422, old.text
    assert 'name="checked"' not in old.text
    root = get_settings().data_dir / "tmp" / "kept-uploads"
    assert not root.exists() or list(root.iterdir()) == []
    assert _leftovers() == []


def test_the_api_dry_run_answers_the_counts_and_writes_nothing(
    client: httpx.Client, shared_data: Path, committed_engine: Engine
) -> None:
    before = _written(committed_engine)
    csrf = login(client, "admin")
    answer = client.post("/api/desk/import",
                         data={"dry_run": "true"},
                         headers={"Accept": "application/json", "X-CSRF-Token": csrf},
                         files={"file": (NAME, _sheet(shared_data), "text/csv")})  # fmt: skip
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["dry_run"], body["run_id"], body["created"], body["quarantined"]) == (
        True, None, 5, 1
    )  # fmt: skip
    assert [q["source"] for q in body["quarantine"]] == [f"{NAME}:7"]
    assert _written(committed_engine) == before
