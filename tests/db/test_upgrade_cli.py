"""``zhengwu db upgrade`` says what it did: created, upgraded from X to Y, or nothing."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from zhengwu.cli.db import app, describe_upgrade
from zhengwu.config import get_settings
from zhengwu.db import migrate
from zhengwu.db.engine import get_engine, make_engine

runner = CliRunner()


@pytest.fixture
def empty_url(db_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The URL of an empty database of the test's backend, set as the configured one."""
    schema = f"zw_upgrade_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    if db_engine.dialect.name == "sqlite":
        url = f"sqlite:///{tmp_path / 'fresh.db'}"
    else:
        with db_engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        url = db_engine.url.update_query_dict({"options": f"-csearch_path={schema}"})
        url = url.render_as_string(hide_password=False)
    monkeypatch.setenv("ZHENGWU_DATABASE_URL", url)
    get_settings.cache_clear()
    get_engine.cache_clear()
    yield url
    get_engine(migrate=False).dispose()
    get_engine.cache_clear()
    if db_engine.dialect.name != "sqlite":
        with db_engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))


def _run(*args: str, input_text: str | None = None) -> str:
    result = runner.invoke(app, list(args), input=input_text)
    assert result.exit_code == 0, result.output
    return " ".join(result.stdout.split())  # rich wraps long lines


def _heads() -> str:
    """The revision of each branch, comma-separated (``db current --json``'s ``heads``)."""
    result = runner.invoke(app, ["current", "--json"])
    assert result.exit_code == 0, result.output
    return str(orjson.loads(result.stdout)["heads"])


def test_fresh_database_is_created_then_up_to_date(empty_url: str) -> None:
    assert _run("current") == "(空数据库 / empty database)"  # looking does not migrate
    created = _run("upgrade")
    newest = max(ScriptDirectory.from_config(migrate.alembic_config(empty_url)).get_heads())
    # Not the tips of the 13 migration branches (0006,0008,0010,…): the newest revision.
    assert created.startswith(
        f"已创建数据库，结构版本 {newest}（最新） / created the database at schema {newest} "
        "(up to date); 已载入区划"
    )
    assert "loaded" in created and "regions" in created and "," not in created
    heads = _heads()
    assert heads and heads != "(空数据库 / empty database)" and heads not in created
    # `db current` read the 13 branch tips on one line: now the newest revision as `db
    # upgrade` says it, the tips with -v, and every field in --json.
    at = f"结构版本 {newest}（最新） / schema at {newest} (up to date)"
    assert _run("current") == at
    assert _run("current", "-v") == f"{at} 各分支版本 / branch revisions: {heads}"
    assert len(heads.split(",")) > 1
    looked = orjson.loads(runner.invoke(app, ["current", "--json"]).stdout)
    assert looked == {
        "heads": heads, "newest": newest, "latest": newest, "up_to_date": True,
        "pending": [], "unknown": [],
    }  # fmt: skip
    again = _run("upgrade")
    assert again == (
        f"数据库已是最新（{newest}），未做改动 / database already up to date ({newest}); nothing done"
    )
    verbose = _run("upgrade", "-v")
    assert verbose == f"{again} 各分支版本 / branch revisions: {heads}"
    result = runner.invoke(app, ["upgrade", "--json"])
    assert result.exit_code == 0, result.output
    assert orjson.loads(result.stdout) == {
        "before": heads, "after": heads, "newest": newest, "latest": newest,
        "up_to_date": True, "applied": [], "regions_added": 0,
    }  # fmt: skip


def test_older_database_is_upgraded_from_its_revision(empty_url: str) -> None:
    engine = make_engine(empty_url)
    migrate.upgrade(engine, "0017")
    engine.dispose()
    before = _heads()
    assert "0017" in before
    behind = _run("current")
    assert behind.startswith("结构版本 0017，未应用迁移 ") and "（0002," in behind
    assert behind.endswith(": run zhengwu db upgrade") and "0017 (" not in behind
    result = runner.invoke(app, ["upgrade", "--json"])
    assert result.exit_code == 0, result.output
    answer = orjson.loads(result.stdout)
    heads = _heads()
    assert answer["before"] == before and answer["after"] == heads != before
    assert "0018" in answer["applied"] and "0017" not in answer["applied"]
    assert answer["up_to_date"] is True and answer["newest"] == answer["latest"]


def test_describe_upgrade_says_what_was_done() -> None:
    code = ("0040", "0042")
    old = migrate.SchemaState(("0019",), frozenset({"0001", "0019"}), code)
    new = migrate.SchemaState(code, frozenset({"0001", "0019", "0040", "0042"}), code)
    assert describe_upgrade(new, new, 0) == (
        "数据库已是最新（0042），未做改动 / database already up to date (0042); nothing done"
    )
    assert describe_upgrade(old, new, 0) == (
        "已升级数据库结构，应用迁移 2 个，现为 0042（最新） / upgraded the schema: "
        "2 migrations applied, now at 0042 (up to date)"
    )
    only_regions = describe_upgrade(new, new, 3)
    assert "schema unchanged at 0042 (up to date)" in only_regions
    assert "loaded 3 regions" in only_regions and "nothing done" not in only_regions
    behind = describe_upgrade(old, old, 0)  # `zhengwu db upgrade 0019`: not the latest
    assert (
        behind
        == "结构版本 0019（最新为 0042），未变 / schema unchanged at 0019 (the latest is 0042)"
    )
    nothing = migrate.SchemaState((), frozenset(), code)
    one = describe_upgrade(nothing, old, 0)
    assert one.startswith("已创建数据库，结构版本 0019（最新为 0042）")


def test_processes_starting_together_migrate_the_database_once(
    empty_url: str, tmp_path: Path
) -> None:
    # `zhengwu serve --workers 4` and `zhengwu worker` started together on a new database
    # (or after an upgrade of the package) each brought the schema up to date at once; on
    # PostgreSQL all but one died with a traceback (duplicate key … alembic_version).
    import subprocess
    import sys

    cli = Path(sys.executable).parent / "zhengwu"
    env = {**os.environ, "ZHENGWU_DATABASE_URL": empty_url, "ZHENGWU_DATA_DIR": str(tmp_path)}
    commands = [["users", "list"], ["users", "list"], ["db", "upgrade"], ["users", "list"]]
    started = [
        subprocess.Popen([str(cli), *c], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for c in commands
    ]
    errors = [p.communicate(timeout=300)[1].decode() for p in started]
    results = [(p.returncode, err) for p, err in zip(started, errors, strict=True)]
    assert [rc for rc, _ in results] == [0] * len(commands), results
    assert all("Traceback" not in err for _, err in results), results
    engine = make_engine(empty_url)
    try:
        with engine.connect() as conn:
            regions = conn.execute(text("SELECT count(*), count(DISTINCT adcode) FROM regions"))
            total, distinct = regions.one()
        assert total == distinct > 3000
    finally:
        engine.dispose()
    assert _run("current") != "(空数据库 / empty database)"


def test_a_pool_of_one_connection_migrates(empty_url: str) -> None:
    # The lock held a connection of the engine's pool while the upgrade took another: an
    # engine of one connection (pool_size=1, no overflow) waited for itself and failed
    # with "QueuePool limit of size 1 overflow 0 reached" on PostgreSQL.
    engine = make_engine(empty_url, pool_size=1, max_overflow=0, pool_timeout=5)
    try:
        assert migrate.ensure_current(engine) is True
        assert migrate.current(engine)
        assert migrate.ensure_current(engine) is False
    finally:
        engine.dispose()


def test_the_migration_lock_is_released_when_the_migration_fails(empty_url: str) -> None:
    import fcntl

    engine = make_engine(empty_url)
    try:
        with pytest.raises(RuntimeError), migrate.migration_lock(engine):
            raise RuntimeError("a migration failed")
        if engine.dialect.name == "sqlite":
            with Path(f"{engine.url.database}.migrate-lock").open("a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # BlockingIOError if held
                fcntl.flock(lock, fcntl.LOCK_UN)
        else:
            other = make_engine(empty_url)
            try:
                with other.connect() as conn:
                    key = migrate._MIGRATION_LOCK
                    assert conn.exec_driver_sql(f"SELECT pg_try_advisory_lock({key})").scalar()
                    conn.exec_driver_sql(f"SELECT pg_advisory_unlock({key})")
            finally:
                other.dispose()
        with migrate.migration_lock(engine):  # and taken again in this process
            pass
    finally:
        engine.dispose()


def _refused(*args: str, given: str | None = None) -> str:
    result = runner.invoke(app, list(args), input=given)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    return " ".join(result.output.split())


def test_downgrade_asks_first_then_goes_back(empty_url: str) -> None:
    # There was no `zhengwu db downgrade`: going back before installing an older version
    # took Python (zhengwu.db.migrate.downgrade).
    _run("upgrade")
    heads = _heads()
    assert "0041" in heads.split(",")
    said = _refused("downgrade", "0041@-1", given="n\n")
    assert "将把数据库结构从" in said and "are dropped with their data" in said
    assert "未降级：没有确认" in said and "not downgraded: not confirmed" in said
    assert _refused("downgrade", "0041@-1").endswith("not confirmed (add --yes not to be asked)")
    assert _heads() == heads  # nothing changed
    done = _run("downgrade", "0041@-1", input_text="y\n")
    back = _heads()
    newest = max(back.split(","))  # 0041 is not the newest revision: the list says what is missing
    assert _run("current") == (
        f"结构版本 {newest}，未应用迁移 1 个（0041；最新为 {newest}）：请运行 zhengwu db upgrade / "
        f"schema at {newest}, 1 migration not applied (0041; the latest is {newest}): run "
        "zhengwu db upgrade"
    )
    assert "0041" not in back.split(",") and "0040" in back.split(",")
    assert f"已从 {heads} 降级到 {back} / downgraded the schema from {heads} to {back}" in done
    result = runner.invoke(app, ["downgrade", "0040@-1", "--yes", "--json"])
    assert result.exit_code == 0, result.output
    answer = orjson.loads(result.stdout.strip().splitlines()[-1])
    assert answer["before"] == back and answer["changed"] is True
    assert "0034" in answer["after"].split(",") and answer["after"] == _heads()
    assert "应用迁移 2 个" in _run("upgrade")  # and up again: 0040 and 0041


def test_downgrade_refuses_what_it_cannot_do(empty_url: str) -> None:
    empty = _refused("downgrade", "0001", "--yes")
    assert "数据库是空的" in empty and "the database is empty" in empty
    _run("upgrade")
    heads = _heads()
    unknown = _refused("downgrade", "9999", "--yes")
    assert "无法降级到结构版本 9999" in unknown and "cannot downgrade to revision 9999" in unknown
    # The Chinese line carried Alembic's English ("Can't locate revision identified by …");
    # it says why in Chinese, the English line keeps Alembic's words.
    for given, why_zh, why_en in (
        ("9999", "本版本的迁移中没有 9999", "Can't locate revision identified by '9999'"),
        ("0006@-9", "该分支上没有这么多步可退或可进（-9）", "Relative revision -9 didn't produce"),
        ("heads", "各分支的版本不同，请给出一个版本", "Multiple head revisions are present"),
    ):
        result = runner.invoke(app, ["downgrade", given, "--yes", "--json"])
        assert result.exit_code == 2, result.output
        error = orjson.loads(result.stdout.splitlines()[-1])
        assert error["message_zh"].startswith(f"无法降级到结构版本 {given}：{why_zh}"), error
        words = error["message_zh"].replace(given, "").replace("zhengwu db current -v", "")
        assert re.search(r"[A-Za-z]{3,}", words) is None, words
        assert why_en in error["message_en"] and "cannot downgrade" in error["message_en"]
    json_alone = _refused("downgrade", "0040@-1", "--json")
    assert "--json 需要同时给出 --yes" in json_alone and "--json needs --yes" in json_alone
    assert _heads() == heads


def test_downgrade_to_the_list_db_current_printed_names_each_step(empty_url: str) -> None:
    # `zhengwu db current`, noted before an upgrade, prints one revision a branch; given
    # whole to `db downgrade`, Alembic said only "Can't locate revision identified by
    # '0006,0008,…'". The refusal names the downgrade of each branch that moved.
    _run("upgrade")
    _run("downgrade", "0040@-1", "--yes")
    noted = _heads()  # the schema before the "upgrade"
    _run("upgrade")
    heads = _heads()
    said = _refused("downgrade", noted, "--yes")
    # The one branch that moved, at its revision before the upgrade (whatever newer
    # migrations that branch has gained since this test was written).
    moved = set(noted.split(",")) - set(heads.split(","))
    assert len(moved) == 1, (noted, heads)
    step = moved.pop()
    assert "降级一次只给一个版本" in said and "a downgrade takes one revision at a time" in said
    assert f"请依次运行 zhengwu db downgrade {step}" in said
    assert f"run in turn zhengwu db downgrade {step}" in said and "Can't locate" not in said
    assert _heads() == heads  # nothing changed
    same = _refused("downgrade", heads, "--yes")
    assert "无需降级" in same and "nothing to downgrade" in same
    _run("downgrade", step, "--yes")  # the step it named
    assert _heads() == noted


def test_current_names_revisions_of_a_newer_version(empty_url: str) -> None:
    # An older zhengwu looking at a database a newer one migrated (before its downgrade).
    _run("upgrade")
    engine = make_engine(empty_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE alembic_version SET version_num = '9001' "
                "WHERE version_num = (SELECT max(version_num) FROM alembic_version)"
            )
        )
    engine.dispose()
    said = _run("current")
    assert said.startswith("结构版本 9001（本版本不认识 9001：数据库属于较新的 zhengwu")
    assert said.endswith(
        "(9001 unknown to this version: the database belongs to a newer "
        "zhengwu — downgrade it with that version first)"
    )
    assert orjson.loads(runner.invoke(app, ["current", "--json"]).stdout)["unknown"] == ["9001"]
