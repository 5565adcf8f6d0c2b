"""A command that only reads or helps leaves no ``./zhengwu-data`` where it was run.

A new user trying ``zhengwu --help``, ``zhengwu imports`` or ``zhengwu quarantine`` in some
directory found a ``zhengwu-data`` folder with an empty, migrated database there afterwards.
The first command that writes (an import, ``db upgrade``, the server) still creates it.
"""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from zhengwu.cli.main import app
from zhengwu.config import get_settings
from zhengwu.db.engine import get_engine

runner = CliRunner()


@pytest.fixture
def fresh_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory with no env file and no ZHENGWU_DATA_DIR: the default ./zhengwu-data."""
    monkeypatch.delenv("ZHENGWU_DATA_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    get_engine.cache_clear()
    assert get_settings().data_dir == Path("zhengwu-data")
    return tmp_path


@pytest.mark.parametrize(
    ("args", "code", "said"),
    [
        (["--help"], 0, "Usage"),
        (["formats"], 0, "weibo-api"),
        (["imports"], 0, "0 import runs in all"),
        (["imports", "--json"], 0, ""),
        (["quarantine"], 0, "nothing on this page, 0 in all"),
        (["quarantine", "--json"], 0, ""),
        (["quarantine", "--run", "1"], 2, "nothing has been imported yet"),
        (["db", "current"], 0, "(空数据库 / empty database)"),
        (["db", "downgrade", "0040@-1", "--yes"], 2, "the database is empty"),
    ],
)
def test_a_read_only_command_creates_no_data_directory(
    fresh_directory: Path, args: list[str], code: int, said: str
) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == code, result.output
    assert said in " ".join(result.output.split())
    assert not (fresh_directory / "zhengwu-data").exists()
    assert list(fresh_directory.iterdir()) == []


def test_the_first_import_creates_it_and_the_listings_read_it(fresh_directory: Path) -> None:
    user = {
        "id": 2176235777,
        "screen_name": "广东政法",
        "followers_count": 1200,
        "verified_type": 1,
    }
    (fresh_directory / "users.jsonl").write_text(json.dumps(user, ensure_ascii=False) + "\n")
    done = runner.invoke(app, ["import", "weibo-api", "users.jsonl", "--json"])
    assert done.exit_code == 0, done.output
    assert (fresh_directory / "zhengwu-data" / "zhengwu.db").is_file()
    listed = runner.invoke(app, ["imports", "--json"])
    [run] = [orjson.loads(line) for line in listed.stdout.splitlines()]
    assert (run["format"], run["files"], run["imported"]) == ("weibo-api", ["users.jsonl"], 1)
    current = runner.invoke(app, ["db", "current"])
    assert current.exit_code == 0 and "(空数据库 / empty database)" not in current.stdout
