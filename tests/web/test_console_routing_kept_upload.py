"""The routing page's table import over real HTTP: after a check (检查) the checked copy is
kept under the data dir's tmp for the admin who checked it, so 导入 needs no file chosen
again — and the token that names it works for that admin alone, once, within its time."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from zhengwu.auth import service as auth_service
from zhengwu.config import get_settings
from zhengwu.db.base import utcnow
from zhengwu.servicedesk import kept_uploads

from .conftest import GONE, kept_token, post_unchosen

# ``world`` (the console test city) is the world the ``client`` fixture serves.
from .test_console_settings import _version, world  # noqa: F401
from .test_console_world import PASSWORD, login

IMPORT = "/console/settings/routing/import"


def _check(client: httpx.Client, csrf: str) -> tuple[str, bytes]:
    """Check an edited export (one rule more); return the page's token and the file."""
    sheet = client.get("/api/desk/routing/rules/export?format=csv").content
    edited = sheet + ",二七区,,城乡建设,郑州市公安局,,,,,,,\n".encode()
    checked = client.post(IMPORT, data={"csrf_token": csrf, "dry_run": "1"},
                          files={"file": ("派单表.csv", edited, "text/csv")})  # fmt: skip
    assert checked.status_code == 200, checked.text
    assert 'id="table-import-dry-run"' in checked.text
    # The file input is no longer required: the checked copy stands in for it.
    return kept_token(checked.text, "routing-import", "派单表.csv", "（生成新版本）"), edited


def _checked_as_admin(client: httpx.Client) -> tuple[str, str, bytes, Path]:
    """Log in as the admin and check a table; return the CSRF token, the page's token, the
    file and the folder its kept copy is in."""
    csrf = login(client, "admin")
    token, edited = _check(client, csrf)
    return csrf, token, edited, get_settings().data_dir / "tmp" / "kept-uploads" / token


def _post(client: httpx.Client, csrf: str, **data: str) -> httpx.Response:
    return post_unchosen(client, IMPORT, csrf, **data)


def test_a_checked_table_imports_without_choosing_it_again(client: httpx.Client) -> None:
    csrf, token, edited, kept = _checked_as_admin(client)
    assert (kept / "派单表.csv").read_bytes() == edited

    # Checked again without the file, now replacing: the same copy, nothing written.
    again = _post(client, csrf, checked=token, dry_run="1", replace="1")
    assert again.status_code == 200, again.text
    assert re.search(r'id="table-added">1<', again.text)
    assert re.search(r'id="table-retired">0<', again.text)
    assert f'value="{token}"' in again.text and _version(again.text) == 1

    done = _post(client, csrf, checked=token, dry_run="0")
    assert done.status_code == 200, done.text
    assert "已导入 派单表.csv，路由表版本 2" in done.text
    assert 'name="checked"' not in done.text and not kept.exists()
    # Imported once: the token is spent.
    spent = _post(client, csrf, checked=token, dry_run="0")
    assert spent.status_code == 422 and GONE in spent.text
    assert _version(spent.text) == 2


def test_the_token_is_the_checking_admins_alone(
    client: httpx.Client, committed_engine: Engine, live_server: str
) -> None:
    with Session(committed_engine) as session:
        auth_service.create_user(session, username="admin2", password=PASSWORD, role="admin")
        session.commit()
    csrf = login(client, "admin")
    token, _ = _check(client, csrf)
    with httpx.Client(base_url=live_server, timeout=60, headers={"Accept": "text/html"}) as other:
        other_csrf = login(other, "admin2")
        refused = _post(other, other_csrf, checked=token, dry_run="0")
        assert refused.status_code == 422 and GONE in refused.text
        assert "the checked file is gone or expired" in refused.text
    for forged in (token[:-1] + ("A" if token[-1] != "A" else "B"), "../../etc/passwd", "x"):
        answer = _post(client, csrf, checked=forged, dry_run="0")
        assert answer.status_code == 422 and GONE in answer.text, forged
    # Still the checking admin's, untouched by the refusals.
    assert _version(_post(client, csrf, checked=token, dry_run="0").text) == 2


@pytest.mark.parametrize("spoilt", ["expired", "edited"])
def test_an_expired_or_edited_copy_is_refused(client: httpx.Client, spoilt: str) -> None:
    csrf, token, _, kept = _checked_as_admin(client)
    if spoilt == "expired":
        later = utcnow() + kept_uploads.TTL + timedelta(minutes=1)
        assert kept_uploads.sweep(now=later) == 1
        assert not kept.exists()
    else:  # the bytes on disk are not the ones checked
        with (kept / "派单表.csv").open("ab") as fh:
            fh.write(",金水区,,城乡建设,郑州市公安局,,,,,,,\n".encode())
    refused = _post(client, csrf, checked=token, dry_run="0")
    assert refused.status_code == 422 and GONE in refused.text
    assert _version(refused.text) == 1
