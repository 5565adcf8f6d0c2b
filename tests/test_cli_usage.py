"""Command-line usage errors read in Chinese and English (zhengwu.cli.usage), through the
``zhengwu`` command itself: Click's words stay, a Chinese line comes above them."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from zhengwu.cli.main import app
from zhengwu.cli.usage import chinese

runner = CliRunner()

CASES = {
    "unknown-command": (["index", "nosuch"], "没有这个命令：nosuch", "No such command"),
    "unknown-top-command": (["nosuchcmd"], "没有这个命令：nosuchcmd", "No such command"),
    "unknown-option": (
        ["index", "rank", "--platfrom", "weibo"],
        "没有这个选项：--platfrom（可用：--platform）",
        "No such option: --platfrom",
    ),
    "unknown-top-option": (["--bogus"], "没有这个选项：--bogus", "No such option"),
    "missing-option": (["index", "compliance"], "缺少选项 --date / -d", "Missing option"),
    "missing-argument": (["import"], "缺少参数 FORMAT", "Missing argument"),
    "not-a-number": (["index", "rank", "--top", "abc"], "--top 的值无效", "Invalid value for"),
    "no-value": (["index", "rank", "--platform"], "选项 --platform 需要一个值", "requires an argument"),
    "close-command": (["index", "rnu"], "没有这个命令：rnu（是否要用：run）", "Did you mean 'run'"),
    "extra-argument": (["index", "runs", "a"], "多余的参数：a", "unexpected extra"),
    # A Chinese value of the user's own (a file name) once left Click's words English only.
    "extra-chinese-argument": (["desk", "routing", "export", "派单表.xlsx"],
                               "多余的参数：派单表.xlsx", "unexpected extra"),
    "unknown-chinese-command": (["desk", "诉求"], "没有这个命令：诉求", "No such command"),
    "chinese-not-a-number": (["index", "rank", "--top", "十"], "--top 的值无效", "Invalid value"),
    # Why a value is refused reads in Chinese too, not only in Click's English.
    "not-an-integer": (["index", "rank", "--top", "1.5"], "--top 的值无效：应为整数",
                       "valid integer"),
    "below-the-range": (["imports", "--limit", "0"], "--limit 的值无效：应不小于 1",
                        "greater than or equal to 1"),
    "above-the-range": (["serve", "--port", "99999"], "--port 的值无效：应不大于 65535",
                        "less than or equal to 65535"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(CASES))
def test_usage_errors_are_bilingual(case: str) -> None:
    args, zh, en = CASES[case]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    flat = " ".join(result.output.replace("│", " ").split())  # the panel's lines joined
    assert zh in flat and en in flat, result.output
    assert flat.index(zh) < flat.index(en), result.output  # Chinese first
    assert "Traceback" not in result.output


def test_the_projects_own_words_and_a_bare_group_are_left_alone() -> None:
    """A bilingual refusal of the project's own is not worded twice, and a group run
    without a command shows its help, not an error."""
    dated = runner.invoke(app, ["index", "compliance", "--date", "2025-02-30"])
    assert dated.exit_code == 2 and "命令行有误" not in dated.output, dated.output
    assert dated.output.count("--date") >= 1
    bare = runner.invoke(app, ["db"])
    assert "upgrade" in bare.output and "缺少" not in bare.output and "有误" not in bare.output


def test_chinese_leaves_a_message_with_chinese_alone() -> None:
    from typer._click.exceptions import ClickException, UsageError

    assert chinese(UsageError("日期无效 invalid date")) is None
    assert chinese(UsageError("something unforeseen")) == "命令行有误"
    assert chinese(ClickException("something unforeseen")) == "命令未能完成"


def test_a_prompt_with_nothing_to_read_is_a_bilingual_abort() -> None:
    """`users create` without --password asks for it; with no input (cron, a script) it
    stops saying why, in both languages, not with Click's bare "Aborted."."""
    result = runner.invoke(app, ["users", "create", "wang", "--role", "handler"], input="")
    assert result.exit_code == 1, result.output
    flat = " ".join(result.output.split())
    assert "已中止：没有可读的输入" in flat and "aborted: no input to read" in flat, flat
    assert flat.index("已中止") < flat.index("aborted")


def test_users_create_lists_every_role_on_a_narrow_terminal() -> None:
    shown = runner.invoke(app, ["users", "create", "--help"], env={"COLUMNS": "80"})
    flat = " ".join(shown.output.replace("│", " ").split())
    roles = ("admin", "matrix_office", "operator", "handler", "dispatcher", "verifier", "team")
    assert all(role in flat for role in roles), flat


JSON_CASES = {
    "unknown-option": (["import", "--json", "--nope"], "No such option: --nope", "没有这个选项"),
    "missing-argument": (["import", "weibo-api", "--json"], "Missing argument", "缺少参数"),
    "bad-value": (["quarantine", "--limit", "0", "--json"], "Invalid value for '--limit'",
                  "--limit 的值无效"),
    "unknown-command": (["index", "nosuch", "--json"], "No such command", "没有这个命令"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(JSON_CASES))
def test_a_usage_error_under_json_is_a_json_line_too(case: str) -> None:
    """With --json on the command line a usage error ends with the error as one JSON line on
    stdout, as any failed --json command does; the usage text stays on stderr, exit code 2."""
    args, en, zh = JSON_CASES[case]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.stdout
    error = json.loads(lines[0])
    assert (error["error"], error["status"]) == ("UsageError", 2)
    assert en in error["message_en"] and zh in error["message_zh"], error
    flat = " ".join(result.stderr.replace("│", " ").split())
    assert "Usage: zhengwu" in result.stderr and en in flat and zh in flat, result.stderr


def test_without_json_a_usage_error_prints_nothing_on_stdout() -> None:
    result = runner.invoke(app, ["import", "--nope"])
    assert result.exit_code == 2 and result.stdout == "", result.stdout
    after = runner.invoke(app, ["import", "weibo-api", "--", "--json"])  # a path, not --json
    assert after.exit_code == 2 and after.stdout == "", after.stdout
