"""Every command's ``--help`` at 80 columns: sentences wrap whole, examples stay whole.

Typer keeps a docstring's line breaks and Rich wraps each source line on its own, which
broke sentences wherever the source line ended; :mod:`zhengwu.cli.helptext` re-flows the
prose and keeps each example on lines of its own (`` \\`` continuations when too wide).
"""

from __future__ import annotations

import itertools
import re
from typing import Any

import pytest
import typer
from rich.cells import cell_len
from typer.testing import CliRunner

from zhengwu.cli.helptext import HELP_COLUMNS, reflow
from zhengwu.cli.main import app

runner = CliRunner()


def _commands() -> list[tuple[list[str], Any]]:
    found: list[tuple[list[str], Any]] = []

    def walk(command: Any, path: list[str]) -> None:
        found.append((path, command))
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return found


COMMANDS = _commands()


def _description(output: str) -> list[list[str]]:
    """Return the paragraphs (lists of lines, margins stripped) above the option panels."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith("Usage:")) + 1
    end = next((i for i, line in enumerate(lines) if line.startswith("╭")), len(lines))
    paragraphs: list[list[str]] = [[]]
    for line in lines[start:end]:
        text = line[1:].rstrip() if line.startswith(" ") else line.rstrip()
        if text:
            paragraphs[-1].append(text)
        elif paragraphs[-1]:
            paragraphs.append([])
    return [p for p in paragraphs if p]


def _first_word(line: str) -> str:
    """Return the first word as Rich wraps (between spaces; Chinese runs too, unless they
    are wider than the whole column, which Rich folds by the character)."""
    word = line.split(" ")[0]
    return word[0] if cell_len(word) > HELP_COLUMNS else word


def _examples(help_text: str) -> list[str]:
    """Return the docstring's examples, each as one line of whitespace-separated words."""
    found = []
    for paragraph in re.split(r"\n\s*\n", help_text):
        for match in re.finditer(r"Example:\s*(.+?)(?=\s*Example:|\s*$)", paragraph, re.S):
            found.append(" ".join(match[1].split()))
    return found


@pytest.mark.parametrize(
    ("path", "command"), COMMANDS, ids=[" ".join(p) or "zhengwu" for p, _ in COMMANDS]
)
def test_help_at_80_columns_wraps_sentences_whole_and_keeps_examples(
    path: list[str], command: Any
) -> None:
    result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "80"}, terminal_width=80)
    assert result.exit_code == 0, result.output
    assert all(cell_len(line) <= 80 for line in result.output.splitlines()), result.output
    shown: list[str] = []  # the examples as the help shows them, continuations joined
    for paragraph in _description(result.output):
        continued = False
        for line, after in zip(paragraph, [*paragraph[1:], None], strict=True):
            if line.startswith("Example:") or continued:
                if not continued:
                    shown.append("")
                    line = line.removeprefix("Example:")
                shown[-1] += " " + line.removesuffix(" \\").strip()
                continued = line.endswith(" \\")
                continue
            # A prose line ends early only where its paragraph (or a line of its own) ends:
            # the next line's first word would not have fitted on it.
            if after is None or after.startswith(("Example:", " ", "- ", "• ", "(")):
                continue
            fits = cell_len(line) + 1 + cell_len(_first_word(after)) <= HELP_COLUMNS
            assert not fits, f"a sentence breaks early:\n{line}\n{after}\n\n{result.output}"
    # Every example of the docstring is shown whole, on lines of its own (a note after it,
    # "(with …)", on the next line).
    expected = [re.sub(r"\s+\(.*\)$", "", e) for e in _examples(command.help or "")]
    shown = [re.sub(r"\s+\(.*\)$", "", " ".join(s.split())) for s in shown]
    assert shown == expected, result.output


def test_reflow_joins_prose_and_keeps_examples_and_lists() -> None:
    text = """Do a thing with a long sentence that the source
    broke in two; 中文句子在源码中
    换行。

    - a list item
    - another

    Example: zhengwu index rank --platform weibo --by sector --period 2025-Q3 --top 20
    Example: zhengwu x '{"a": 1, "b": 2}' --long-option-name value --another-long-option value (with a note)
    """
    assert reflow(text) == (
        "Do a thing with a long sentence that the source broke in two; 中文句子在源码中换行。\n\n"
        "- a list item\n- another\n\n"
        "Example: zhengwu index rank --platform weibo --by sector --period 2025-Q3 \\\n"
        "  --top 20\n"
        'Example: zhengwu x \'{"a": 1, "b": 2}\' --long-option-name value \\\n'
        "  --another-long-option value\n"
        "(with a note)"
    )


def test_help_shows_no_doubled_backquotes() -> None:
    # A docstring's ``--json`` (reStructuredText) reads as `--json`, as the rest of the help.
    doubled = []
    for path, _ in COMMANDS:
        result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "80"}, terminal_width=80)
        if "``" in result.output:
            doubled.append(" ".join(path))
    assert doubled == []


GROUPS = [(p, c) for p, c in COMMANDS if getattr(c, "commands", None)]


def _listed(output: str) -> dict[str, list[str]]:
    """Return each command of a group's Commands panel with its description's lines."""
    rows: dict[str, list[str]] = {}
    inside = False
    name = ""
    for line in output.splitlines():
        if line.startswith("╭─ Commands"):
            inside, name = True, ""
            continue
        if not inside:
            continue
        if line.startswith("╰"):
            inside = False
            continue
        cells = re.match(r"│ (\S*)(\s+)(.*?)\s*│$", line)
        assert cells, line
        if cells[1]:
            name = cells[1]
            rows[name] = [cells[3]]
        else:
            rows[name].append(cells[3])
    return rows


@pytest.mark.parametrize(
    ("path", "group"), GROUPS, ids=[" ".join(p) or "zhengwu" for p, _ in GROUPS]
)
def test_group_lists_each_command_with_its_sentences_whole(path: list[str], group: Any) -> None:
    # The list of a group's commands shows each command's first paragraph: a sentence
    # there breaks only where the column ends, not where the docstring's source line did.
    result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "80"}, terminal_width=80)
    assert result.exit_code == 0, result.output
    rows = _listed(result.output)
    assert set(rows) == set(group.commands), result.output
    panel = next(line for line in result.output.splitlines() if line.startswith("╭─ Commands"))
    for name, lines in rows.items():
        first = next(line for line in result.output.splitlines() if line.startswith(f"│ {name} "))
        width = cell_len(panel) - 2 - cell_len(first[: first.index(lines[0])]) - 1
        for line, after in itertools.pairwise(lines):
            fits = cell_len(line) + 1 + cell_len(_first_word(after)) <= width
            assert not fits, f"{name}: a sentence breaks early:\n{line}\n{after}\n\n{result.output}"


def test_region_option_help_is_a_whole_sentence() -> None:
    # desk find / export / rates: it once stopped at "a city takes in all its".
    helps = {
        " ".join(path): param.help
        for path, command in COMMANDS
        for param in getattr(command, "params", [])
        if "--region" in getattr(param, "opts", []) and path[0] == "desk"
    }
    assert helps
    assert {h for h in helps.values() if h.endswith(" its")} == set(), helps


@pytest.mark.parametrize(
    ("path", "command"), COMMANDS, ids=[" ".join(p) or "zhengwu" for p, _ in COMMANDS]
)
def test_no_help_line_is_cut_short(path: list[str], command: Any) -> None:
    # Rich cut a help column's line with "…": `zhengwu --help` showed "distribution t…"
    # (a line with Chinese in it filling the column exactly) and `rescue incident create`
    # "flood|fire|earthquake|typhoon|epide…". What does not fit goes on to the next line,
    # so a line ending in "…" ends as the help text itself does ("weibo, form …").
    result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "80"}, terminal_width=80)
    assert result.exit_code == 0, result.output
    texts = [command.help or "", *(getattr(p, "help", None) or "" for p in command.params)]
    texts += [c.help or "" for c in getattr(command, "commands", {}).values()]
    written = " ".join(" ".join(texts).replace("``", "`").split())
    cut = []
    for line in result.output.splitlines():
        words = line.strip(" │").split()
        if words and words[-1].endswith("…") and " ".join(words[-2:]) not in written:
            cut.append(line)
    assert cut == [], "\n".join(cut)


@pytest.mark.parametrize("width", [60, 80, 120])
def test_an_example_going_on_stays_indented_under_its_first_line(width: int) -> None:
    # `users create --help` showed its example's second line at the margin
    # (" --password 'S3cret-pass'"): Typer strips the common indentation of the text after
    # the first paragraph, which was just that line's. At 60 columns Rich broke the
    # 78-column example again ("--org" / "411000-024 \" / "--password …"), each at the margin.
    checked = 0
    for path, command in COMMANDS:
        result = runner.invoke(
            app, [*path, "--help"], env={"COLUMNS": str(width)}, terminal_width=width
        )
        assert result.exit_code == 0, result.output
        lines = result.output.splitlines()
        for line, after in itertools.pairwise(lines):
            if line.rstrip().endswith(" \\") and not line.startswith("│"):
                checked += 1
                assert after.startswith("   ") and after[3] != " ", result.output
        shown = []
        for paragraph in _description(result.output):
            for line in paragraph:
                if line.startswith("Example:"):
                    shown.append(line.removeprefix("Example:"))
                elif shown and (shown[-1].endswith(" \\") or line.startswith("  ")):
                    shown[-1] = shown[-1].removesuffix(" \\") + " " + line.strip()
        # Every example is shown whole (a quoted argument wider than the terminal folds
        # onto a line of its own, indented too).
        expected = [re.sub(r"\s+\(.*\)$", "", e) for e in _examples(command.help or "")]
        shown = [re.sub(r"\s+\(.*\)$", "", " ".join(s.split())) for s in shown]
        assert shown == expected, result.output
    assert checked > (10 if width < 120 else 0)


@pytest.mark.parametrize(
    ("path", "group"), GROUPS, ids=[" ".join(p) or "zhengwu" for p, _ in GROUPS]
)
def test_group_lists_each_command_in_chinese_and_english(path: list[str], group: Any) -> None:
    # A group's list showed each command's docstring in English only (`zhengwu rescue
    # --help`: "Detect help posts and extract their fields …") under a bilingual group help.
    result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "200"}, terminal_width=200)
    assert result.exit_code == 0, result.output
    for name, lines in _listed(result.output).items():
        summary = " ".join(lines)
        parts = re.split(r" (?:/|—) ", summary, maxsplit=1)  # 中文 / English, 中文 — English
        assert len(parts) == 2, f"{name}: not '中文 / English': {summary}"
        zh, en = parts
        assert re.search(r"[\u4e00-\u9fff]", zh), f"{name}: no Chinese summary: {summary}"
        assert re.search(r"[A-Za-z]{3}", en), f"{name}: no English summary: {summary}"
