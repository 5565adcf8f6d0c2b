"""``zhengwu db restore``: a restored backup never revives tokens, users or sessions revoked since.

Checked through the real app over HTTP: a token revoked after the backup is refused after
the restore, a token still live works, and every session of the backup is gone.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from zhengwu.auth import service as auth_service
from zhengwu.auth.models import ApiToken, User
from zhengwu.auth.principal import Principal
from zhengwu.cli.db import app
from zhengwu.db.engine import make_engine
from zhengwu.db.restore import RESTORE_PENDING, is_restore_pending
from zhengwu.errors import ConflictError
from zhengwu.web.app import create_app

runner = CliRunner()
ADMIN = Principal(role="admin", user_id=None, username="cli", display_name="命令行")
PASSWORD = "long-enough-1"


def _status(base: str, token: str) -> int:
    r = httpx.get(f"{base}/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    return r.status_code


def _login(base: str, username: str, password: str = PASSWORD) -> httpx.Client:
    client = httpx.Client(base_url=base)
    r = client.post("/api/auth/login", data={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return client


def _revoke(engine: Engine, token_value: str) -> None:
    with Session(engine) as s:
        token = auth_service.find_token(s, key=token_value)
        auth_service.revoke_token(s, token=token, actor=ADMIN)
        s.commit()


def test_restore_of_a_sqlite_backup_keeps_the_revocations_made_since(
    configured_database: str, committed_engine: Engine, live_server: str, tmp_path: Path
) -> None:
    if committed_engine.dialect.name != "sqlite":
        dump = tmp_path / "zhengwu.db"
        dump.write_bytes(b"")
        refused = runner.invoke(app, ["restore", str(dump)])
        assert refused.exit_code == 2 and "pg_restore" in refused.output
        return
    auth_service._ip_attempts.clear()
    with Session(committed_engine) as s:
        wang = auth_service.create_user(s, username="wang", password=PASSWORD, role="admin")
        leaked = auth_service.create_token(s, wang, "leaked")
        kept = auth_service.create_token(s, wang, "kept")
        s.commit()
    old_session = _login(live_server, "wang")
    assert old_session.get("/api/auth/me").json()["username"] == "wang"
    backup = tmp_path / "b" / "zhengwu.db"
    assert runner.invoke(app, ["backup", str(backup)]).exit_code == 0
    # The copy is marked: a server refuses it until it is restored.
    copied = make_engine(f"sqlite:///{backup}")
    with pytest.raises(ConflictError, match="zhengwu db restore"):
        create_app(copied)
    copied.dispose()
    _revoke(committed_engine, leaked)  # the token leaked after the backup
    assert _status(live_server, leaked) == 403

    result = runner.invoke(app, ["restore", str(backup), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["tokens_revoked"] == 1 and report["sessions_ended"] >= 1
    # The backup's state is back (its row of the leaked token is not revoked) …
    copy = sqlite3.connect(backup)
    try:
        assert (
            copy.execute("SELECT count(*) FROM api_tokens WHERE revoked_at IS NULL").fetchone()[0]
            == 2
        )
        assert copy.execute("PRAGMA user_version").fetchone()[0] == RESTORE_PENDING
    finally:
        copy.close()
    # … but through the real app the leaked token stays refused, the other one works,
    # and the session opened before the backup has ended.
    assert _status(live_server, leaked) == 403
    assert _status(live_server, kept) == 200
    assert old_session.get("/api/auth/me").json()["role"] == "public"
    old_session.close()
    assert not is_restore_pending(committed_engine)


def test_restore_without_a_previous_database_needs_a_decision_on_tokens(
    configured_database: str, committed_engine: Engine, live_server: str, tmp_path: Path
) -> None:
    with Session(committed_engine) as s:
        wang = auth_service.create_user(s, username="wang", password=PASSWORD, role="admin")
        token = auth_service.create_token(s, wang, "t")
        s.commit()
    refused = runner.invoke(app, ["restore"])  # a restored copy, the old database lost
    assert refused.exit_code == 2
    assert "--revoke-all-tokens" in refused.output and "--revocations-from" in refused.output
    assert _status(live_server, token) == 200
    both = runner.invoke(app, ["restore", "--revoke-all-tokens", "--keep-tokens"])
    assert both.exit_code == 2
    done = runner.invoke(app, ["restore", "--revoke-all-tokens", "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["tokens_revoked"] == 1
    assert _status(live_server, token) == 403


@pytest.fixture
def previous_engine(committed_engine: Engine, tmp_path: Path) -> Iterator[Engine]:
    """A second, empty zhengwu database of the same backend: the one a restore replaces."""
    from zhengwu.db.models import Base

    if committed_engine.dialect.name == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'previous.db'}")
        Base.metadata.create_all(engine)
        yield engine
        engine.dispose()
        return
    schema = "zw_restore_prev"
    url = committed_engine.url.render_as_string(hide_password=False)
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema}_{_worker()} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}_{_worker()}"))
    base = url.split("?")[0]
    engine = make_engine(f"{base}?options=-csearch_path%3D{schema}_{_worker()}")
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema}_{_worker()} CASCADE"))
    admin.dispose()


def _worker() -> str:
    import os

    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def test_finishing_a_restore_reads_revocations_from_the_previous_database(
    configured_database: str, committed_engine: Engine, previous_engine: Engine, live_server: str
) -> None:
    """PostgreSQL after pg_restore (or a copied SQLite file): `zhengwu db restore --revocations-from`."""
    auth_service._ip_attempts.clear()
    # The restored database: the backup's state.
    with Session(committed_engine) as s:
        wang = auth_service.create_user(s, username="wang", password=PASSWORD, role="admin")
        li = auth_service.create_user(s, username="li", password=PASSWORD, role="admin")
        zhao = auth_service.create_user(s, username="zhao", password=PASSWORD, role="admin")
        leaked = auth_service.create_token(s, wang, "leaked")
        kept = auth_service.create_token(s, wang, "kept")
        deleted = auth_service.create_token(s, zhao, "of a deleted user")
        of_li = auth_service.create_token(s, li, "of a disabled user")
        s.commit()
        rows = s.execute(select(User.username, User.password_hash)).all()
        tokens = s.execute(select(ApiToken.token_hash, ApiToken.user_id)).all()
        names = {u.id: u.username for u in (wang, li, zhao)}
    old_session = _login(live_server, "wang")
    # The previous database, as it was when it was given up: the leaked token revoked, li
    # disabled, zhao deleted, wang's password changed.
    with Session(previous_engine) as s:
        for username, password_hash in rows:
            if username != "zhao":
                s.add(User(username=username, display_name=username, role="admin",
                           password_hash=password_hash, is_active=username != "li"))  # fmt: skip
        s.flush()
        ids = {u.username: u.id for u in s.scalars(select(User))}
        for token_hash, user_id in tokens:
            if names[user_id] != "zhao":
                s.add(ApiToken(user_id=ids[names[user_id]], name="t", token_hash=token_hash))
        s.flush()
        new_hash = auth_service.hash_password("changed-password-2")
        s.execute(
            text("UPDATE users SET password_hash = :h WHERE username = 'wang'"), {"h": new_hash}
        )
        s.commit()
    _revoke(previous_engine, leaked)
    assert _status(live_server, leaked) == 200  # not restored yet: the backup's state

    prev_url = previous_engine.url.render_as_string(hide_password=False)
    result = runner.invoke(app, ["restore", "--revocations-from", prev_url, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["tokens_revoked"] == 2  # the leaked one and the deleted user's
    assert report["users_disabled"] == 2 and report["passwords_kept"] == 1
    assert _status(live_server, leaked) == 403
    assert _status(live_server, deleted) == 403
    assert _status(live_server, of_li) == 403  # li is disabled
    assert _status(live_server, kept) == 200
    assert old_session.get("/api/auth/me").json()["role"] == "public"
    old_session.close()
    with httpx.Client(base_url=live_server) as client:
        old = client.post("/api/auth/login", data={"username": "wang", "password": PASSWORD})
        assert old.status_code == 403  # the password of the backup no longer works
    _login(live_server, "wang", "changed-password-2").close()
    same = runner.invoke(app, ["restore", "--revocations-from", configured_database])
    assert same.exit_code == 2 and "not another zhengwu database" in same.output
