"""Every ``zhengwu`` command's ``--help`` example: parsed, and run on a small demo.

A new user reads a command's ``--help`` and types its example after ``make demo``. Each
example must parse (its options and arguments exist), and on a demo data directory
(``zhengwu demo --days 5 --no-serve``, SQLite and PostgreSQL) it must work — never a
traceback, never silence, never "not found". The ids they name are the demo's own and the
same in every demo (hotline ticket 2025070112345, 许昌发布 weibo:3721262965, organisation
code 411000-024, matrix 1, accounts 3 and 5, the library's item 1 — the first of the
items the demo files), or made by an earlier example (FIRST: user wang's token 1,
compliance flag 1); the demo's files are named where
``make demo`` leaves them (``zhengwu-data/demo-input/…``). The examples that name a
deployment's own files get files made from the demo's input or the shipped defaults
(``statuses.jsonl`` is the demo's Weibo statuses, ``taxonomy.csv`` a small category tree,
``my_rules.toml`` the shipped rules …). REFUSED lists what cannot work where the test runs
it, with the reason; SKIPPED what is not run here: the commands that serve until stopped
and ``db restore``, which replaces the database the test runs on (tests/web, tests/jobs and
tests/db run those).
"""

from __future__ import annotations

import gzip
import re
import shlex
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from zhengwu.cli.main import app

runner = CliRunner()

# Examples not run here, and why (they are run by their own tests).
SKIPPED = {
    # `make demo` runs it; the test runs it itself, without the server (--no-serve).
    "zhengwu demo --scale city --days 30 --seed 1": "the test runs the demo itself, without the server",
    "zhengwu serve --host 0.0.0.0 --port 8000": "serves until stopped",
    "zhengwu serve --no-worker": "serves until stopped",
    "zhengwu worker --only search-refresh --every 30": "runs until stopped",
    "zhengwu db restore /backup/zhengwu.db": "replaces the test's database",
    "zhengwu db downgrade 0040@-1 --yes": (
        "takes the test's database back to an older schema; tests/db/test_upgrade_cli.py runs it"
    ),
    "zhengwu index spark-run --parquet /data/zhengwu-parquet --period 2025-Q3 --out /data/spark-2025-Q3": (
        "starts a Spark JVM (~10 s and 1 GB more); tests/index/test_spark.py runs it"
    ),
    "zhengwu db restore --revocations-from postgresql+psycopg://zhengwu@db/zhengwu": (
        "replaces the test's database"
    ),
}

# Examples that cannot work where the test runs them: refused, exit 2, with the bilingual
# message (the part of it given here). ``@backend``: on that database only.
REFUSED = {
    # `db backup` copies SQLite only; PostgreSQL is backed up with its own pg_dump.
    "zhengwu db backup /backup/zhengwu.db@postgresql": "pg_dump",
    "zhengwu index compare-run /data/spark-2025-Q3 --period 2025-Q3": "没有 Spark 运行结果",
}

# Run first, in help order: the examples that make what later ones use (a run of 2025-Q3,
# an incident, a stored classifier, a library item with a file, user wang and its token 1,
# the compliance flag 1) — a new user following the help in order makes them the same way.
# The library's item 1 is the demo's own (it files a few items: zhengwu.library.demo).
FIRST = (
    "zhengwu simulate",
    "zhengwu desk model train",
    "zhengwu index run",
    "zhengwu index flag ",
    "zhengwu library add",
    "zhengwu rescue incident create",
    "zhengwu users create",
    "zhengwu users token ",
)

# Run last: closing the incident ends its intake, which other examples still use.
LAST = ("zhengwu rescue close",)

CALENDAR = """source = "测试通知"
years = [2027]
[holidays]
2027-01-01 = "元旦"
[workdays]
"""
TAXONOMY = "一级分类,二级分类,三级分类\n城乡建设,供水,水压不足\n"
SHEET = "姓名,地址,人数,情况,联系方式\n张三,郑州市金水区农业路8号,2,被困二楼,13800001111\n"


def examples() -> list[tuple[str, str]]:
    """Return (command path, example) for every ``Example:`` line of every command's help."""
    found: list[tuple[str, str]] = []

    def walk(command: Any, path: str) -> None:
        # An example goes on over the lines that follow it up to a blank line or the next
        # example (the help shows the paragraph as one line).
        paragraphs = re.split(r"\n\s*\n", command.help or "")
        for paragraph in paragraphs:
            for match in re.finditer(r"Example:\s*(.+?)(?=\s*Example:|\s*$)", paragraph, re.S):
                found.append((path, " ".join(match[1].split())))
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            walk(sub, f"{path} {name}")

    walk(typer.main.get_command(app), "zhengwu")
    return found


def invocations(example: str) -> list[list[str]]:
    """Return the argument lists an example line runs (``a && b``; a ``> file`` dropped)."""
    line = re.sub(r"\s+\(with .*\)$", "", example)
    runs = []
    for part in line.split("&&"):
        words = shlex.split(part.split(" > ")[0])
        assert words[0] == "zhengwu", example
        runs.append(words[1:])
    return runs


def _leaf(words: list[str], root: Any) -> tuple[Any, list[str], str]:
    command = root
    name = "zhengwu"
    while words and words[0] in getattr(command, "commands", {}):
        name = f"{name} {words[0]}"
        command, words = command.commands[words[0]], words[1:]
    return command, words, name


def test_every_command_has_an_example_that_parses() -> None:
    found = examples()
    documented = {path for path, _ in found}
    leaves: list[str] = []

    def walk(command: Any, path: str) -> None:
        subs = getattr(command, "commands", None)
        if subs is None:
            leaves.append(path)
        for name, sub in (subs or {}).items():
            walk(sub, f"{path} {name}")

    root = typer.main.get_command(app)
    walk(root, "zhengwu")
    assert sorted(set(leaves) - documented) == []
    for _, example in found:
        for words in invocations(example):
            command, rest, name = _leaf(words, root)
            assert not hasattr(command, "commands"), f"{example}: no command named"
            # Parses the options and arguments exactly as the command line would.
            command.make_context(name, list(rest))


def _restart_ids(engine: Engine) -> None:
    """Start PostgreSQL's id sequences again, so that the demo's rows get the ids the examples
    name (``team 3``, ``rule 17``, ``#1``) whatever ran before in this database: an earlier
    test's rolled-back inserts used up sequence values that only TRUNCATE … RESTART IDENTITY
    gives back (the committed engine's tables are empty here; SQLite's ids start from the
    largest one left, none)."""
    from zhengwu.db.models import Base

    if engine.dialect.name != "postgresql":
        return
    names = ", ".join(t.name for t in Base.metadata.sorted_tables if t.name != "regions")
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture
def demo_dir(
    committed_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """A five-day demo in the test's database; the working directory holds the inputs the
    examples name (made from the demo's own input)."""
    from zhengwu.config import get_settings
    from zhengwu.db.engine import get_engine

    _restart_ids(committed_engine)
    monkeypatch.setenv("ZHENGWU_DATABASE_URL", committed_engine.url.render_as_string(False))
    get_settings.cache_clear()
    get_engine.cache_clear()
    demo = runner.invoke(app, ["demo", "--days", "5", "--no-serve"])
    assert demo.exit_code == 0, demo.output
    source = get_settings().data_dir / "demo-input"
    work = tmp_path / "work"
    (work / "help").mkdir(parents=True)
    (work / "exports").mkdir()
    (work / "backup").mkdir()
    statuses = (source / "weibo" / "statuses-2025-07.jsonl").read_bytes()
    (work / "statuses.jsonl").write_bytes(statuses)
    (work / "statuses-2025-07.jsonl.gz").write_bytes(gzip.compress(statuses))
    with zipfile.ZipFile(work / "crawl.zip", "w") as archive:
        archive.write(source / "weibo" / "users.jsonl", "users.jsonl")
    shutil.copy(source / "accounts.csv", work / "accounts.csv")
    shutil.copy(source / "help" / "posts.jsonl", work / "posts.jsonl")
    shutil.copy(source / "help" / "posts.jsonl", work / "help" / "posts.jsonl")
    shutil.copy(source / "requests" / "12345-requests.csv", work / "exports" / "12345-2025-07.csv")
    shutil.copy(
        Path(__file__).parents[1] / "src/zhengwu/reports/awards.toml", work / "my-awards.toml"
    )
    (work / "2027.toml").write_text(CALENDAR, encoding="utf-8")
    (work / "taxonomy.csv").write_text(TAXONOMY, encoding="utf-8")
    (work / "待救援人员信息.csv").write_text(SHEET, encoding="utf-8")
    (work / "预警.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    rules = Path(__file__).parents[1] / "src/zhengwu/servicedesk/classify/default_rules.toml"
    shutil.copy(rules, work / "my_rules.toml")
    # The data directory where `make demo` leaves it: the examples name its files so.
    (work / "zhengwu-data").symlink_to(get_settings().data_dir.resolve())
    monkeypatch.chdir(work)
    yield work
    # The commands' engines (cached per call form): their connections closed now.
    get_engine().dispose()
    get_engine(migrate=False).dispose()
    get_engine.cache_clear()


def _plain(example: str) -> str:
    """Return the example as SKIPPED and REFUSED name it: its words unquoted, no notes."""
    return " && ".join("zhengwu " + " ".join(words) for words in invocations(example))


def _key(example: str, backend: str) -> str:
    """Return the example's key in REFUSED: ``@backend`` when listed so for its database."""
    plain = _plain(example)
    return f"{plain}@{backend}" if f"{plain}@{backend}" in REFUSED else plain


def test_examples_run_on_the_demo_data(demo_dir: Path, committed_engine: Engine) -> None:
    backend = committed_engine.dialect.name
    todo = [e for _, e in examples() if _plain(e) not in SKIPPED]
    todo.sort(key=lambda e: (not e.startswith(FIRST), e.startswith(LAST)))
    problems: list[str] = []
    for example in todo:
        key = _key(example, backend)
        for words in invocations(example):
            words = [w.replace("/backup/", "backup/").replace("/data/", "") for w in words]
            result = runner.invoke(app, words)
            said = result.output.strip()
            if result.exception is not None and not isinstance(result.exception, SystemExit):
                problems.append(f"{example}: {type(result.exception).__name__} {result.exception}")
            elif key in REFUSED:
                if result.exit_code != 2 or REFUSED[key] not in said or "Error:" not in said:
                    problems.append(
                        f"{example}: expected a refusal naming {REFUSED[key]!r}: {said}"
                    )
            elif result.exit_code != 0:
                problems.append(f"{example}: exit {result.exit_code}: {said[-500:]}")
            elif not said:
                problems.append(f"{example}: printed nothing")
            elif "│ None " in said:
                problems.append(f"{example}: shows None")
    assert not problems, "\n".join(problems)


def test_an_empty_list_says_so() -> None:
    """A list with nothing in it says so, instead of printing nothing (fresh data dir)."""
    said = {
        ("library", "list"): "no items found",
        ("library", "search", "暴雨预警"): "no items found",
        ("rescue", "team", "list", "--inactive"): "no teams",
        ("desk", "due-soon", "--hours", "8"): "no open request is due within 8 hours",
    }
    for args, message in said.items():
        result = runner.invoke(app, list(args))
        assert result.exit_code == 0, result.output
        assert message in result.output, args
