"""API keys of Open311 clients: the service on both databases, and ``zhengwu open311 keys``."""

from __future__ import annotations

import orjson
import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from zhengwu.cli.open311 import app
from zhengwu.db import migrate
from zhengwu.db.engine import get_engine
from zhengwu.errors import ConflictError, InvalidInputError, NotFoundError
from zhengwu.servicedesk.open311 import keys
from zhengwu.servicedesk.open311.models import Open311ApiKey

runner = CliRunner()


def test_a_key_is_stored_only_as_its_hash(session: Session) -> None:
    row, key = keys.create_key(session, name="郑州市民通")
    assert key.startswith("zw311_")
    assert len(key) > 30
    assert key not in row.key_hash
    assert len(row.key_hash) == 64
    assert row.created_at.tzinfo is not None
    assert row.revoked_at is None
    assert row.last_used_at is None
    assert keys.check_key(session, key) is row
    assert row.last_used_at is not None


def test_missing_unknown_and_revoked_keys_are_refused_with_403(session: Session) -> None:
    row, key = keys.create_key(session, name="app")
    for bad in (None, "", "zw311_not-a-key"):
        with pytest.raises(keys.ApiKeyError) as exc:
            keys.check_key(session, bad)
        assert exc.value.status_code == 403
    keys.revoke_key(session, key="app")
    assert row.revoked_at is not None
    with pytest.raises(keys.ApiKeyError, match="invalid or revoked"):
        keys.check_key(session, key)


def test_one_active_key_per_app_and_revoking_by_id_or_name(session: Session) -> None:
    first, _ = keys.create_key(session, name="app")
    with pytest.raises(ConflictError):
        keys.create_key(session, name="app")
    keys.revoke_key(session, key=str(first.id))
    second, _ = keys.create_key(session, name=" app ")  # a new key after revoking the old
    assert second.name == "app"
    assert [k.id for k in keys.list_keys(session)] == [first.id, second.id]
    with pytest.raises(ConflictError, match="already revoked"):
        keys.revoke_key(session, key=str(first.id))
    with pytest.raises(NotFoundError):
        keys.revoke_key(session, key="nobody")
    with pytest.raises(InvalidInputError):
        keys.create_key(session, name="  ")


def _json(args: list[str]) -> object:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return orjson.loads(result.stdout.splitlines()[-1])


def test_keys_commands_end_to_end() -> None:
    migrate.upgrade(get_engine())
    created = _json(["keys", "create", "--name", "zhengzhou-app", "--json"])
    assert isinstance(created, dict)
    assert created["name"] == "zhengzhou-app"
    assert created["active"] is True
    plain = created["api_key"]
    assert isinstance(plain, str)
    assert plain.startswith("zw311_")
    listed = _json(["keys", "list", "--json"])
    assert isinstance(listed, list)
    assert len(listed) == 1
    assert "api_key" not in listed[0]
    assert plain not in orjson.dumps(listed).decode()
    table = runner.invoke(app, ["keys", "list"])
    assert table.exit_code == 0
    assert "zhengzhou-app" in table.output
    assert "active" in table.output
    revoked = _json(["keys", "revoke", "zhengzhou-app", "--json"])
    assert isinstance(revoked, dict)
    assert revoked["active"] is False
    with Session(get_engine()) as session:
        row = session.get(Open311ApiKey, created["id"])
        assert row is not None
        assert row.revoked_at is not None


def test_keys_commands_report_errors_cleanly() -> None:
    migrate.upgrade(get_engine())
    plain = runner.invoke(app, ["keys", "create", "--name", "app"])
    assert plain.exit_code == 0
    assert "zw311_" in plain.output
    again = runner.invoke(app, ["keys", "create", "--name", "app"])
    assert again.exit_code == 2
    assert "already has an active key" in again.output
    missing = runner.invoke(app, ["keys", "revoke", "42"])
    assert missing.exit_code == 2
    assert "no such key" in missing.output
    assert "create" in runner.invoke(app, ["keys", "--help"]).output
