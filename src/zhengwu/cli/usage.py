"""Command-line usage errors in Chinese and English.

Click words a mistake on the command line — an unknown option, a missing one, a value that
is not a number — in English only (``No such option: --period``). The ``zhengwu`` command's
group (:class:`BilingualGroup`) puts a Chinese line above Click's own, the way every other
error of the command reads (``错误：… / error: …``)::

    没有这个选项：--period（可用：--platform）
    No such option: --period (Possible options: --platform)

What Click says is kept as it is (the option names, the values it would take); a message
that already has Chinese in it — a ``typer.BadParameter`` of the project's own, which is
bilingual — is left alone, and so is a bare ``zhengwu group`` that shows its help.
"""

from __future__ import annotations

import re
from collections.abc import Callable
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


def _names(hint: str) -> str:
    """Return Click's ``'--date' / '-d'`` as ``--date / -d``."""
    return hint.replace("'", "").replace('"', "")


def _no_such_option(m: re.Match[str]) -> str:
    close = m["possible"] or m["mean"]
    return f"没有这个选项：{m['option']}" + (f"（可用：{_names(close)}）" if close else "")


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
    (re.compile(r"^Invalid value for (.+?): "), lambda m: f"{_names(m[1])} 的值无效"),
    (re.compile(r"^Invalid value: "), lambda m: "值无效"),
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
    if _CJK.search(text):
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


class BilingualGroup(TyperGroup):
    """The ``zhengwu`` group: a usage error anywhere below it reads in Chinese and English.

    Click parses a sub-command's arguments inside its parent's :meth:`invoke`, so the top
    group's ``make_context`` (its own options) and ``invoke`` (everything below) see every
    usage error before Typer prints it.
    """

    def make_context(self, *args: Any, **kwargs: Any) -> Context:
        try:
            return super().make_context(*args, **kwargs)
        except clicked.ClickException as error:
            worded = bilingual(error)
            if worded is error:
                raise
            raise worded from error

    def invoke(self, ctx: Context) -> Any:
        try:
            return super().invoke(ctx)
        except Abort as error:  # a prompt (a password) met the end of its input
            raise aborted() from error
        except clicked.ClickException as error:
            worded = bilingual(error)
            if worded is error:
                raise
            raise worded from error
