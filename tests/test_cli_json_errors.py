"""Every command with ``--json`` ends a failure with the error as one JSON line on stdout.

A script reading the last stdout line of ``--json`` output gets the error as the API gives it
(``error``, ``status``, ``message_zh``, ``message_en``); the bilingual message stays on stderr
and the exit code is unchanged (2; 1 for a database that cannot be used). The commands are
found by walking the Typer app, so a new ``--json`` command must be listed here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
import typer.main
from typer.testing import CliRunner

from zhengwu.cli.common import handle_errors
from zhengwu.cli.main import app
from zhengwu.errors import NotFoundError

runner = CliRunner()
KEYS = {"error", "status", "message_zh", "message_en"}
BAD_PERIOD = ["--period", "2025-13"]

# One cheap error per command: an unknown id or name, a bad period or date, a missing file.
# "{tmp}" is the test's temporary directory. The value: (arguments, a regex in message_en).
REFUSED: dict[str, tuple[list[str], str]] = {
    "db downgrade": (["nope", "--yes"], "cannot downgrade to revision nope"),
    "db restore": (["{tmp}/nope.db"], "no such backup file|PostgreSQL: pg_restore"),
    "db upgrade": (["nope"], "cannot upgrade to revision nope"),
    "desk calendar check": (["{tmp}/nope.toml"], "cannot read the working-day calendar"),
    "desk calendar import": (["{tmp}/nope.toml"], "cannot read the working-day calendar"),
    "desk calendar show": (["--year", "0"], "--year out of range"),
    "desk categories import": (["{tmp}/nope.csv"], "file not found"),
    "desk find": ([], "give one of --ticket or --phone"),
    "desk import-csv": (["{tmp}/nope.csv"], "file not found"),
    "desk intake-posts": (["--since", "2025-13-01"], "--since: invalid date"),
    "desk model evaluate": (["--data", "{tmp}/nope.csv"], "cannot read"),
    "desk model predict": (["路灯不亮", "--model", "{tmp}/nope.model"], "no model file"),
    "desk model retrain": (["--data", "{tmp}/nope.csv"], "cannot read"),
    "desk model train": (["--data", "{tmp}/nope.csv"], "cannot read"),
    "desk rates": (BAD_PERIOD, "unreadable period"),
    "desk reclassify": (["--since", "2025-13-01"], "--since is not an ISO 8601 date"),
    "desk replay-events": (["{tmp}/nope.jsonl"], "No such file or directory"),
    "desk routing fallback": (["--org", "nope"], "no organisation 'nope'"),
    "desk routing import": (["{tmp}/nope.csv"], "file not found"),
    "desk routing reroute": (["--as", "nobody"], "no such user: nobody"),
    "import": (["weibo-xml", "{tmp}/nope.jsonl"], "unknown import format"),
    "index compare-run": (["{tmp}/out", *BAD_PERIOD], "unrecognised period"),
    "index compliance": (["--date", "2025-13-01"], "--date: invalid date"),
    "index coverage": (BAD_PERIOD, "unrecognised period"),
    "index explain": (["nobody", *BAD_PERIOD], "unrecognised period"),
    "index export-inputs": (["{tmp}/out", *BAD_PERIOD], "unrecognised period"),
    "index flags": (["--account", "nobody"], "no account 'nobody'"),
    "index matrix": (BAD_PERIOD, "unrecognised period"),
    "index rank": (BAD_PERIOD, "unrecognised period"),
    "index run": (BAD_PERIOD, "unrecognised period"),
    "index spark-run": (
        ["--parquet", "{tmp}/nope", "--out", "{tmp}/out", *BAD_PERIOD],
        "unrecognised period",
    ),
    "library add": (["--title", "t", "--org", "nope"], "no organisation 'nope'"),
    "library distribute": (["999999"], "give at least one --account"),
    "library list": (["--kind", "nope"], "invalid kind 'nope'"),
    "open311 keys create": (["--name", ""], "the name must be 1–64 characters"),
    "open311 keys revoke": (["nope"], "no such key: nope"),
    "quarantine": (["--run", "999999"], "no import run 999999"),
    "report awards": (["--awards", "{tmp}/nope.toml"], "cannot read the awards file"),
    "report build": ([*BAD_PERIOD, "--out", "{tmp}/r.docx"], "must end in .html or .pdf"),
    "rescue board": (["999999"], "no incident named '999999'"),
    "rescue close": (["999999"], "no incident named '999999'"),
    "rescue extract": (["{tmp}/nope.jsonl"], "no such file"),
    "rescue import-csv": (["999999", "{tmp}/nope.csv"], "no incident named '999999'"),
    "rescue incident create": (["x", "--start", "2025-13-01"], "invalid value starts_at"),
    "rescue intake": (["999999"], "no incident named '999999'"),
    "rescue merge": (["{tmp}/nope.jsonl"], "file not found"),
    "rescue team create": (["x", "--kind", "nope"], "invalid value kind"),
    "rescue team deactivate": (["999999"], "no team 999999"),
    "rescue team reactivate": (["999999"], "no team 999999"),
    "rescue team update": (["999999", "--name", "y"], "no team 999999"),
    "search query": (["x", "--kind", "nope"], "unknown search kind 'nope'"),
    "search reindex": (["--kind", "nope"], "is not pulled from the operational DB"),
    "simulate": (["--start", "2025-13-01"], "--start must be YYYY-MM-DD"),
    "store backup": (["{tmp}"], "exists"),
    "users create": (["x", "--role", "nope", "--password", "long-enough-1"], "unknown role"),
    "users disable": (["nobody"], "no such user: nobody"),
    "users enable": (["nobody"], "no such user: nobody"),
    "users revoke-token": (["999999"], "no such API token: 999999"),
    "users set-scope": (["nobody", "--org", "nope"], "no organisation 'nope'"),
    "users token": (["nobody"], "no such user: nobody"),
    "users tokens": (["nobody"], "no such user: nobody"),
    "worker": (["--once", "--only", "nope"], "unknown job 'nope'"),
}
# Commands that refuse nothing cheap to give them: they fail when the database cannot be used.
NEED_THE_DATABASE: dict[str, list[str]] = {
    "db backup": ["{tmp}/copy.db"],
    "db current": [],
    "desk calendar recompute": [],
    "desk categories list": [],
    "desk due-soon": [],
    "desk escalate": [],
    "desk remask": [],
    "desk routing derive": [],
    "desk routing list": [],
    "imports": [],
    "library prune": [],
    "library search": ["x"],
    "open311 keys list": [],
    "rescue incident list": [],
    "rescue team list": [],
    "users list": [],
}
# Listings of what is built in or stored (nothing to refuse, no database to miss).
NOTHING_TO_REFUSE = {"formats", "index formulas", "index runs", "index systems", "store stats"}


def _json_commands() -> Iterator[str]:
    """Yield every command of ``zhengwu`` that has a --json option, as "group command"."""

    def walk(command: Any, path: list[str]) -> Iterator[str]:
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            yield from walk(sub, [*path, name])
        if not hasattr(command, "commands") and any(
            "--json" in getattr(param, "opts", ()) for param in command.params
        ):
            yield " ".join(path)

    yield from walk(typer.main.get_command(app), [])


def _args(name: str, args: list[str], tmp: Path) -> list[str]:
    return [*name.split(), *(a.replace("{tmp}", str(tmp)) for a in args), "--json"]


def _error_line(result: Any, exit_code: int) -> dict[str, Any]:
    """Return the one JSON line a failed --json command printed, checking its shape."""
    assert result.exit_code == exit_code, (result.exception, result.output)
    assert isinstance(result.exception, SystemExit)  # a message, not a traceback
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.stdout
    error = json.loads(lines[0])
    assert error.keys() >= KEYS, error
    assert "".join(error["message_en"].split()) in "".join(result.stderr.split())  # as on stderr
    assert error["message_zh"] and isinstance(error["status"], int)
    return error


def test_every_json_command_is_covered_here() -> None:
    commands = set(_json_commands())
    assert len(commands) > 60
    listed = REFUSED.keys() | NEED_THE_DATABASE.keys() | NOTHING_TO_REFUSE
    assert commands == listed, (commands - listed, listed - commands)


def test_every_json_command_prints_its_refusal_as_a_json_line(
    configured_database: str, tmp_path: Path
) -> None:
    wrong: dict[str, str] = {}
    for name, (args, part) in REFUSED.items():
        result = runner.invoke(app, _args(name, args, tmp_path))
        try:
            error = _error_line(result, 2)
            assert re.search(part, error["message_en"]), error
            if name != "import":  # import's line carries its summary's keys at 0 too
                assert error.keys() == KEYS
        except AssertionError as exc:
            wrong[name] = str(exc)[:300]
    assert not wrong, "\n".join(f"{name}: {why}" for name, why in wrong.items())


def test_a_database_that_cannot_be_used_is_a_json_line_too(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from zhengwu.config import get_settings
    from zhengwu.db.engine import get_engine

    monkeypatch.setenv("ZHENGWU_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    get_settings.cache_clear()
    get_engine.cache_clear()
    wrong: dict[str, str] = {}
    for name, args in NEED_THE_DATABASE.items():
        result = runner.invoke(app, _args(name, args, tmp_path))
        try:
            error = _error_line(result, 1)
            assert error["error"] == "ZhengwuError", error
            assert "the database cannot be used" in error["message_en"], error
        except AssertionError as exc:
            wrong[name] = str(exc)[:300]
    assert not wrong, "\n".join(f"{name}: {why}" for name, why in wrong.items())


def test_without_json_stdout_stays_empty_and_a_bug_keeps_its_traceback() -> None:
    small = typer.Typer()

    @small.command()
    @handle_errors
    def fail(bug: bool = False, json_out: bool = typer.Option(False, "--json")) -> None:
        """Refuse, or fail as a bug would."""
        if bug:
            raise RuntimeError("a bug")
        raise NotFoundError("没有", "nothing here")

    as_json = runner.invoke(small, ["--json"])
    assert as_json.exit_code == 2
    assert json.loads(as_json.stdout) == {
        "error": "NotFoundError", "status": 404, "message_zh": "没有", "message_en": "nothing here"
    }  # fmt: skip
    plain = runner.invoke(small, [])
    assert plain.exit_code == 2 and plain.stdout == "" and "nothing here" in plain.stderr
    bug = runner.invoke(small, ["--bug", "--json"])
    assert isinstance(bug.exception, RuntimeError) and bug.stdout == ""
