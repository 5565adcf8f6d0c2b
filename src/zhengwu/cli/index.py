"""`zhengwu index …`: influence-index commands (published-formula presets for now)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from zhengwu.errors import InvalidInputError, ZhengwuError

app = typer.Typer(
    name="index",
    help="影响力指数 / influence index: published-formula presets.",
    no_args_is_help=True,
)

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


def _fail(error: ZhengwuError) -> NoReturn:
    """Print ``error`` in Chinese and English on stderr and exit with status 2."""
    typer.echo(f"错误：{error.message_zh}\nError: {error.message_en}", err=True)
    raise typer.Exit(code=2)


def _read_input(text: str) -> dict[str, object]:
    """Return the JSON object given inline or as ``@file.json``."""
    if text.startswith("@"):
        path = Path(text[1:])
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise InvalidInputError(
                f"无法读取输入文件 {path}：{exc.strerror}",
                f"cannot read input file {path}: {exc.strerror}",
            ) from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInputError(
            f"--input 不是合法的 JSON：{exc.msg}（第 {exc.lineno} 行第 {exc.colno} 列）",
            f"--input is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
        ) from exc
    if not isinstance(data, dict):
        raise InvalidInputError(
            '--input 必须是 JSON 对象，例如 {"R": 10000}',
            '--input must be a JSON object such as {"R": 10000}',
        )
    return data


def _read_flags(pairs: list[str]) -> dict[str, bool]:
    """Return ``NAME=true|false`` pairs as a mapping."""
    flags: dict[str, bool] = {}
    for pair in pairs:
        name, _, raw = pair.partition("=")
        if raw.lower() not in _TRUE | _FALSE:
            raise InvalidInputError(
                f"--flag 应写成 名称=true 或 名称=false，收到 {pair!r}",
                f"--flag must be NAME=true or NAME=false, got {pair!r}",
            )
        flags[name.strip()] = raw.lower() in _TRUE
    return flags


@app.command("formula")
def formula(
    name: Annotated[str, typer.Argument(help="preset name, see `zhengwu index formulas`")],
    input_: Annotated[
        str, typer.Option("--input", "-i", help="inputs as a JSON object, or @file.json")
    ],
    flag: Annotated[
        list[str] | None, typer.Option("--flag", help="preset switch NAME=true|false")
    ] = None,
) -> None:
    """Compute one published-formula preset and print {"value", "preset", "breakdown"} as JSON.

    Example: zhengwu index formula qingbo_wci_v2 --input '{"R": 10000, "n": 100, "Rmax": 300, "Z": 4000, "Zmax": 60}'
    """
    from zhengwu.index.formulas import compute

    try:
        result = compute(name, _read_input(input_), flags=_read_flags(flag or []))
    except ZhengwuError as error:
        _fail(error)
    payload = {"value": result.value, "preset": result.preset, "breakdown": result.breakdown}
    typer.echo(json.dumps(payload, ensure_ascii=False))


@app.command("formulas")
def formulas(
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of a table")] = False,
) -> None:
    """List the published-formula presets with their source and certainty.

    Example: zhengwu index formulas --json
    """
    from rich.console import Console
    from rich.table import Table

    from zhengwu.index.formulas import PRESETS

    if as_json:
        listing = [preset.to_dict() for preset in PRESETS.values()]
        typer.echo(json.dumps(listing, ensure_ascii=False, indent=2))
        return
    table = Table(title="公式预设 / formula presets")
    table.add_column("name", no_wrap=True)
    # fold, not ellipsis: a cut-off source or certainty would hide what the table is for.
    for header in ("platform", "certainty", "source", "标题"):
        table.add_column(header, overflow="fold")
    for preset in PRESETS.values():
        table.add_row(
            preset.name, preset.platform, preset.certainty, preset.source, preset.title_zh
        )
    Console().print(table)
