"""An account's page checks that account alone: the whole report's entry, not the registry.

A national registry has ~420 000 accounts; the page of one of them read every account,
organisation and matrix to check one. It now reads that account's own rows, and must say
exactly what the whole compliance report says of it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session

from zhengwu.accounts.models import Account, MatrixMember
from zhengwu.auth import service as auth_service
from zhengwu.content import store
from zhengwu.index import compliance
from zhengwu.index.dimensions import checked_accounts, load_dimensions
from zhengwu.web.console import analytics

from .test_console_world import ConsoleWorld, build_console_world, login

REGISTRY = ("accounts", "organizations", "matrix_members", "matrices")


@pytest.fixture
def world(committed_engine: Engine) -> ConsoleWorld:
    """The console test city with its July index run."""
    auth_service._ip_attempts.clear()
    return build_console_world(committed_engine)


def _whole_report(engine: Engine, platform: str) -> dict[str, Any]:
    """The compliance report of every account, as ``/api/index/compliance`` builds it."""
    with Session(engine) as session, store.open_store(read_only=True) as con:
        check = analytics.latest_check(con, [platform])
        rules = compliance.ComplianceRules.from_settings(
            window_days=check.window_days, reply_check=check.reply_check
        )
        flags = compliance.active_flags(session, check.check_date)
        accounts = load_dimensions(session).accounts
        return compliance.report(con, accounts, flags, check.check_date, rules)


def _entry(report: dict[str, Any], platform: str, uid: str) -> dict[str, Any]:
    return next(r for r in report["rows"] if (r["platform"], r["uid"]) == (platform, uid))


def test_one_account_matches_the_whole_report(
    committed_engine: Engine, world: ConsoleWorld
) -> None:
    statuses = set()
    for key, account_id in world.accounts.items():
        with Session(committed_engine) as session:
            account = session.get(Account, account_id)
            assert account is not None, key
            platform, uid = account.platform, account.uid
        whole = _entry(_whole_report(committed_engine, platform), platform, uid)
        with Session(committed_engine) as session, store.open_store(read_only=True) as con:
            check = analytics.latest_check(con, [platform])
            one = analytics.compliance_report(session, con, [account_id], check)
        assert one["accounts"] == 1, key
        assert one["rows"] == [whole], key
        statuses.add(whole["status"])
    assert statuses == {"pass", "fail"}  # both outcomes compared, not only one


def test_a_page_of_many_matches_the_whole_report(
    committed_engine: Engine, world: ConsoleWorld
) -> None:
    """A matrix page's report (keys read, then the page's names) is a page of the whole one."""
    ids = sorted(world.accounts.values())
    with Session(committed_engine) as session, store.open_store(read_only=True) as con:
        check = analytics.latest_check(con, None)
        rules = compliance.ComplianceRules.from_settings(
            window_days=check.window_days, reply_check=check.reply_check
        )
        flags = compliance.active_flags(session, check.check_date)
        among = select(Account.id).where(Account.id.in_(ids))
        table = checked_accounts(session, among=among)  # every column, as before
        seen = 0
        for failing_only in (False, True):
            for offset in (0, 2, 5):
                page = {"failing_only": failing_only, "limit": 3, "offset": offset}
                got = analytics.compliance_report(session, con, ids, check, **page)
                want = compliance.report(con, table, flags, check.check_date, rules, **page)
                assert got == want, page
                seen += len(got["rows"])
                assert all(r["name"] for r in got["rows"])
    assert seen >= 6


def test_one_account_reads_only_its_own_rows(committed_engine: Engine, world: ConsoleWorld) -> None:
    account_id = world.accounts["police_weibo"]
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    with Session(committed_engine) as session:
        account = session.get(Account, account_id)
        assert account is not None
        memberships = {
            m.matrix_id for m in session.query(MatrixMember).filter_by(account_id=account_id)
        }
        assert len(world.accounts) > 1 and memberships  # others exist to be left unread
        event.listen(committed_engine, "before_cursor_execute", seen)
        try:
            dims = load_dimensions(session, account_ids=[account_id])
        finally:
            event.remove(committed_engine, "before_cursor_execute", seen)
    assert dims.accounts["account_id"].to_pylist() == [account_id]
    assert dims.organizations["organization_id"].to_pylist() == [account.organization_id]
    assert set(dims.members["account_id"].to_pylist()) == {account_id}
    assert set(dims.members["matrix_id"].to_pylist()) == memberships
    registry = [s for s in statements if any(f"FROM {t}" in s for t in REGISTRY)]
    assert len(registry) == 3
    # Every read of the registry is narrowed by the ids asked for: no whole-table scan.
    assert all(re.search(r"\bIN \(", s) for s in registry), registry


def test_account_page_shows_the_whole_reports_entry(
    client: httpx.Client, committed_engine: Engine, world: ConsoleWorld
) -> None:
    login(client, "admin")
    for key, (platform, uid) in {
        "police_weibo": ("weibo", "1001"),
        "hotline_weibo": ("weibo", "1003"),
        "zy_wechat": ("wechat", "w3001"),
    }.items():
        whole = _entry(_whole_report(committed_engine, platform), platform, uid)
        page = client.get(f"/console/accounts/{world.accounts[key]}")
        assert page.status_code == 200, page.text
        section = page.text[page.text.index('id="compliance"') :]
        section = section[: section.index("</section>")]
        assert f"窗口内发文 {whole['posts_in_window']} 条" in section, key
        if whole["status"] == "pass":
            assert "通过" in section and "tag bad" not in section, key
        else:
            assert section.count("tag bad") == len(whole["reasons"]) > 0, key


def test_a_flagged_account_reads_its_flag_in_chinese(
    client: httpx.Client, committed_engine: Engine, world: ConsoleWorld
) -> None:
    """A manual flag shows as 人工标记 and its Chinese title on the account page and in the
    matrix's compliance list, not as its code (``flag:coerced_likes``)."""
    with Session(committed_engine) as session:
        account = session.get(Account, world.accounts["police_weibo"])
        assert account is not None
        at = datetime(2025, 7, 1, tzinfo=UTC)
        compliance.flag_account(
            session, account=account, kind="coerced_likes", reason="刷量", by="督查", at=at
        )
        session.commit()
    login(client, "office")
    page = client.get(f"/console/accounts/{world.accounts['police_weibo']}").text
    shown = page[page.index('id="compliance"') : page.index('id="metrics"')]
    assert "人工标记：强制点赞 / 刷量" in shown
    assert "flag:" not in shown
    matrix = client.get(f"/console/matrix/{world.matrices['zz']}").text
    failing = matrix[matrix.index('id="compliance"') : matrix.index('id="rates"')]
    assert "人工标记：强制点赞 / 刷量" in failing
    assert "flag:" not in failing
