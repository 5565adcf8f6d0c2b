"""``zhengwu users`` on SQLite and PostgreSQL: tokens listed and revoked, users disabled."""

from __future__ import annotations

import json

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from zhengwu.audit.models import AuditEntry
from zhengwu.auth import service as auth_service
from zhengwu.cli.users import app

runner = CliRunner()


def _ok(args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_tokens_are_listed_revoked_and_users_disabled_from_the_cli(
    configured_database: str, committed_engine: Engine
) -> None:
    _ok(["create", "wang", "--role", "dispatcher", "--password", "long-enough-1"])
    first = json.loads(_ok(["token", "wang", "--name", "nightly", "--json"]))["token"]
    second = _ok(["token", "wang", "--name", "export"]).strip()
    rows = json.loads(_ok(["tokens", "wang", "--json"]))
    assert [(r["name"], r["prefix"], r["active"]) for r in rows] == [
        ("nightly", first[:11], True), ("export", second[:11], True)
    ]  # fmt: skip
    table = _ok(["tokens", "wang"])
    assert f"{first[:11]}…" in table and "有效 active" in table
    assert first not in table  # never the token itself
    # By id, then the other by its leaked value.
    revoked = json.loads(_ok(["revoke-token", str(rows[0]["id"]), "--json"]))
    assert revoked["active"] is False and revoked["revoked_at"]
    assert "revoked API token" in _ok(["revoke-token", second])
    again = runner.invoke(app, ["revoke-token", str(rows[0]["id"])])
    assert again.exit_code == 2
    assert "UTC 吊销" in again.output and "already revoked" in again.output
    missing = runner.invoke(app, ["revoke-token", "4242"])
    assert missing.exit_code == 2 and "no such API token: 4242" in missing.output
    assert "已吊销 revoked" in _ok(["tokens", "wang"])
    with Session(committed_engine) as s:
        assert auth_service.principal_from_token(s, first) is None
        assert auth_service.principal_from_token(s, second) is None
        user = auth_service.get_user(s, username="wang")
        cookie, _ = auth_service.start_session(s, user)
        user_id = user.id
        s.commit()

    assert "disabled user wang" in _ok(["disable", "wang"])
    assert "停用 disabled" in _ok(["list"])
    with Session(committed_engine) as s:
        assert auth_service.principal_from_session(s, cookie) is None
    twice = runner.invoke(app, ["disable", "wang"])
    assert twice.exit_code == 2 and "already disabled" in twice.output
    assert json.loads(_ok(["enable", "wang", "--json"])) == {
        "id": user_id, "username": "wang", "active": True
    }  # fmt: skip
    assert json.loads(_ok(["list", "--json"]))[0]["active"] is True
    nobody = runner.invoke(app, ["disable", "nobody"])
    assert nobody.exit_code == 2 and "no such user: nobody" in nobody.output
    with Session(committed_engine) as s:
        audit = s.execute(
            select(AuditEntry.entity_type, AuditEntry.action, AuditEntry.actor_name).order_by(
                AuditEntry.id
            )
        ).all()
    assert [tuple(a) for a in audit] == [
        ("api_token", "revoke", "命令行"), ("api_token", "revoke", "命令行"),
        ("user", "disable", "命令行"), ("user", "enable", "命令行"),
    ]  # fmt: skip


def test_an_unknown_role_lists_the_roles_in_both_languages(configured_database: str) -> None:
    result = runner.invoke(app, ["create", "x", "--role", "king", "--password", "abcdefghi"])
    assert result.exit_code == 2
    roles = "admin, matrix_office, operator, handler, dispatcher, verifier, team"
    zh, en = [line for line in result.output.splitlines() if "king" in line]
    assert roles in zh and zh.startswith("错误")
    assert roles in en and en.startswith("Error")
