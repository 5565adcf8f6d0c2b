"""Command-line usage errors in Chinese and English.

Click words a mistake on the command line — an unknown option, a missing one, a value that
is not a number — in English only (``No such option: --period``). The ``zhengwu`` command's
group (:class:`BilingualGroup`) puts a Chinese line above Click's own, the way every other
error of the command reads (``错误：… / error: …``)::

    没有这个选项：--period（可用：--platform）
    No such option: --period (Possible options: --platform)

What Click says is kept as it is (the option names, the values it would take); a message
that already has Chinese in it outside what it quotes of the command line — a ``typer.BadParameter`` of the project's own, which is
bilingual — is left alone, and so is a bare ``zhengwu group`` that shows its help.

A command line that carries ``--json`` gets the error as one JSON line on stdout too, the
way a failed ``--json`` command's error reads (:func:`zhengwu.cli.common.handle_errors`):
``{"error": "UsageError", "status": 2, "message_zh": …, "message_en": …}``, its status the
exit code; the usage text and the message stay on stderr, and the exit code stays 2. A
script reading the last stdout line gets an object even when the command never ran.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Sequence
from typing import Any

from typer.core import TyperGroup

try:  # Typer carries its own copy of Click (0.29 here): its exceptions are that copy's
    from typer._click import exceptions as clicked
    from typer._click.core import Context
    from typer.exceptions import Abort  # its prompts raise Typer's own Abort
except ImportError:  # an older Typer runs on Click itself
    from click import exceptions as clicked  # type: ignore[no-redef]
    from click.core import Context  # type: ignore[assignment]
    from click.exceptions import Abort  # type: ignore[assignment]

_CJK = re.compile(r"[\u4e00-\u9fff]")
# What Click quotes of the command line (a value, a file name, a command's name): Chinese
# there is the user's, not a message of the project's own (`desk routing export 派单表.xlsx`).
_QUOTED = re.compile(r"\([^()]*\)|'[^']*'|\"[^\"]*\"")


def _names(hint: str) -> str:
    """Return Click's ``'--date' / '-d'`` as ``--date / -d``."""
    return hint.replace("'", "").replace('"', "")


def _no_such_option(m: re.Match[str]) -> str:
    close = m["possible"] or m["mean"]
    return f"没有这个选项：{m['option']}" + (f"（可用：{_names(close)}）" if close else "")


# Why a value is refused, in Chinese (Click's and Typer's words after "Invalid value for
# '--x': "): a number out of its range, not a number, not one of the choices …
_REASONS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (re.compile(r"greater than or equal to (-?\d+(?:\.\d+)?)"), lambda m: f"应不小于 {m[1]}"),
    (re.compile(r"less than or equal to (-?\d+(?:\.\d+)?)"), lambda m: f"应不大于 {m[1]}"),
    (re.compile(r"greater than (-?\d+(?:\.\d+)?)"), lambda m: f"应大于 {m[1]}"),
    (re.compile(r"less than (-?\d+(?:\.\d+)?)"), lambda m: f"应小于 {m[1]}"),
    (re.compile(r"is not in the range (\S+?)\.?$"), lambda m: f"应在 {m[1]} 范围内"),
    (re.compile(r"valid integer"), lambda m: "应为整数"),
    (re.compile(r"valid (?:number|float|decimal)"), lambda m: "应为数字"),
    (re.compile(r"valid boolean"), lambda m: "应为 true 或 false"),
    (re.compile(r"is not one of (.+?)\.?$"), lambda m: f"可选：{m[1]}"),
    (re.compile(r"does not exist"), lambda m: "不存在"),
)  # fmt: skip


def _invalid(m: re.Match[str]) -> str:
    """Return "--x 的值无效" (an argument's: "值无效"), with why in Chinese when Click's
    words say it."""
    said = m.string[m.end() :]
    reason = next(
        (word(found) for pattern, word in _REASONS if (found := pattern.search(said))), None
    )
    what = f"{_names(m[1])} 的值无效" if m.lastindex else "值无效"
    return what + (f"：{reason}" if reason else "")


# Click's messages by their English words (the same in Click and in Typer's copy of it,
# which do not share their exceptions' attributes), first match wins.
_WORDED: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (re.compile(r"^No such option: (?P<option>\S+)"
                r"(?: \(Possible options: (?P<possible>.+)\)| Did you mean (?P<mean>.+)\?)?"),
     _no_such_option),
    (re.compile(r"^No such command '(?P<command>[^']+)'(?:\. Did you mean (?P<mean>.+)\?)?"),
     lambda m: f"没有这个命令：{m['command']}"
     + (f"（是否要用：{_names(m['mean'])}）" if m["mean"] else "")),
    (re.compile(r"^Missing option (.+?)\.?$", re.M), lambda m: f"缺少选项 {_names(m[1])}"),
    (re.compile(r"^Missing argument (.+?)\.?$", re.M), lambda m: f"缺少参数 {_names(m[1])}"),
    (re.compile(r"^Missing parameter:? (.+?)\.?$", re.M), lambda m: f"缺少参数 {_names(m[1])}"),
    (re.compile(r"^Invalid value for (.+?): "), _invalid),
    (re.compile(r"^Invalid value: "), _invalid),
    (re.compile(r"unexpected extra argument(?:s|\(s\))? \((.*)\)"), lambda m: f"多余的参数：{m[1]}"),
    (re.compile(r"^Option '(.+)' requires an argument"), lambda m: f"选项 {m[1]} 需要一个值"),
    (re.compile(r"^Option '(.+)' does not take a value"), lambda m: f"选项 {m[1]} 不带值"),
    (re.compile(r"^Could not open file '?(.+?)'?: "), lambda m: f"无法打开文件 {m[1]}"),
)  # fmt: skip


def chinese(error: clicked.ClickException) -> str | None:
    """Return the Chinese line for Click's ``error`` (None: leave the error as it is)."""
    if isinstance(error, clicked.NoArgsIsHelpError):  # a bare group: its help, not an error
        return None
    text = error.format_message()
    if _CJK.search(_QUOTED.sub("", text)):
        return None
    for pattern, word in _WORDED:
        found = pattern.search(text)
        if found:
            return word(found)
    return "命令行有误" if isinstance(error, clicked.UsageError) else "命令未能完成"


def bilingual(error: clicked.ClickException) -> clicked.ClickException:
    """Return ``error`` with its Chinese line above Click's words, or ``error`` itself."""
    zh = chinese(error)
    if zh is None:
        return error
    text = f"{zh}\n{error.format_message()}"
    if isinstance(error, clicked.UsageError):
        return clicked.UsageError(text, ctx=error.ctx)
    worded = clicked.ClickException(text)
    worded.exit_code = error.exit_code
    return worded


def aborted() -> clicked.ClickException:
    """Return the error for a prompt that got no answer, in place of Click's "Aborted."."""
    worded = clicked.ClickException(
        "已中止：没有可读的输入（或按了 Ctrl+C）；在脚本中请用选项给出所问的值，如 --password / "
        "aborted: no input to read (or Ctrl+C); in a script give what was asked as an option, "
        "such as --password"
    )
    worded.exit_code = 1
    return worded


_JSON_ARGV = "zhengwu.json_argv"


def _json_given(args: Sequence[str]) -> bool:
    """Tell whether ``--json`` is among the command line's options (not after ``--``)."""
    args = list(args)
    return "--json" in (args[: args.index("--")] if "--" in args else args)


def print_json_error(error: clicked.ClickException) -> None:
    """Print Click's ``error`` as the JSON line of a failed ``--json`` command (stdout)."""
    import orjson

    en = error.format_message()
    lines = en.split("\n", 1)
    zh = chinese(error)
    if zh is None:  # already bilingual (the project's own words), or worded by bilingual()
        zh, en = (lines[0], lines[1]) if len(lines) == 2 and _CJK.search(lines[0]) else (en, en)
    line = {
        "error": "UsageError" if isinstance(error, clicked.UsageError) else "CommandError",
        "status": error.exit_code, "message_zh": zh, "message_en": en,
    }  # fmt: skip
    sys.stdout.write(orjson.dumps(line).decode() + "\n")
    sys.stdout.flush()


class BilingualGroup(TyperGroup):
    """The ``zhengwu`` group: a usage error anywhere below it reads in Chinese and English.

    Click parses a sub-command's arguments inside its parent's :meth:`invoke`, so the top
    group's ``make_context`` (its own options) and ``invoke`` (everything below) see every
    usage error before Typer prints it; with ``--json`` on the command line each is also
    one JSON line on stdout (:func:`print_json_error`).
    """

    def make_context(
        self, info_name: str | None, args: list[str], parent: Context | None = None,
        **extra: Any,
    ) -> Context:  # fmt: skip
        wants_json = _json_given(args)
        try:
            ctx = super().make_context(info_name, args, parent, **extra)
        except clicked.ClickException as error:
            worded = self._worded(error, wants_json)
            if worded is error:
                raise
            raise worded from error
        ctx.meta[_JSON_ARGV] = wants_json
        return ctx

    def invoke(self, ctx: Context) -> Any:
        wants_json = bool(ctx.meta.get(_JSON_ARGV))
        try:
            return super().invoke(ctx)
        except Abort as error:  # a prompt (a password) met the end of its input
            raise self._worded(aborted(), wants_json) from error
        except clicked.ClickException as error:
            worded = self._worded(error, wants_json)
            if worded is error:
                raise
            raise worded from error

    @staticmethod
    def _worded(error: clicked.ClickException, wants_json: bool) -> clicked.ClickException:
        """Return ``error`` in both languages, printed as a JSON line too under ``--json``."""
        worded = bilingual(error)
        if wants_json and not isinstance(error, clicked.NoArgsIsHelpError):
            print_json_error(worded)
        return worded
