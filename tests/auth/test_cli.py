"""``zhengwu users`` on SQLite and PostgreSQL: tokens listed and revoked, users disabled."""

from __future__ import annotations

import json

import pytest
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


def test_create_resolves_the_matrix_by_id_code_or_name_and_lists_ambiguous_ones(
    configured_database: str, committed_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from zhengwu.accounts.models import Matrix
    from zhengwu.cli.common import console

    monkeypatch.setattr(console, "width", 160)  # the list's rows on one line each

    with Session(committed_engine) as s:
        zz = Matrix(name="郑州政务新媒体矩阵", kind="regional", adcode="410100")
        ly = Matrix(name="洛阳政务新媒体矩阵", kind="regional", adcode="410300")
        s.add_all([zz, ly])
        s.flush()
        # Two cities' 市场监管 sub-matrices share a name; another's external id is zz's id.
        zz_sm = Matrix(name="市场监管矩阵", kind="vertical", parent_id=zz.id, external_id="zz-sm")
        ly_sm = Matrix(name="市场监管矩阵", kind="vertical", parent_id=ly.id)
        tricky = Matrix(name="测试矩阵", kind="vertical", external_id=str(zz.id))
        s.add_all([zz_sm, ly_sm, tricky])
        s.commit()
        ids = {"zz": zz.id, "ly": ly.id, "zz_sm": zz_sm.id, "ly_sm": ly_sm.id,
               "tricky": tricky.id}  # fmt: skip

    def matrix_of(username: str) -> int | None:
        with Session(committed_engine) as s:
            return auth_service.get_user(s, username=username).matrix_id

    password = ["--role", "matrix_office", "--password", "long-enough-1"]
    _ok(["create", "office_ly", *password, "--matrix", "洛阳政务新媒体矩阵"])
    assert matrix_of("office_ly") == ids["ly"]  # by its name, which only it has
    _ok(["create", "office_sm", *password, "--matrix", "zz-sm"])
    assert matrix_of("office_sm") == ids["zz_sm"]

    # A name two matrices share: refused, both listed with their parent.
    twice = runner.invoke(app, ["create", "office_x", *password, "--matrix", "市场监管矩阵"])
    assert twice.exit_code == 2, twice.output
    out = " ".join(twice.output.split())
    assert "对应多个矩阵" in out and "names several matrices" in out
    assert f"#{ids['zz_sm']}" in out and f"#{ids['ly_sm']}" in out
    assert "↑郑州政务新媒体矩阵" in out and "↑洛阳政务新媒体矩阵" in out
    # An id that is also another matrix's external id: refused, then said which.
    both = runner.invoke(app, ["create", "office_y", *password, "--matrix", str(ids["zz"])])
    assert both.exit_code == 2 and f"#{ids['tricky']}" in both.output
    _ok(["create", "office_y", *password, "--matrix", f"#{ids['zz']}"])
    assert matrix_of("office_y") == ids["zz"]
    _ok(["create", "office_z", *password, "--matrix", f"code:{ids['zz']}"])
    assert matrix_of("office_z") == ids["tricky"]
    _ok(["create", "office_w", *password, "--matrix", f"#{ids['ly_sm']}"])
    assert matrix_of("office_w") == ids["ly_sm"]
    # Unknown: a clear error, no traceback, no user.
    missing = runner.invoke(app, ["create", "office_v", *password, "--matrix", "开封矩阵"])
    assert missing.exit_code == 2
    assert "找不到矩阵：开封矩阵" in missing.output and "no matrix '开封矩阵'" in missing.output
    assert "Traceback" not in missing.output
    listed = _ok(["list"])
    assert "office_x" not in listed and "office_v" not in listed
    # The table names each scope (a number alone meant nothing to an administrator).
    row = next(line for line in listed.splitlines() if "office_ly" in line)
    assert "矩阵管理员 matrix_office" in row and f"矩阵 洛阳政务新媒体矩阵 #{ids['ly']}" in row


def test_an_office_is_moved_to_another_matrix_from_the_cli(
    configured_database: str, committed_engine: Engine
) -> None:
    from zhengwu.accounts.models import Matrix

    with Session(committed_engine) as s:
        zz = Matrix(name="郑州市政务矩阵", kind="regional", adcode="410100")
        ly = Matrix(name="洛阳市政务矩阵", kind="regional", adcode="410300")
        s.add_all([zz, ly])
        s.commit()
        zz_id, ly_id = zz.id, ly.id
    _ok(["create", "zz", "--role", "matrix_office", "--matrix", "郑州市政务矩阵",
         "--password", "long-enough-1"])  # fmt: skip
    moved = json.loads(_ok(["set-scope", "zz", "--matrix", "洛阳市政务矩阵", "--json"]))
    assert (moved["username"], moved["matrix_id"]) == ("zz", ly_id)
    assert f"matrix_id={zz_id}" in _ok(["set-scope", "zz", "--matrix", f"#{zz_id}"])
    nothing = runner.invoke(app, ["set-scope", "zz"])
    assert nothing.exit_code == 2
    assert "请指定要更改的范围" in nothing.output and "say which scope" in nothing.output
    unknown = runner.invoke(app, ["set-scope", "zz", "--team", "4242"])
    assert unknown.exit_code == 2 and "no such rescue team: 4242" in unknown.output
    with Session(committed_engine) as s:
        assert auth_service.get_user(s, username="zz").matrix_id == zz_id
        actions = s.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "user")).all()
    assert actions == ["set_scope", "set_scope"]
