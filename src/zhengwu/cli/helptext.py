"""How a command's ``--help`` text is laid out: prose re-flowed, examples kept whole.

Typer (0.29) keeps the single line breaks of a docstring and Rich then wraps each source
line on its own, so at 80 columns a sentence broke wherever the source line ended
(``… Hotline calls are`` / ``private unless``). :func:`reflow` joins the lines of each
prose paragraph, so Rich wraps sentences as a whole; an ``Example:`` (or ``例：``) line
starts a line of its own and is never run into the prose. An example wider than the help
column goes on over lines that end with `` \\`` (a shell continuation, so it can still be
copied and run), broken only between arguments, never inside a quoted one; a note after
it (``(with …)``) goes on the next line. Lines that are indented or start a list item
(``- ``, ``• ``) keep their own line; a ``\\b`` paragraph is left as Click leaves it.
A docstring's doubled backquotes (reStructuredText literals) are shown single, as the rest
of the help writes them, so none reaches the reader doubled.

:func:`install` applies it to every command's rich help, once, when the CLI is built; the
command's ``help`` itself (its docstring, which ``tests/test_cli_examples.py`` reads) is
not changed. A group's list of its commands shows each one's ``short_help`` — every command
has one, ``中文 / English`` on one line (tests/test_cli_help.py) — or else its first
paragraph, laid out the same way, so a sentence there does not break where its source line
ended either. No help
line is cut short with "…": what does not fit goes on to the next line.
"""

from __future__ import annotations

import inspect
import re
from typing import Any

from rich.cells import cell_len
from rich.text import Text

HELP_COLUMNS = 78  # the text column of `--help` at 80 columns (Typer pads it by one each side)
_EXAMPLE = re.compile(r"^(Example:|例[:：])\s*")
_OWN_LINE = re.compile(r"^(\s|[-•*] |\$ )")
_CJK_END = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]$")
_CJK_START = re.compile(r"^[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
# A shell word: unquoted characters and quoted runs, as the shell reads it.
_WORD = re.compile(r"""(?:[^\s'"]+|'[^']*'|"[^"]*")+""")


def _join(left: str, right: str) -> str:
    """Join two lines of one paragraph; no space between two Chinese characters."""
    right = right.strip()
    if _CJK_END.search(left) and _CJK_START.match(right):
        return left + right
    return f"{left} {right}"


def _example_lines(line: str, width: int) -> list[str]:
    """Return an example line as lines of at most ``width`` columns (when its words allow),
    continued with `` \\``; a trailing note in parentheses on a line of its own."""
    if cell_len(line) <= width:
        return [line]
    prefix = _EXAMPLE.match(line)
    head = prefix[0] if prefix else ""
    words = _WORD.findall(line[len(head) :])
    note_at = next((i for i, w in enumerate(words) if w.startswith("(")), len(words))
    command, note = words[:note_at], " ".join(words[note_at:])
    lines: list[str] = []
    current = head.rstrip()
    for word in command:
        candidate = f"{current} {word}" if current else word
        # The last word of a line still needs room for " \".
        if current and cell_len(candidate) + 2 > width and current.strip() != head.strip():
            lines.append(current + " \\")
            current = "  " + word
        else:
            current = candidate
    lines.append(current)
    if note:
        lines.append(note)
    return lines


def reflow(text: str, width: int = HELP_COLUMNS) -> str:
    """Return ``text`` (a docstring) with its prose paragraphs joined and examples kept whole."""
    body, formfeed, rest = inspect.cleandoc(text).partition("\f")
    body = body.replace("``", "`")
    paragraphs = []
    for paragraph in body.split("\n\n"):
        if paragraph.startswith("\b"):
            paragraphs.append(paragraph)
            continue
        lines: list[str] = []
        # An example written after a sentence on the same source line starts its own line.
        paragraph = re.sub(r"(?<=\S)[ \t]+(?=Example:|例[:：])", "\n", paragraph)
        for line in paragraph.split("\n"):
            if not lines or _EXAMPLE.match(line) or _OWN_LINE.match(line):
                lines.append(line)
            elif _OWN_LINE.match(lines[-1]):
                lines.append(line)  # prose after an indented line or a list item
            else:
                lines[-1] = _join(lines[-1], line)  # prose, or an example's words going on
        laid: list[str] = []
        for line in lines:
            laid.extend(_example_lines(line, width) if _EXAMPLE.match(line) else [line])
        paragraphs.append("\n".join(laid))
    return "\n\n".join(paragraphs) + formfeed + rest


class _Reflowed:
    """A command seen through :func:`reflow`: its help laid out, the rest its own."""

    def __init__(self, command: Any, width: int = HELP_COLUMNS, help: str | None = None) -> None:
        self._command = command
        self.help = help if help is not None else command.help
        self.help = reflow(self.help, width) if self.help else self.help

    def __getattr__(self, name: str) -> Any:
        return getattr(self._command, name)


def _help_width() -> int:
    """Return the help text's column at the terminal's width (Typer pads it by one each side)."""
    from typer import rich_utils

    return max(20, rich_utils._get_rich_console().width - 2)


def _laid_out(original: Any, obj: Any, markup_mode: Any) -> Any:
    """Return the help as Typer shows it, with every indented line kept indented.

    Typer removes the common indentation of the text after the first paragraph
    (``inspect.cleandoc``), so an example's continuation line (``  --password …``) lost its
    indentation when nothing else in that text was indented, and a line Rich wraps starts at
    the margin. Each line is shown on its own here, an indented one padded by its indentation
    so that all of its wrapped lines stay under its first one. Examples are laid out at the
    terminal's width, not 80 columns, so a narrow terminal does not break them again.
    """
    from rich.console import Group
    from rich.padding import Padding
    from typer import rich_utils

    width = _help_width()
    text = _Reflowed(obj, width).help or ""
    body = text.partition("\f")[0]
    first, _, rest = body.partition("\n\n")
    head = original(obj=_Reflowed(obj, width, help=first), markup_mode=markup_mode)
    if not rest.strip():
        return head
    shown: list[Any] = [*head.renderables, Text("")]
    for line in rest.split("\n"):
        stripped = line.lstrip(" ")
        made = rich_utils._make_rich_text(
            text=stripped, style=rich_utils.STYLE_HELPTEXT, markup_mode=markup_mode
        )
        indent = len(line) - len(stripped)
        shown.append(Padding(made, (0, 0, 0, indent)) if indent and stripped else made)
    return Group(*shown)


def install() -> None:
    """Lay out every command's rich ``--help`` text with :func:`reflow` (idempotent)."""
    try:
        from typer import rich_utils
    except ImportError:  # no Rich: Click's own formatter re-flows paragraphs itself
        return
    # Typer's own (private) step that reads a command's help; another Typer may not have it:
    # then its help is left as Typer lays it out, and tests/test_cli_help.py fails to say so.
    original = getattr(rich_utils, "_get_help_text", None)
    if original is None or getattr(original, "_zhengwu_reflow", False):
        return

    def help_text(*, obj: Any, markup_mode: Any) -> Any:  # Rich's Group of the lines
        if markup_mode != "rich" or not obj.help:
            return original(obj=_Reflowed(obj), markup_mode=markup_mode)
        return _laid_out(original, obj, markup_mode)

    help_text._zhengwu_reflow = True  # type: ignore[attr-defined]
    rich_utils._get_help_text = help_text
    # A group's table of commands shows each command's first paragraph (its own step).
    listed = getattr(rich_utils, "_make_command_help", None)
    if listed is not None:

        def command_help(*, help_text: str, markup_mode: Any) -> Any:
            return listed(help_text=reflow(help_text), markup_mode=markup_mode)

        rich_utils._make_command_help = command_help
    # Rich cuts a line of a help column with "…" where it should not: a line with Chinese in
    # it that fills the column exactly (its trailing space is measured in characters, not
    # cells) lost its last word ("distribution t…"), and a value list too wide for the column
    # ("flood|fire|…|epide…") its end. Folding loses nothing: such a line is shown whole.
    made = getattr(rich_utils, "_make_rich_text", None)
    if made is not None:

        def rich_text(*, text: str, style: str = "", markup_mode: Any) -> Any:
            shown = made(text=text, style=style, markup_mode=markup_mode)
            if isinstance(shown, Text):
                shown.overflow = "fold"
            return shown

        rich_utils._make_rich_text = rich_text
